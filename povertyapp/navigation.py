"""Menu entries and page panels that apps register in AppConfig.ready(), so the core needs no edit per app."""
from dataclasses import dataclass
from typing import Callable

from django.template.loader import render_to_string
from django.urls import reverse

from .access import can


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    model: type | None = None  # shown only to users whose role may view this model
    order: int = 50


@dataclass(frozen=True)
class Panel:
    """A section on an object page: `context(request, obj)` returns the template's context, or None to hide it."""

    template_name: str
    context: Callable
    order: int = 50


_menu: list[MenuItem] = []
_list_actions: dict[str, list[MenuItem]] = {}
_panels: dict[str, list[Panel]] = {}


def register_menu_item(item: MenuItem) -> None:
    _menu.append(item)
    _menu.sort(key=lambda entry: entry.order)


def register_list_action(page: str, item: MenuItem) -> None:
    """A button above the list `page` ("household", "village"); it receives the list's filter query string."""
    _list_actions.setdefault(page, []).append(item)
    _list_actions[page].sort(key=lambda entry: entry.order)


def list_actions(page: str, user) -> list[dict]:
    return _visible(_list_actions.get(page, []), user)


def register_panel(page: str, panel: Panel) -> None:
    """Add a panel to `page` ("household" or "village")."""
    _panels.setdefault(page, []).append(panel)
    _panels[page].sort(key=lambda entry: entry.order)


def render_panels(page: str, request, obj) -> list[str]:
    rendered = []
    for panel in _panels.get(page, []):
        context = panel.context(request, obj)
        if context is not None:
            rendered.append(render_to_string(panel.template_name, {**context, "object": obj}, request=request))
    return rendered


def menu(request):
    """Context processor: the menu entries this user may follow."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu_items": []}
    return {"menu_items": _visible(_menu, user)}


def _visible(items, user) -> list[dict]:
    return [
        {"label": item.label, "url": reverse(item.url_name)}
        for item in items
        if item.model is None or can(user, "view", item.model)
    ]

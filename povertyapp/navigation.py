"""Menu entries and page panels that apps register in AppConfig.ready(), so the core needs no edit per app."""
from dataclasses import dataclass
from typing import Callable

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from .access import can, sees_personal_data


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    model: type | None = None  # shown only to users whose role may view this model
    order: int = 50
    personal_data: bool = False  # a list action that can include personal data in full: offered twice to revealers


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
    """Buttons above a list; an export with personal data comes again, unmasked and logged, for those who may."""
    actions = []
    for item in _list_actions.get(page, []):
        if not _may_view(item, user):
            continue
        action = {"label": item.label, "url": reverse(item.url_name), "reveal": False}
        actions.append(action)
        if item.personal_data and sees_personal_data(user):
            label = _("%(label)s(含完整敏感信息,将被记录)") % {"label": item.label}
            actions.append({**action, "label": label, "reveal": True})
    return actions


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


def _may_view(item: MenuItem, user) -> bool:
    return item.model is None or can(user, "view", item.model)


def _visible(items, user) -> list[dict]:
    return [{"label": item.label, "url": reverse(item.url_name)} for item in items if _may_view(item, user)]

"""Change history from django-simple-history rows, as field-level diffs for object pages.

A row is compared with the row before it for the same object. A row with none before it (a "+", or the first
"~" of an object loaded in bulk without history: seed data, a COPY, rows older than the history tables) lists
the values it recorded instead. The page's own record always starts with its creation (建档), taken from
its "+" row or, when there is none, from its `created_at`.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .masking import MASKS

KIND_LABELS = {"+": _("新增"), "~": _("修改"), "-": _("删除")}
CREATED = _("建档")
SYSTEM = _("系统")
UNRECORDED_CREATION = _("历史数据或批量导入,建档时未留变更记录")


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime | None  # None: a creation whose time is not known
    user: str
    subject: str
    kind: str
    reason: str
    changes: list[Change] = field(default_factory=list)
    recorded: list[tuple[str, str]] = field(default_factory=list)  # (label, value) of a row with no row before it
    before_unrecorded: bool = False  # a change whose earlier values were never recorded


@dataclass(frozen=True)
class Related:
    """Objects that hang off a page's record by the foreign key `parent` (a household's members, say)."""

    model: type[models.Model]
    parent: str
    subject: Callable[[Any], str]  # names the object of a history row


def record_log(record, related: Iterable[Related] = (), mask=None) -> list[Entry]:
    """Every change to `record` from its creation, and to its related objects, newest first.

    One query per model. `mask(field_name, value)` hides personal data where needed.
    """
    model = type(record)
    label = str(model._meta.verbose_name)
    entries = change_log(model.history.filter(id=record.pk), lambda row: label, mask, origin=record)
    for source in related:
        history = source.model.history.filter(**{source.parent: record.pk})
        entries += change_log(history, source.subject, mask, parent=source.parent)
    return newest_first(entries)


def change_log(history, subject, mask=None, *, origin=None, parent: str | None = None) -> list[Entry]:
    """One entry per history row of `history` (a historical queryset) that changed something, object by object.

    `subject(row)` names the object. `origin`: the object whose creation is shown as 建档, at its `created_at`
    (when it has one) if no "+" row records it. `parent`: the foreign key to the page's record, left out of
    the values listed.
    """
    fields = [f for f in history.model.instance_type._meta.concrete_fields if f.name in _tracked(history.model)]
    relations = [f.name for f in fields if f.is_relation]
    shown = [f for f in fields if not (f.primary_key or f.name == parent or _automatic(f))]
    rows = list(history.select_related("history_user", *relations).order_by("id", "history_date", "history_id"))
    previous, entries = {}, []
    for row in rows:
        before = previous.get(row.id)
        previous[row.id] = row
        entry = Entry(
            when=row.history_date,
            user=str(row.history_user or SYSTEM),
            subject=subject(row),
            kind=str(CREATED if origin is not None and row.history_type == "+" else KIND_LABELS[row.history_type]),
            reason=row.history_change_reason or "",
        )
        if row.history_type == "~" and before is not None:
            entry.changes = [
                Change(str(f.verbose_name), _display(f, before, mask), _display(f, row, mask))
                for f in fields if getattr(before, f.attname) != getattr(row, f.attname)
            ]
            if not entry.changes:  # saved without a change: nothing to show
                continue
        elif row.history_type != "-":
            entry.recorded = [
                (str(f.verbose_name), _display(f, row, mask)) for f in shown if not _empty(getattr(row, f.attname))
            ]
            entry.before_unrecorded = row.history_type == "~"
        entries.append(entry)
    if origin is not None and not any(row.history_type == "+" for row in rows):
        entries.insert(0, Entry(
            when=getattr(origin, "created_at", None), user=str(SYSTEM), subject=subject(origin),
            kind=str(CREATED), reason=str(UNRECORDED_CREATION),
        ))
    return entries


def newest_first(entries: list[Entry]) -> list[Entry]:
    """Newest first; of entries at the same instant the later listed first, so a creation stays below what
    was added with it; a creation of unknown time last."""
    known = [(entry.when, index, entry) for index, entry in enumerate(entries) if entry.when is not None]
    known.sort(key=lambda item: item[:2], reverse=True)
    return [entry for _when, _index, entry in known] + [entry for entry in entries if entry.when is None]


def _tracked(history_model) -> set[str]:
    return {f.name for f in history_model._meta.fields if not f.name.startswith("history_")}


def _automatic(model_field) -> bool:
    """Timestamps the database fills in: the entry's own time says as much."""
    return getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def _display(model_field, row, mask) -> str:
    value = getattr(row, model_field.attname)
    if _empty(value):
        return "—"
    if model_field.is_relation:
        return str(getattr(row, model_field.name) or value)  # selected with the row; the id if since deleted
    choices = dict(model_field.flatchoices) if model_field.choices else None
    if choices:
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if mask and model_field.name in MASKS:
        return mask(model_field.name, value)
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)

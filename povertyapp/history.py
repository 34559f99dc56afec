"""Change history from django-simple-history rows, as field-level diffs for object pages."""
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from django.utils.translation import gettext_lazy as _

from .masking import MASKS

KIND_LABELS = {"+": _("新增"), "~": _("修改"), "-": _("删除")}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    user: str
    subject: str
    kind: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def change_log(history, subject, mask=None) -> list[Entry]:
    """One entry per history row of `history` (a historical queryset), oldest rows compared with their successors.

    `subject(row)` names the object; `mask(field_name, value)` hides personal data where needed.
    """
    rows = history.select_related("history_user").order_by("id", "history_date", "history_id")
    fields = [f for f in history.model.instance_type._meta.concrete_fields if f.name in _tracked(history.model)]
    previous, entries = {}, []
    for row in rows:
        before = previous.get(row.id)
        changes = []
        if before is not None and row.history_type == "~":
            for model_field in fields:
                old, new = getattr(before, model_field.attname), getattr(row, model_field.attname)
                if old != new:
                    changes.append(
                        Change(
                            str(model_field.verbose_name),
                            _display(model_field, old, mask),
                            _display(model_field, new, mask),
                        )
                    )
        if row.history_type != "~" or changes:
            entries.append(
                Entry(
                    when=row.history_date,
                    user=str(row.history_user or _("系统")),
                    subject=subject(row),
                    kind=str(KIND_LABELS[row.history_type]),
                    reason=row.history_change_reason or "",
                    changes=changes,
                )
            )
        previous[row.id] = row
    return entries


def merged_log(sources, mask=None, limit: int = 100) -> list[Entry]:
    """The change logs of several (history queryset, subject) sources, newest first."""
    entries = chain.from_iterable(change_log(history, subject, mask) for history, subject in sources)
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


def _tracked(history_model) -> set[str]:
    return {f.name for f in history_model._meta.fields if not f.name.startswith("history_")}


def _display(model_field, value, mask) -> str:
    if value in (None, ""):
        return "—"
    choices = dict(model_field.flatchoices) if model_field.choices else None
    if choices:
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if mask and model_field.name in MASKS:
        return mask(model_field.name, value)
    return str(value)

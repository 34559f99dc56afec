"""What a round changes: households new, changed (field by field), absent; persons added, removed, moved.

Works on household states (identification.baseline), so the same comparison serves
the preview (register → file) and an audit of two committed rounds (snapshot → snapshot).
"""
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from households import choices

from .baseline import HOUSEHOLD_STATE, INCOME_STATE, MEMBER_STATE
from .choices import ChangeKind
from .columns import BY_FIELD, Code, Codes
from .rules import has_id

NAME, RELATION = MEMBER_STATE.index("name"), MEMBER_STATE.index("relation")
EXTRA_LABELS = {"village_code": "行政村", "group_name": "组", "was_dangerous_house": "危房户", "sex": "性别"}


@dataclass
class Change:
    kind: str
    household_number: str
    name: str = ""
    id_number: str = ""
    detail: dict = field(default_factory=dict)


def label(name: str) -> str:
    return EXTRA_LABELS.get(name) or BY_FIELD[name].header


def shown(name: str, value, village_names: dict | None = None) -> str:
    """A value as the preview prints it: labels for codes, 是/否, — for nothing."""
    if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name == "village_code":
        return f"{(village_names or {}).get(value, '')}({value})"
    kind = BY_FIELD[name].kind if name in BY_FIELD else None
    if isinstance(kind, Codes):
        return "、".join(kind.label_of(code) for code in value)
    if isinstance(kind, Code):
        return kind.label_of(value)
    return str(value)


def _head(state) -> str:
    return next((values[NAME] for values in state.members.values() if values[RELATION] == choices.Relation.HEAD), "")


def _field_changes(subject: str, names, old: tuple, new: tuple, village_names) -> list:
    return [
        [subject, name, label(name), shown(name, a, village_names), shown(name, b, village_names)]
        for name, a, b in zip(names, old, new)
        if a != b
    ]


def compare(before: dict, after: dict, absent, village_names: dict) -> list[Change]:
    """Changes from `before` to `after` (number → HouseholdState); `absent`: numbers in scope the round leaves out.

    Every person who becomes a member counts as added — in a new household or an existing one — unless they
    move from another household of `before` (only an ID number can say so: rules.member_key).
    """
    changes = []
    was_in = {key: number for number, state in before.items() for key in state.members if has_id(key)}
    now_in = {key: number for number, state in after.items() for key in state.members if has_id(key)}
    for number, state in after.items():
        old = before.get(number)
        if old is None:
            changes.append(Change(ChangeKind.HOUSEHOLD_NEW, number, _head(state), detail={
                "village": shown("village_code", state.field("village_code"), village_names),
                "status": shown("status", state.field("status")),
                "members": len(state.members),
            }))
        else:
            lines = _field_changes("", HOUSEHOLD_STATE, old.fields, state.fields, village_names)
            if old.income != state.income:
                empty = (None,) * len(INCOME_STATE)
                lines += _field_changes(_("收入"), INCOME_STATE, old.income or empty, state.income or empty, None)
            for key in sorted(old.members.keys() & state.members.keys()):
                values = state.members[key]
                lines += _field_changes(values[NAME], MEMBER_STATE, old.members[key], values, None)
            joined, left = state.members.keys() - old.members.keys(), old.members.keys() - state.members.keys()
            if lines or joined or left:
                changes.append(Change(ChangeKind.HOUSEHOLD_CHANGED, number, _head(state), detail={"lines": lines}))
        for key in sorted(state.members.keys() - (old.members.keys() if old else set())):
            values, source = state.members[key], was_in.get(key)
            if source and source != number:
                changes.append(Change(ChangeKind.PERSON_MOVED, number, values[NAME], key,
                                      {"from": source, "to": number}))
            else:
                changes.append(Change(ChangeKind.PERSON_ADDED, number, values[NAME], _id(key),
                                      {"relation": shown("relation", values[RELATION])}))
        for key in sorted(old.members.keys() - state.members.keys()) if old else ():
            if key not in now_in:
                values = old.members[key]
                changes.append(Change(ChangeKind.PERSON_REMOVED, number, values[NAME], _id(key),
                                      {"relation": shown("relation", values[RELATION])}))
    for number in absent:
        state = before[number]
        changes.append(Change(ChangeKind.HOUSEHOLD_ABSENT, number, _head(state), detail={
            "village": shown("village_code", state.field("village_code"), village_names),
            "status": shown("status", state.field("status")),
            "members": len(state.members),
        }))
    return changes


def _id(key: str) -> str:
    """The ID number a member key holds ("" for a person without one)."""
    return key if has_id(key) else ""


def counts(changes: list[Change]) -> dict:
    """Counts for the round's fields new_households … persons_moved."""
    by_kind = Counter(change.kind for change in changes)
    return {
        "new_households": by_kind[ChangeKind.HOUSEHOLD_NEW],
        "changed_households": by_kind[ChangeKind.HOUSEHOLD_CHANGED],
        "absent_households": by_kind[ChangeKind.HOUSEHOLD_ABSENT],
        "persons_added": by_kind[ChangeKind.PERSON_ADDED],
        "persons_removed": by_kind[ChangeKind.PERSON_REMOVED],
        "persons_moved": by_kind[ChangeKind.PERSON_MOVED],
    }


def digest(changes: list[Change]) -> str:
    """A fingerprint of the preview: a commit proceeds only when it would make exactly these changes."""
    lines = [[change.kind, change.household_number, change.name, change.id_number, change.detail] for change in changes]
    text = json.dumps(lines, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()

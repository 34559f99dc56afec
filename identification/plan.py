"""From checked records to target states, and from target states to the rows a commit writes.

A cell the file lacks keeps the register's value (or the model default for a new
household or person); sex and birth date come from the ID number when there is one.
A household new to the register enters as 待识别 whatever the workbook says, and one
that is still 待识别 stays so: only an approved 识别纳入 case (reviews app) puts a
household on the register. Only rows whose state differs are written, so importing
the same file twice writes nothing.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter

from django.utils.translation import gettext as _

from households import choices
from households.models import Household, Member

from .baseline import HOUSEHOLD_COLUMNS, HOUSEHOLD_STATE, INCOME_STATE, MEMBER_STATE, Baseline, HouseholdState
from .rules import ABSENT, has_id, member_key

ZERO = Decimal("0.00")


def _default(model, name):
    value = model._meta.get_field(name).get_default()
    return tuple(value) if isinstance(value, list) else value


HOUSEHOLD_DEFAULTS = (None, "", *(_default(Household, name) for name in HOUSEHOLD_COLUMNS))
MEMBER_DEFAULTS = tuple(_default(Member, name) for name in MEMBER_STATE)
RELATION = MEMBER_STATE.index("relation")
MEMBER_FROM_FILE = attrgetter(*MEMBER_STATE)
STATUS = HOUSEHOLD_STATE.index("status")
# The file's 是否危房 (is_dangerous) sets was_dangerous_house; blank keeps what the register has.
HOUSEHOLD_FROM_FILE = attrgetter(
    *("is_dangerous" if name == "was_dangerous_house" else name for name in HOUSEHOLD_STATE)
)


def target_states(households: dict, baseline: Baseline) -> dict:
    """Household number → the HouseholdState the file asks for (checked records only)."""
    members_anywhere = {
        key: values for state in baseline.states.values() for key, values in state.members.items() if has_id(key)
    }
    return {
        number: _target(record, baseline.states.get(number), members_anywhere)
        for number, record in households.items()
    }


def _target(record, base: HouseholdState | None, members_anywhere: dict) -> HouseholdState:
    fields = [
        before if value is ABSENT else value
        for value, before in zip(HOUSEHOLD_FROM_FILE(record), base.fields if base else HOUSEHOLD_DEFAULTS)
    ]
    if base is None or base.fields[STATUS] == choices.Status.CANDIDATE:
        fields[STATUS] = choices.Status.CANDIDATE
    income = base.income if base else None
    given = [getattr(record, name) for name in INCOME_STATE]
    if any(value is not ABSENT for value in given):
        before = income or (ZERO,) * len(INCOME_STATE)
        income = tuple(old if new is ABSENT else (new or ZERO) for new, old in zip(given, before))
    members = {}
    for person in record.persons:
        key = member_key(person.id_number, person.name, person.birth_date)
        values = list(MEMBER_FROM_FILE(person))
        if ABSENT in values:  # a person without an ID number is only ever matched in their own household
            known = members_anywhere if has_id(key) else (base.members if base else {})
            values = [old if new is ABSENT else new for new, old in zip(values, known.get(key, MEMBER_DEFAULTS))]
        members[key] = tuple(values)
    return HouseholdState(tuple(fields), income, members)


@dataclass
class WritePlan:
    """Rows to write, each carrying the full round-controlled values."""

    households: list = field(default_factory=list)  # (is_new, number, HOUSEHOLD_STATE tuple)
    # (is_new, number, year, wage, business, property, policy transfers, other transfers, expenses)
    incomes: list = field(default_factory=list)
    member_deactivations: list = field(default_factory=list)  # (pk, reason)
    # (pk, ID number or "", MEMBER_STATE tuple); demotions: heads who stop being head
    member_demotions: list = field(default_factory=list)
    member_updates: list = field(default_factory=list)
    member_inserts: list = field(default_factory=list)  # (number, ID number or "", MEMBER_STATE tuple)


def write_plan(targets: dict, baseline: Baseline, round_) -> WritePlan:
    plan = WritePlan()
    placed = {key: number for number, state in targets.items() for key in state.members if has_id(key)}
    for number, target in targets.items():
        base = baseline.states.get(number)
        if base is None or target.fields != base.fields:
            plan.households.append((base is None, number, target.fields))
        if target.income is not None and (base is None or target.income != base.income):
            policy, other = _split_transfers(target.income[3], baseline.transfer_split.get(number))
            is_new = base is None or base.income is None
            plan.incomes.append((is_new, number, round_.year, *target.income[:3], policy, other, target.income[4]))
        before = base.members if base else {}
        for key, values in target.members.items():
            id_number = key if has_id(key) else ""
            if key in before:
                if values != before[key]:  # a member adopting an ID number drops their 无证件原因: a change too
                    head_leaves = before[key][RELATION] == choices.Relation.HEAD != values[RELATION]
                    # A head who becomes spouse leaves the head's place before the new head takes it.
                    writes = plan.member_demotions if head_leaves else plan.member_updates
                    writes.append((baseline.active_members[(number, key)], id_number, values))
            elif (number, key) in baseline.inactive_members:  # back in the household
                plan.member_updates.append((baseline.inactive_members[(number, key)], id_number, values))
            else:
                plan.member_inserts.append((number, id_number, values))
        for key in before.keys() - target.members.keys():
            moved_to = placed.get(key)
            if moved_to:
                reason = _("迁至户%(number)s(识别批次#%(pk)s)") % {"number": moved_to, "pk": round_.pk}
            else:
                reason = _("识别批次#%(pk)s未列入该户") % {"pk": round_.pk}
            plan.member_deactivations.append((baseline.active_members[(number, key)], reason[:64]))
    return plan


def _split_transfers(total: Decimal, existing: tuple | None) -> tuple:
    """The file has one transfers column: keep the register's policy/other split when the total is unchanged."""
    if existing and existing[0] + existing[1] == total:
        return existing
    return total, ZERO

"""From checked records to target states, and from target states to the rows a commit writes.

A cell the file lacks keeps the register's value (or the model default for a new
household or person); sex and birth date always come from the ID number. Only rows
whose state differs are written, so importing the same file twice writes nothing.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter

from django.utils.translation import gettext as _

from households import choices
from households.models import Household, Member

from .baseline import HOUSEHOLD_COLUMNS, HOUSEHOLD_STATE, INCOME_STATE, MEMBER_STATE, Baseline, HouseholdState
from .rules import ABSENT

ZERO = Decimal("0.00")


def _default(model, name):
    value = model._meta.get_field(name).get_default()
    return tuple(value) if isinstance(value, list) else value


HOUSEHOLD_DEFAULTS = (None, "", *(_default(Household, name) for name in HOUSEHOLD_COLUMNS))
MEMBER_DEFAULTS = tuple(_default(Member, name) for name in MEMBER_STATE)
MEMBER_INDEX = {name: index for index, name in enumerate(MEMBER_STATE)}
RELATION, SEX, BIRTH_DATE = MEMBER_INDEX["relation"], MEMBER_INDEX["sex"], MEMBER_INDEX["birth_date"]
# Sex and birth date are read here too but replaced by what the ID number says.
MEMBER_FROM_FILE = attrgetter(*MEMBER_STATE)


def target_states(households: dict, baseline: Baseline) -> dict:
    """Household number → the HouseholdState the file asks for (checked records only)."""
    members_anywhere = {
        id_number: values for state in baseline.states.values() for id_number, values in state.members.items()
    }
    return {
        number: _target(record, baseline.states.get(number), members_anywhere)
        for number, record in households.items()
    }


def _target(record, base: HouseholdState | None, members_anywhere: dict) -> HouseholdState:
    fields = []
    for name, before in zip(HOUSEHOLD_STATE, base.fields if base else HOUSEHOLD_DEFAULTS):
        if name == "was_dangerous_house":
            value = record.is_dangerous or before  # 曾为危房 stays set once a round has said so
        else:
            value = getattr(record, name)
        fields.append(before if value is ABSENT else value)
    income = base.income if base else None
    given = [getattr(record, name) for name in INCOME_STATE]
    if any(value is not ABSENT for value in given):
        before = income or (ZERO,) * len(INCOME_STATE)
        income = tuple(old if new is ABSENT else (new or ZERO) for new, old in zip(given, before))
    members = {}
    for person in record.persons:
        parsed = person.parsed_id
        values = list(MEMBER_FROM_FILE(person))
        values[SEX], values[BIRTH_DATE] = parsed.sex, parsed.birth_date
        if ABSENT in values:
            before = members_anywhere.get(parsed.number, MEMBER_DEFAULTS)
            values = [old if new is ABSENT else new for new, old in zip(values, before)]
        members[parsed.number] = tuple(values)
    return HouseholdState(tuple(fields), income, members)


@dataclass
class WritePlan:
    """Rows to write, each carrying the full round-controlled values."""

    households: list = field(default_factory=list)  # (is_new, number, HOUSEHOLD_STATE tuple)
    # (is_new, number, year, wage, business, property, policy transfers, other transfers, expenses)
    incomes: list = field(default_factory=list)
    member_deactivations: list = field(default_factory=list)  # (pk, reason)
    member_demotions: list = field(default_factory=list)  # (pk, MEMBER_STATE tuple): heads who stop being head
    member_updates: list = field(default_factory=list)  # (pk, MEMBER_STATE tuple)
    member_inserts: list = field(default_factory=list)  # (number, ID number, MEMBER_STATE tuple)


def write_plan(targets: dict, baseline: Baseline, round_) -> WritePlan:
    plan = WritePlan()
    placed = {id_number: number for number, state in targets.items() for id_number in state.members}
    for number, target in targets.items():
        base = baseline.states.get(number)
        if base is None or target.fields != base.fields:
            plan.households.append((base is None, number, target.fields))
        if target.income is not None and (base is None or target.income != base.income):
            policy, other = _split_transfers(target.income[3], baseline.transfer_split.get(number))
            is_new = base is None or base.income is None
            plan.incomes.append((is_new, number, round_.year, *target.income[:3], policy, other, target.income[4]))
        before = base.members if base else {}
        for id_number, values in target.members.items():
            key = (number, id_number)
            if id_number in before:
                if values != before[id_number]:
                    head_leaves = before[id_number][RELATION] == choices.Relation.HEAD != values[RELATION]
                    # A head who becomes spouse leaves the head's place before the new head takes it.
                    writes = plan.member_demotions if head_leaves else plan.member_updates
                    writes.append((baseline.active_members[key], values))
            elif key in baseline.inactive_members:
                plan.member_updates.append((baseline.inactive_members[key], values))  # back in the household
            else:
                plan.member_inserts.append((number, id_number, values))
        for id_number in before.keys() - target.members.keys():
            moved_to = placed.get(id_number)
            if moved_to:
                reason = _("迁至户%(number)s(识别批次#%(pk)s)") % {"number": moved_to, "pk": round_.pk}
            else:
                reason = _("识别批次#%(pk)s未列入该户") % {"pk": round_.pk}
            plan.member_deactivations.append((baseline.active_members[(number, id_number)], reason[:64]))
    return plan


def _split_transfers(total: Decimal, existing: tuple | None) -> tuple:
    """The file has one transfers column: keep the register's policy/other split when the total is unchanged."""
    if existing and existing[0] + existing[1] == total:
        return existing
    return total, ZERO

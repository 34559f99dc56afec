"""The register as a round sees it: the state of each household in the round's scope, and what the rules need.

A household's state is three plain values that compare in one step: a tuple of its
round-controlled fields, a tuple of the year's income, and its active members as
member key → tuple (rules.member_key: the ID number, or name and birth date for a
person without one). The file, the register and a frozen snapshot all become states,
so one comparison (identification.diff) serves the preview and the audit view.
"""
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Q

from households.models import Household, IncomeRecord, Member
from villages.models import Village, VillageGroup

from .bulk import Staging, qn
from .rules import Registry, has_id, member_key

HOUSEHOLD_STATE = (
    "village_code", "group_name", "phone", "standard", "attribute", "main_cause", "other_causes", "status",
    "year_identified", "exit_year", "housing_grade", "was_dangerous_house", "safe_drinking_water", "housing_area",
)
INCOME_STATE = ("wage_income", "business_income", "property_income", "transfer_income", "production_expenses")
MEMBER_STATE = (
    "name", "sex", "birth_date", "id_missing_reason", "relation", "ethnicity", "education", "school_status", "health",
    "labour_skill",
    "work_status", "months_worked", "has_medical_insurance", "has_serious_illness_insurance", "has_pension_insurance",
    "receives_subsistence", "receives_destitute_support",
)
CHUNK = 5000  # rows fetched at a time while the register is read
# Household columns stored as such; village and group are reached through their ids.
HOUSEHOLD_COLUMNS = HOUSEHOLD_STATE[2:]


NAME, BIRTH_DATE = MEMBER_STATE.index("name"), MEMBER_STATE.index("birth_date")


class VillageInfo(NamedTuple):
    id: int
    name: str
    in_scope: bool  # inside the uploader's capture scope (and the round's area)
    township: str


@dataclass
class HouseholdState:
    fields: tuple  # HOUSEHOLD_STATE order
    income: tuple | None  # INCOME_STATE order; None: no ledger row for the year
    members: dict  # member key → MEMBER_STATE tuple, active members only

    def field(self, name: str):
        return self.fields[HOUSEHOLD_STATE.index(name)]


@dataclass
class Baseline:
    """Households of the scope with their states and row ids, plus the area lookups."""

    states: dict = field(default_factory=dict)  # number → HouseholdState
    household_ids: dict = field(default_factory=dict)  # number → pk
    active_members: dict = field(default_factory=dict)  # (number, member key) → pk
    inactive_members: dict = field(default_factory=dict)  # (number, member key) → pk of the latest inactive row
    transfer_split: dict = field(default_factory=dict)  # number → (policy, other) transfers of the year
    villages: dict = field(default_factory=dict)  # code → VillageInfo
    groups: dict = field(default_factory=dict)  # (village id, group name) → group id

    @property
    def village_codes(self) -> dict:
        return {village.id: code for code, village in self.villages.items()}

    @property
    def village_names(self) -> dict:
        return {code: village.name for code, village in self.villages.items()}

    def adopt_id_numbers(self, households: dict) -> None:
        """A registered member without an ID number whom the file lists with one (same household, name and birth
        date) is the same person: re-key them by the number, so that the round updates their row."""
        registered = {key for state in self.states.values() for key in state.members}
        for number, household in households.items():
            state = self.states.get(number)
            if state is None or all(has_id(key) for key in state.members):
                continue
            for person in household.persons:
                old = member_key("", person.name, person.birth_date)
                if person.id_number and person.id_number not in registered and old in state.members:
                    state.members[person.id_number] = state.members.pop(old)
                    self.active_members[(number, person.id_number)] = self.active_members.pop((number, old))


def _area(round_, village: str, township: str) -> Q:
    """The round's own area (a township or village round covers only that area); `village`/`township` are lookups."""
    if round_.village_id:
        return Q(**{village: round_.village_id})
    if round_.township_id:
        return Q(**{township: round_.township_id})
    return Q()


def scope_households(round_):
    """Households the round may write: the uploader's capture scope, within the round's area."""
    return Household.objects.restrict(round_.created_by, "change").filter(_area(round_, "village", "village__township"))


def load_baseline(round_) -> Baseline:
    baseline = Baseline()
    writable = Village.objects.restrict(round_.created_by, "change").filter(_area(round_, "pk", "township"))
    in_scope = set(writable.values_list("pk", flat=True))
    for village_id, code, name, township in Village.objects.values_list("pk", "code", "name", "township__name"):
        baseline.villages[code] = VillageInfo(village_id, name, village_id in in_scope, township)
    for group_id, village_id, name in VillageGroup.objects.filter(village_id__in=in_scope).values_list(
        "pk", "village_id", "name"
    ):
        baseline.groups[(village_id, name)] = group_id
    codes = baseline.village_codes
    households = scope_households(round_)
    for pk, number, village_id, group_name, *values in households.values_list(
        "pk", "number", "village_id", "group__name", *HOUSEHOLD_COLUMNS
    ).iterator(chunk_size=CHUNK):
        causes_index = HOUSEHOLD_COLUMNS.index("other_causes")
        values[causes_index] = tuple(sorted(values[causes_index] or ()))
        baseline.household_ids[number] = pk
        baseline.states[number] = HouseholdState((codes[village_id], group_name or "", *values), None, {})
    members = Member.objects.filter(household__in=households).order_by("pk")
    for pk, number, id_number, active, *values in members.values_list(
        "pk", "household__number", "id_number", "is_active", *MEMBER_STATE
    ).iterator(chunk_size=CHUNK):
        key = member_key(id_number, values[NAME], values[BIRTH_DATE])
        if active:
            baseline.states[number].members[key] = tuple(values)
            baseline.active_members[(number, key)] = pk
        else:
            baseline.inactive_members[(number, key)] = pk
    incomes = IncomeRecord.objects.filter(household__in=households, year=round_.year)
    for number, wage, business, property_, policy, other, expenses in incomes.values_list(
        "household__number", "wage_income", "business_income", "property_income", "policy_transfer_income",
        "other_transfer_income", "production_expenses",
    ):
        baseline.states[number].income = (wage, business, property_, policy + other, expenses)
        baseline.transfer_split[number] = (policy, other)
    return baseline


def load_registry(baseline: Baseline, numbers: set, id_numbers: set) -> Registry:
    """Out-of-scope facts about the file's household numbers and ID numbers, for identification.rules.

    The file's numbers go into staging tables and are joined with the register: two queries however long the file.
    """
    household, member, village = (qn(model._meta.db_table) for model in (Household, Member, Village))
    with connection.cursor() as cursor:
        with Staging(cursor, "stage_numbers", [("number", Household._meta.get_field("number"))]) as stage:
            stage.load((number,) for number in numbers - baseline.states.keys())
            cursor.execute(
                f"SELECT h.number, v.name FROM {household} h JOIN {qn(stage.name)} s ON s.number = h.number "
                f"JOIN {village} v ON v.id = h.village_id"
            )
            households_elsewhere = dict(cursor.fetchall())
        with Staging(cursor, "stage_ids", [("id_number", Member._meta.get_field("id_number"))]) as stage:
            stage.load((id_number,) for id_number in id_numbers)
            cursor.execute(
                f"SELECT m.id_number, h.number FROM {member} m JOIN {qn(stage.name)} s ON s.id_number = m.id_number "
                f"JOIN {household} h ON h.id = m.household_id WHERE m.is_active = %s", [True],
            )
            active_ids = {id_number: number for id_number, number in cursor.fetchall() if number not in numbers}
    return Registry(villages=baseline.villages, households_elsewhere=households_elsewhere, active_ids=active_ids)

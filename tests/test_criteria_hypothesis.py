"""Generated households judged twice — by check_household (ORM + the registry's Python predicates) and by the
set-based run (exits.batch, the registry's SQL twins) — with the same verdict, detail text for detail text.

tests/test_exit_rules.py and tests/test_exit_batch.py walk the states one by one; here hypothesis draws whole
registers around the edges those tables name: birth dates on and a day either side of the school-age cut-offs,
net incomes a fen either side of line × persons for household sizes the line does not divide, ledger amounts up
to the columns' maximum, blank school status and housing grade, the 危房户 flag unset, inactive and zero
members, visits on either side of the year end and on the same day. Each example is written in a savepoint that
is rolled back afterwards, so examples never see each other's rows; hypothesis keeps no example database.

The stored result holds the facts the SQL computed and the masks it judged; HouseholdResult.verdict() renders the
details from those facts with rules.py. So the comparison covers both: the facts (and hence every detail text)
and the masks (outcome, failure and gap codes, the passed column) against check_household.
--hypothesis-show-statistics shows how often the examples reach each outcome, failure, gap and boundary.
"""
import datetime
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, configuration, event, given, settings
from hypothesis import strategies as st

from exits import batch, rules
from exits.models import EligibilityRun
from exits.services import check_household, household_facts
from households import choices
from households.models import Household, IncomeRecord, Member
from tests import factories
from visits.choices import Observation
from visits.models import Visit

MAX_FEN = 999_999_999_999  # an IncomeRecord amount column's largest value (12 digits, 2 places), in fen
INCOME_FIELDS = (
    "wage_income", "business_income", "property_income", "policy_transfer_income", "other_transfer_income",
)
VISIT_FIELDS = tuple(criterion.code for criterion in rules.VISIT_DIMENSIONS)
CHECKED = set(batch.CHECKED_STATUSES)
NOT_IN_SCHOOL = choices.SchoolStatus.NOT_IN_SCHOOL.value
SCHOOL_STATUSES = choices.SchoolStatus.values
HEALTH = [*choices.Health.values, choices.Health.HEALTHY.value]  # exempt (serious illness, disabled) 2 in 5

# Even without an example database, hypothesis caches the constants of the code under test in ./.hypothesis/,
# while pytest collects this module: set here, before that, it goes to the temporary directory instead.
configuration.set_hypothesis_home_dir(
    os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") or Path(tempfile.gettempdir()) / "povertyapp-hypothesis"
)


@dataclass(frozen=True)
class MemberSpec:
    birth_date: datetime.date
    education: str  # exactly one of education and school_status is filled in (a database constraint)
    school_status: str
    health: str
    insured: bool
    active: bool


@dataclass(frozen=True)
class IncomeSpec:
    year: int
    fen: tuple[int, ...]  # INCOME_FIELDS in fen
    expenses_fen: int

    @property
    def net_fen(self) -> int:
        return sum(self.fen) - self.expenses_fen


@dataclass(frozen=True)
class VisitSpec:
    status: str
    day: datetime.date
    observed: tuple[str, ...]  # VISIT_FIELDS in order


@dataclass(frozen=True)
class HouseholdSpec:
    status: str
    housing_grade: str
    was_dangerous_house: bool | None
    house_renovated: bool
    safe_drinking_water: bool
    food_and_clothing_secure: bool
    members: tuple[MemberSpec, ...]
    incomes: tuple[IncomeSpec, ...]
    visits: tuple[VisitSpec, ...]


@dataclass(frozen=True)
class Register:
    year: int
    line: Decimal
    chunk_size: int
    households: tuple[HouseholdSpec, ...]


# --- Strategies -------------------------------------------------------------------------------------------


def mostly(n: int):
    """True but one time in `n`; True is the simplest value, so shrunk examples keep only the falses that matter."""
    return st.integers(0, n - 1).map(lambda k: k != n - 1)


def near(day: datetime.date):
    """The day itself or up to two days either side (shrinking towards the day itself)."""
    return st.sampled_from([0, -1, 1, -2, 2]).map(lambda offset: day + datetime.timedelta(days=offset))


def birth_dates(year: int):
    """Half of them on a school-age cut-off (born 1 September 16 years before, or 31 August 6 years before) or a
    day either side; the others any day (shrinking towards 2000-01-01: an adult)."""
    earliest, latest = rules.school_age_birth_dates(year)
    day = datetime.timedelta(days=1)
    by_cut_off = [earliest, latest, earliest, latest, earliest - day, latest + day, earliest + day, latest - day]
    return st.one_of(st.dates(datetime.date(1930, 1, 1), datetime.date(year, 12, 31)), st.sampled_from(by_cut_off))


@st.composite
def members(draw, year: int, tidy: bool) -> MemberSpec:
    # Half the time out of school: 非在校生, or blank (school status left empty, education filled in instead).
    school_status = draw(st.one_of(st.sampled_from(SCHOOL_STATUSES), st.sampled_from(["", NOT_IN_SCHOOL])))
    education = draw(st.sampled_from(choices.Education.values)) if not school_status else ""
    return MemberSpec(
        birth_date=draw(birth_dates(year)), education=education, school_status=school_status,
        health=draw(st.sampled_from(HEALTH)), insured=tidy or draw(mostly(2)),
        active=draw(mostly(5)),  # inactive (减员) one time in five
    )


def split(draw, total: int, parts: int) -> list[int]:
    """`total` fen (≥ 0) in `parts` non-negative amounts, each within an amount column."""
    amounts = []
    for remaining in range(parts - 1, 0, -1):
        lowest = max(0, total - remaining * MAX_FEN)
        amount = draw(st.integers(lowest, min(total, MAX_FEN)))
        amounts.append(amount)
        total -= amount
    return [*amounts, total]


@st.composite
def incomes(draw, year: int, line_fen: int, persons: int, tidy: bool = False) -> IncomeSpec:
    """A ledger whose net is 0, a fen or two either side of line × persons, huge, or anything."""
    kind = "at_line" if tidy else draw(st.sampled_from(["at_line", "zero", "at_line", "large", "any"]))
    if kind == "zero":
        return IncomeSpec(year, (0,) * len(INCOME_FIELDS), 0)
    if kind == "large":
        fen = draw(st.tuples(*[st.one_of(st.just(MAX_FEN), st.integers(0, MAX_FEN))] * len(INCOME_FIELDS)))
        return IncomeSpec(year, fen, draw(st.one_of(st.just(0), st.just(MAX_FEN), st.integers(0, MAX_FEN))))
    if kind == "at_line":
        net = line_fen * persons + draw(st.sampled_from([-1, 0, 1, -2, 2]))  # in fen
    else:
        net = draw(st.integers(-2_000_000, 10_000_000))
    expenses = draw(st.integers(max(0, -net), max(0, -net) + 500_000))
    return IncomeSpec(year, tuple(split(draw, net + expenses, len(INCOME_FIELDS))), expenses)


@st.composite
def visits(draw, year: int, tidy: bool) -> VisitSpec:
    year_end = datetime.date(year, 12, 31)
    observations = [Observation.SECURE.value, Observation.UNCHECKED.value] if tidy else Observation.values
    return VisitSpec(
        status=draw(st.sampled_from(["done", "done", "done", "missed"])),
        day=draw(st.one_of(near(year_end), st.sampled_from([datetime.date(year, 6, 1), year_end]))),  # ties too
        observed=draw(st.tuples(*[st.sampled_from(observations)] * len(VISIT_FIELDS))),
    )


@st.composite
def households(draw, year: int, line_fen: int) -> HouseholdSpec:
    """Half of them tidy — insured, fed, safe water, nothing insecure, income at the line — so that some pass
    and the boundaries (school age, a fen either side of the line) decide; the others anything."""
    tidy = draw(st.booleans())
    people = tuple(draw(st.lists(members(year, tidy), max_size=5)))
    persons = sum(member.active for member in people)
    ledgers = [draw(incomes(year, line_fen, persons, tidy))] if draw(st.integers(0, 4)) else []  # none 1 in 5
    for other in draw(st.sets(st.sampled_from([year - 1, year + 1]))):  # other years' ledgers: ignored
        ledgers.append(draw(incomes(other, line_fen, persons)))
    return HouseholdSpec(
        status=draw(st.sampled_from([choices.Status.NOT_EXITED.value] * 4 + choices.Status.values)),
        housing_grade=draw(st.sampled_from(["A", "", "B", "C", "D"])),
        was_dangerous_house=draw(st.sampled_from([None, True, False])),
        house_renovated=draw(st.booleans()) or (tidy and draw(st.booleans())),  # tidy: renovated 3 in 4
        safe_drinking_water=tidy or draw(mostly(5)),
        food_and_clothing_secure=tidy or draw(mostly(5)),
        members=people,
        incomes=tuple(ledgers),
        visits=tuple(draw(st.lists(visits(year, tidy), max_size=3))),
    )


@st.composite
def registers(draw) -> Register:
    year = draw(st.sampled_from([2016, 2017, 2020]))
    line_fen = draw(st.one_of(st.sampled_from([333_334, 333_500, 400_000]), st.integers(230_000, 500_000)))
    return Register(
        year=year, line=Decimal(line_fen) / 100, chunk_size=draw(st.integers(1, 4)),
        households=tuple(draw(st.lists(households(year, line_fen), min_size=2, max_size=8))),
    )


# --- Writing a register -----------------------------------------------------------------------------------


@contextmanager
def rolled_back():
    """A savepoint undone at the end: each example starts from the test's own database state."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def write(register: Register, village, cadre) -> list[Household]:
    written = []
    for spec in register.households:
        household = factories.household(
            village, members=0, status=spec.status, housing_grade=spec.housing_grade,
            was_dangerous_house=spec.was_dangerous_house, house_renovated=spec.house_renovated,
            safe_drinking_water=spec.safe_drinking_water, food_and_clothing_secure=spec.food_and_clothing_secure,
        )
        Member.objects.bulk_create(  # without ID numbers: their birth dates are free (an ID number fixes it)
            Member(
                household=household, name=f"成员{index}", id_missing_reason=choices.IdMissingReason.NOT_ISSUED,
                sex=choices.Sex.MALE, birth_date=member.birth_date, relation=choices.Relation.OTHER,
                education=member.education, school_status=member.school_status, health=member.health,
                has_medical_insurance=member.insured, is_active=member.active,
            )
            for index, member in enumerate(spec.members)
        )
        IncomeRecord.objects.bulk_create(
            IncomeRecord(
                household=household, year=ledger.year, production_expenses=Decimal(ledger.expenses_fen) / 100,
                **{name: Decimal(fen) / 100 for name, fen in zip(INCOME_FIELDS, ledger.fen, strict=True)},
            )
            for ledger in spec.incomes
        )
        Visit.objects.bulk_create(
            Visit(
                household=household, visitor=cadre, status=visit.status, planned_date=visit.day,
                actual_date=visit.day if visit.status == "done" else None,
                **dict(zip(VISIT_FIELDS, visit.observed, strict=True)),
            )
            for visit in spec.visits
        )
        written.append(household)
    return written


def shown(facts: rules.HouseholdFacts, verdict: rules.Verdict, outcome, passed, failure_codes, gap_codes) -> dict:
    """What one side says of a household: the facts, the verdict as the pages show it (each failure and gap with
    its detail), and the outcome and codes as the run counts them (from the masks, when stored)."""
    return {
        "facts": facts,
        "failures": [(finding.code, finding.detail) for finding in verdict.failures],
        "gaps": [(finding.code, finding.detail) for finding in verdict.gaps],
        "per_capita_income": verdict.per_capita_income,
        "line": verdict.line,
        "outcome": (verdict.outcome, outcome, passed),
        "codes": (verdict.failure_codes, failure_codes, verdict.gap_codes, gap_codes),
    }


def event_for_boundaries(register: Register, spec: HouseholdSpec) -> None:
    """Statistics of the edges reached: a ledger within 2 fen of line × persons, a member born by a cut-off."""
    persons = sum(member.active for member in spec.members)
    line_fen = int(register.line * 100)
    for ledger in spec.incomes:
        if ledger.year == register.year and persons and abs(ledger.net_fen - line_fen * persons) <= 2:
            event(f"net = line × persons {ledger.net_fen - line_fen * persons:+d} fen")
    earliest, latest = rules.school_age_birth_dates(register.year)
    for member in spec.members:
        if abs((member.birth_date - earliest).days) <= 1 or abs((member.birth_date - latest).days) <= 1:
            event("a member born within a day of a school-age cut-off")


# --- The property -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, database=None, print_blob=True, report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large],
)
@given(register=registers())
def test_it_gives_every_generated_household_the_same_verdict_in_the_run_as_check_household(register):
    with rolled_back():
        village = factories.village(population=500)
        written = write(register, village, factories.cadre())
        run = EligibilityRun.objects.create(
            county=village.township.county, year=register.year, line_kind="exit_check", line=register.line,
            threshold=Decimal(3),
        )
        assert batch.execute(run.pk, chunk_size=register.chunk_size)
        run.refresh_from_db()
        assert run.state == "done", run.error
        results = {result.household_id: result for result in run.household_results.select_related("run")}
        checked = [household for household in written if household.status in CHECKED]
        assert set(results) == {household.pk for household in checked}  # removed, gone and candidates are not
        for index, household in enumerate(written):
            if household.status not in CHECKED:
                continue
            expected = check_household(household, register.year, line=register.line)
            stored = results[household.pk]
            assert shown(
                stored.facts(), stored.verdict(), stored.outcome, stored.passed, stored.failure_codes, stored.gap_codes
            ) == shown(
                household_facts(household, register.year), expected, expected.outcome, expected.passed,
                expected.failure_codes, expected.gap_codes,
            ), f"household {index} (the run left, check_household right): {register.households[index]}"
            assert stored.verdict() == expected  # labels too
            event(f"outcome {expected.outcome.value}")
            event_for_boundaries(register, register.households[index])
            for code in expected.failure_codes:
                event(f"failed {code}")
            for code in expected.gap_codes:
                event(f"lacking {code}")
        outcomes = [result.outcome for result in results.values()]
        assert (run.households_checked, run.households_passed, run.households_not_assessable) == (
            len(checked), outcomes.count(rules.Outcome.PASSED), outcomes.count(rules.Outcome.NOT_ASSESSABLE),
        )

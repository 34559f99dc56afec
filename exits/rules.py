"""Exit criteria (脱贫标准) as pure functions: household 两不愁三保障 + income, village incidence + indicators.

No database access here. Each household criterion is one entry of the CRITERIA registry holding its Python
predicates and their SQL twins side by side: services.py gathers one household's facts with the ORM and judges
them with the predicates, batch.py evaluates the SQL twins over a whole county in one statement; tests feed the
same households through both (tests/test_exit_rules.py, tests/test_exit_batch.py).

A verdict has three outcomes. A criterion whose facts the register lacks (no active members, no income record
for the year, nothing recorded about the house) has a gap: it is not judged, and the household cannot be
assessed (无法评估) — never passed, never failed on that criterion. The criteria that can be judged still are,
and their failures are shown beside the gaps; a gap outweighs them in the outcome because the record must be
completed before the household can be decided on. Villages and counties without a registered population
cannot be assessed either.
"""
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.choices import Health, HousingGrade, SchoolStatus
from households.rules import meets_line, meets_line_sql, per_capita
from villages.rules import below_threshold, incidence_percent


class Outcome(models.TextChoices):
    PASSED = "passed", gettext_lazy("达标")
    FAILED = "failed", gettext_lazy("未达标")
    NOT_ASSESSABLE = "not_assessable", gettext_lazy("无法评估")


def outcome_of(failed: bool, has_gaps: bool) -> Outcome:
    """The outcome of a household or an area: a gap outweighs failures; passed only when nothing failed."""
    if has_gaps:
        return Outcome.NOT_ASSESSABLE
    return Outcome.FAILED if failed else Outcome.PASSED


# --- Member facts ----------------------------------------------------------------------------------------

# 义务教育: a member aged 6–15 on 31 August (the school-year cut-off) must be in school,
# unless seriously ill or disabled.
SCHOOL_AGE = (6, 15)
OUT_OF_SCHOOL_STATUSES = ("", SchoolStatus.NOT_IN_SCHOOL.value)
EDUCATION_EXEMPT_HEALTH = (Health.SERIOUS.value, Health.DISABLED.value)


def sql_list(values) -> str:
    """An SQL list of trusted code literals (choice values from our own code lists)."""
    return ", ".join(f"'{value}'" for value in values)


def school_age_birth_dates(year: int) -> tuple[datetime.date, datetime.date]:
    """Earliest and latest birth date (inclusive) of a member of compulsory-school age in `year`."""
    youngest, oldest = SCHOOL_AGE
    return datetime.date(year - oldest - 1, 9, 1), datetime.date(year - youngest, 8, 31)


def is_out_of_school_child(birth_date: datetime.date, school_status: str, health: str, year: int) -> bool:
    """A school-age member not in school and not exempt by serious illness or disability."""
    earliest, latest = school_age_birth_dates(year)
    return (
        earliest <= birth_date <= latest
        and school_status in OUT_OF_SCHOOL_STATUSES
        and health not in EDUCATION_EXEMPT_HEALTH
    )


# is_out_of_school_child over a households.Member row; %(school_from)s and %(school_to)s: school_age_birth_dates.
OUT_OF_SCHOOL_CHILD_SQL = (
    f"birth_date BETWEEN %(school_from)s AND %(school_to)s AND school_status IN ({sql_list(OUT_OF_SCHOOL_STATUSES)})"
    f" AND health NOT IN ({sql_list(EDUCATION_EXEMPT_HEALTH)})"
)


# --- Household facts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFindings:
    """The household's latest done visit: its date and the criterion codes it marked insecure."""

    date: datetime.date
    insecure: frozenset[str]


@dataclass(frozen=True)
class HouseholdFacts:
    """What the register says about a household for a year. batch.py's `facts` has the same columns
    (net income as net_income_cents)."""

    year: int
    member_count: int  # active members
    net_income: Decimal | None  # households.rules.net_income of the year's ledger; None without one
    food_and_clothing_secure: bool
    children_out_of_school: int
    uninsured_members: int
    housing_grade: str  # '' when never appraised
    was_dangerous_house: bool | None  # 危房户: True flagged, False recorded as not, None not recorded
    house_renovated: bool
    safe_drinking_water: bool
    visit: VisitFindings | None = None

    @property
    def per_capita_income(self) -> Decimal | None:
        """For display (rounded to the fen); criteria compare the exact figure."""
        return None if self.net_income is None else per_capita(self.net_income, self.member_count)


def yuan(amount: Decimal) -> str:
    return _("%(amount)s 元") % {"amount": f"{amount:,.2f}"}


# --- The criteria --------------------------------------------------------------------------------------
# Each criterion may have a gap (its facts are missing: it is not judged) and a failure (judged, not met).
# The SQL twins are boolean expressions over the columns of HouseholdFacts (net income in integer fen as
# net_income_cents), with the run's line in fen as %(line_cents)s.


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    bit: int  # in HouseholdResult.failed_mask and gap_mask: never renumber
    fails: Callable[[HouseholdFacts, Decimal], bool] | None = None  # asked only when there is no gap
    fails_sql: str = ""
    failure_detail: Callable[[HouseholdFacts, Decimal], str] | None = None
    gap: Callable[[HouseholdFacts], bool] | None = None
    gap_sql: str = ""
    gap_detail: Callable[[HouseholdFacts], str] | None = None


def _income_gap_detail(facts: HouseholdFacts) -> str:
    if facts.member_count == 0:
        return _("无在册成员,无法计算人均纯收入")
    return _("无%(year)s年度收入记录") % {"year": facts.year}


def _income_failure_detail(facts: HouseholdFacts, line: Decimal) -> str:
    shown = yuan(facts.per_capita_income)
    if facts.per_capita_income >= line:  # rounded to the fen it would read as reaching the line: show the shortfall
        exact = (facts.net_income / facts.member_count).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR)
        shown = _("%(amount)s 元") % {"amount": f"{exact.normalize():,f}"}
    return _("人均纯收入 %(income)s < %(line)s") % {"income": shown, "line": yuan(line)}


DANGEROUS_GRADES = (HousingGrade.C.value, HousingGrade.D.value)


def unsafe_house(grade: str, flagged: bool | None, renovated: bool) -> bool | None:
    """A dangerous house not yet renovated. Dangerous by the appraisal grade when there is one (C/D; A/B are
    safe), else by the 危房户 flag; None when the register says nothing (no grade, no flag, no renovation)."""
    if renovated:
        return False
    if grade:
        return grade in DANGEROUS_GRADES
    return flagged


UNSAFE_HOUSE_SQL = (
    "CASE WHEN house_renovated THEN FALSE"
    f" WHEN housing_grade <> '' THEN housing_grade IN ({sql_list(DANGEROUS_GRADES)}) ELSE was_dangerous_house END"
)


def _unsafe_house(facts: HouseholdFacts) -> bool | None:
    return unsafe_house(facts.housing_grade, facts.was_dangerous_house, facts.house_renovated)


def _housing_failure_detail(facts: HouseholdFacts, line: Decimal) -> str:
    if facts.housing_grade:
        return _("住房为%(grade)s级危房,未改造") % {"grade": facts.housing_grade}
    return _("登记为危房户,未改造")


MEMBERS = Criterion(
    "members", gettext_lazy("在册成员"), 1,
    gap=lambda facts: facts.member_count == 0, gap_sql="member_count = 0",
    gap_detail=lambda facts: _("无在册成员"),
)
INCOME = Criterion(
    "income", gettext_lazy("收入达标"), 2,
    gap=lambda facts: facts.member_count == 0 or facts.net_income is None,
    gap_sql="member_count = 0 OR net_income_cents IS NULL",
    gap_detail=_income_gap_detail,
    fails=lambda facts, line: not meets_line(facts.net_income, facts.member_count, line),
    fails_sql=f"NOT ({meets_line_sql('net_income_cents', 'member_count', '%(line_cents)s')})",
    failure_detail=_income_failure_detail,
)
FOOD_CLOTHING = Criterion(
    "food_clothing", gettext_lazy("不愁吃穿"), 4,
    fails=lambda facts, line: not facts.food_and_clothing_secure, fails_sql="NOT food_and_clothing_secure",
    failure_detail=lambda facts, line: _("登记为吃穿未解决"),
)
EDUCATION = Criterion(
    "education", gettext_lazy("义务教育有保障"), 8,
    fails=lambda facts, line: facts.children_out_of_school > 0, fails_sql="children_out_of_school > 0",
    failure_detail=lambda facts, line: (
        _("%(n)s 名6–15岁成员未在校(非因病残)") % {"n": facts.children_out_of_school}
    ),
)
MEDICAL = Criterion(
    "medical", gettext_lazy("基本医疗有保障"), 16,
    fails=lambda facts, line: facts.uninsured_members > 0, fails_sql="uninsured_members > 0",
    failure_detail=lambda facts, line: _("%(n)s 名成员未参加基本医疗保险") % {"n": facts.uninsured_members},
)
HOUSING = Criterion(
    "housing", gettext_lazy("住房安全有保障"), 32,
    gap=lambda facts: _unsafe_house(facts) is None, gap_sql=f"({UNSAFE_HOUSE_SQL}) IS NULL",
    gap_detail=lambda facts: _("未鉴定住房安全等级,也未登记是否危房户"),
    fails=lambda facts, line: _unsafe_house(facts) is True, fails_sql=f"({UNSAFE_HOUSE_SQL}) IS TRUE",
    failure_detail=_housing_failure_detail,
)
WATER = Criterion(
    "water", gettext_lazy("饮水安全有保障"), 64,
    fails=lambda facts, line: not facts.safe_drinking_water, fails_sql="NOT safe_drinking_water",
    failure_detail=lambda facts, line: _("饮水不安全"),
)
CRITERIA = (MEMBERS, INCOME, FOOD_CLOTHING, EDUCATION, MEDICAL, HOUSING, WATER)
CRITERIA_BY_CODE = {criterion.code: criterion for criterion in CRITERIA}
GAP_CRITERIA = tuple(criterion for criterion in CRITERIA if criterion.gap is not None)
FAILING_CRITERIA = tuple(criterion for criterion in CRITERIA if criterion.fails is not None)

# Dimensions a cadre's visit observes (visits.models.Visit fields of the same names). A visit that marks one
# insecure fails it, whatever the register says: the cadre has judged it, so it is no longer a gap either.
VISIT_DIMENSIONS = (FOOD_CLOTHING, EDUCATION, MEDICAL, HOUSING, WATER)
VISIT_INSECURE = "insecure"
# The insecure dimensions of a visits.Visit row as a mask of criterion bits.
VISIT_INSECURE_MASK_SQL = " + ".join(
    f"CASE WHEN {criterion.code} = '{VISIT_INSECURE}' THEN {criterion.bit} ELSE 0 END" for criterion in VISIT_DIMENSIONS
)


@dataclass(frozen=True)
class Finding:
    """A failed criterion, or one that could not be judged (a gap), with the figures that say why."""

    code: str
    label: str
    detail: str


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    failures: tuple[Finding, ...]
    gaps: tuple[Finding, ...]
    per_capita_income: Decimal | None
    line: Decimal | None

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED

    @property
    def assessable(self) -> bool:
        return self.outcome != Outcome.NOT_ASSESSABLE

    @property
    def failure_codes(self) -> tuple[str, ...]:
        return tuple(finding.code for finding in self.failures)

    @property
    def gap_codes(self) -> tuple[str, ...]:
        return tuple(finding.code for finding in self.gaps)


def _findings(found: dict[str, str]) -> tuple[Finding, ...]:
    return tuple(Finding(c.code, str(c.label), found[c.code]) for c in CRITERIA if c.code in found)


def judge_household(facts: HouseholdFacts, line: Decimal) -> Verdict:
    """Every gap and every failed criterion, in CRITERIA order, with its figures; judged_masks_sql in SQL."""
    gaps, failures = {}, {}
    for criterion in CRITERIA:
        if criterion.gap is not None and criterion.gap(facts):
            gaps[criterion.code] = criterion.gap_detail(facts)
        elif criterion.fails is not None and criterion.fails(facts, line):
            failures[criterion.code] = criterion.failure_detail(facts, line)
    if facts.visit is not None:
        for criterion in VISIT_DIMENSIONS:
            if criterion.code in facts.visit.insecure:
                seen = _("%(date)s 走访记录为不达标") % {"date": facts.visit.date.isoformat()}
                gaps.pop(criterion.code, None)
                failures[criterion.code] = f"{failures[criterion.code]};{seen}" if criterion.code in failures else seen
    return Verdict(
        outcome=outcome_of(bool(failures), bool(gaps)), failures=_findings(failures), gaps=_findings(gaps),
        per_capita_income=facts.per_capita_income, line=line,
    )


def judged_masks_sql(visit_mask: str) -> tuple[str, str]:
    """(failed_mask, gap_mask): judge_household in SQL over a row of facts and the visit's insecure mask."""
    register_gaps = " + ".join(f"CASE WHEN {c.gap_sql} THEN {c.bit} ELSE 0 END" for c in GAP_CRITERIA)
    register_failures = " + ".join(
        f"CASE WHEN {f'({c.gap_sql}) THEN 0 WHEN ' if c.gap else ''}({c.fails_sql}) THEN {c.bit} ELSE 0 END"
        for c in FAILING_CRITERIA
    )
    return f"(({register_failures}) | {visit_mask})", f"(({register_gaps}) & ~({visit_mask}))"


def codes_from_mask(mask: int) -> tuple[str, ...]:
    return tuple(criterion.code for criterion in CRITERIA if mask & criterion.bit)


# --- Villages and the county ------------------------------------------------------------------------


def indicator_met(requires_amount: bool, minimum: Decimal | None, met: bool | None, amount: Decimal | None) -> bool:
    """A yes/no indicator is met when recorded as met; an amount indicator when the amount reaches the minimum."""
    if requires_amount:
        return amount is not None and amount >= (minimum or Decimal(0))
    return bool(met)


def area_outcome(below: bool | None, unmet_indicators) -> Outcome:
    """An area's outcome from its incidence test (None: no population figure) and its unmet indicators."""
    return outcome_of(failed=below is False or bool(unmet_indicators), has_gaps=below is None)


@dataclass(frozen=True)
class AreaVerdict:
    poor_persons: int
    registered_persons: int | None
    incidence: Decimal | None  # percent, two places; None when it cannot be assessed
    threshold: Decimal
    below_threshold: bool | None  # None when it cannot be assessed
    unmet_indicators: tuple[str, ...]
    gap: str  # why the incidence cannot be assessed; '' when it can

    @property
    def outcome(self) -> Outcome:
        return area_outcome(self.below_threshold, self.unmet_indicators)

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED


def population_gap(registered_persons: int | None, villages_without_population: int = 0) -> str:
    """Why an area's incidence cannot be assessed ('' when it can)."""
    if villages_without_population:
        return _("%(n)s 个村无户籍人口数") % {"n": villages_without_population}
    return "" if registered_persons else _("无户籍人口数")


def judge_area(
    poor_persons: int, registered_persons: int | None, threshold: Decimal, unmet_indicators=(),
    villages_without_population: int = 0,
) -> AreaVerdict:
    """An area may exit (出列/摘帽) when incidence is strictly below the threshold and its indicators are met.

    Its incidence cannot be assessed without a registered population, nor — for a township or the county —
    when any of its villages lacks one (the denominator would be incomplete).
    """
    gap = population_gap(registered_persons, villages_without_population)
    known = registered_persons if not gap else None
    return AreaVerdict(
        poor_persons=poor_persons,
        registered_persons=registered_persons,
        incidence=incidence_percent(poor_persons, known),
        threshold=threshold,
        below_threshold=below_threshold(poor_persons, known, threshold),
        unmet_indicators=tuple(unmet_indicators),
        gap=gap,
    )


class Progress:
    """A village's standing against its planned exit year (计划出列年度) for the checked year."""

    EXITED = "exited"
    DONE = "done"  # due, and meets the criteria
    BEHIND = "behind"  # due (planned ≤ year) but fails
    UNKNOWN = "unknown"  # due, but cannot be assessed (no registered population)
    AHEAD = "ahead"  # not due yet and already meets them
    ON_PLAN = "on_plan"  # not due yet
    UNPLANNED = "unplanned"
    LABELS = {
        EXITED: gettext_lazy("已出列"),
        DONE: gettext_lazy("按期达标"),
        BEHIND: gettext_lazy("滞后"),
        UNKNOWN: gettext_lazy("无法评估"),
        AHEAD: gettext_lazy("提前达标"),
        ON_PLAN: gettext_lazy("按计划推进"),
        UNPLANNED: gettext_lazy("无出列计划"),
    }
    ON_TRACK = {EXITED, DONE, AHEAD, ON_PLAN, UNPLANNED}


def village_progress(year: int, planned_exit_year: int | None, exit_year: int | None, outcome: Outcome) -> str:
    if exit_year and exit_year <= year:
        return Progress.EXITED
    if planned_exit_year is None:
        return Progress.UNPLANNED
    if planned_exit_year <= year:
        return {Outcome.PASSED: Progress.DONE, Outcome.NOT_ASSESSABLE: Progress.UNKNOWN}.get(outcome, Progress.BEHIND)
    return Progress.AHEAD if outcome == Outcome.PASSED else Progress.ON_PLAN

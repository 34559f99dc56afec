"""Exit criteria (脱贫标准) as pure functions: household 两不愁三保障 + income, village incidence + indicators.

No database access here. services.py gathers a household's facts with the ORM,
batch.py computes the same facts and failure bits in SQL for a whole county;
both are judged against the definitions below (tests check that they agree).
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.choices import Health, HousingGrade, SchoolStatus
from villages.rules import below_threshold, incidence_percent


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    bit: int  # stored in HouseholdResult.failed_mask: never renumber


MEMBERS = Criterion("members", gettext_lazy("在册成员"), 1)
INCOME = Criterion("income", gettext_lazy("收入达标"), 2)
FOOD_CLOTHING = Criterion("food_clothing", gettext_lazy("不愁吃穿"), 4)
EDUCATION = Criterion("education", gettext_lazy("义务教育有保障"), 8)
MEDICAL = Criterion("medical", gettext_lazy("基本医疗有保障"), 16)
HOUSING = Criterion("housing", gettext_lazy("住房安全有保障"), 32)
WATER = Criterion("water", gettext_lazy("饮水安全有保障"), 64)
CRITERIA = (MEMBERS, INCOME, FOOD_CLOTHING, EDUCATION, MEDICAL, HOUSING, WATER)
CRITERIA_BY_CODE = {criterion.code: criterion for criterion in CRITERIA}

# Dimensions a cadre's visit observes (visits.models.Visit fields of the same names).
VISIT_DIMENSIONS = (FOOD_CLOTHING, EDUCATION, MEDICAL, HOUSING, WATER)
VISIT_INSECURE = "insecure"

# 义务教育: a member aged 6–15 on 31 August (the school-year cut-off) must be in school,
# unless seriously ill or disabled.
SCHOOL_AGE = (6, 15)
OUT_OF_SCHOOL_STATUSES = ("", SchoolStatus.NOT_IN_SCHOOL.value)
EDUCATION_EXEMPT_HEALTH = (Health.SERIOUS.value, Health.DISABLED.value)
SAFE_HOUSING_GRADES = (HousingGrade.A.value, HousingGrade.B.value)


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


def housing_is_safe(grade: str, renovated: bool) -> bool:
    """Grade A or B, or a dangerous (C/D) house that has been renovated."""
    return grade in SAFE_HOUSING_GRADES or renovated


@dataclass(frozen=True)
class VisitFindings:
    """The household's latest done visit: its date and the criterion codes it marked insecure."""

    date: datetime.date
    insecure: frozenset[str]


@dataclass(frozen=True)
class HouseholdFacts:
    year: int
    member_count: int  # active members
    has_income_record: bool
    per_capita_income: Decimal | None  # households.rules.per_capita_net_income; None without members or ledger
    food_and_clothing_secure: bool
    children_out_of_school: int
    uninsured_members: int
    housing_grade: str
    was_dangerous_house: bool
    house_renovated: bool
    safe_drinking_water: bool
    visit: VisitFindings | None = None


@dataclass(frozen=True)
class Failure:
    code: str
    label: str
    detail: str


@dataclass(frozen=True)
class Verdict:
    passed: bool
    failures: tuple[Failure, ...]
    per_capita_income: Decimal | None
    line: Decimal | None

    @property
    def failure_codes(self) -> tuple[str, ...]:
        return tuple(failure.code for failure in self.failures)


def yuan(amount: Decimal) -> str:
    return _("%(amount)s 元") % {"amount": f"{amount:,.2f}"}


def _register_findings(facts: HouseholdFacts, line: Decimal) -> dict[str, str]:
    """Failed criteria from the register (members, ledger, household fields): code → detail."""
    found = {}
    if facts.member_count == 0:
        found[MEMBERS.code] = _("无在册成员")
    elif not facts.has_income_record:
        found[INCOME.code] = _("无%(year)s年度收入记录") % {"year": facts.year}
    elif facts.per_capita_income < line:
        found[INCOME.code] = _("人均纯收入 %(income)s < %(line)s") % {
            "income": yuan(facts.per_capita_income), "line": yuan(line),
        }
    if not facts.food_and_clothing_secure:
        found[FOOD_CLOTHING.code] = _("登记为吃穿未解决")
    if facts.children_out_of_school:
        found[EDUCATION.code] = _("%(n)s 名6–15岁成员未在校(非因病残)") % {"n": facts.children_out_of_school}
    if facts.uninsured_members:
        found[MEDICAL.code] = _("%(n)s 名成员未参加基本医疗保险") % {"n": facts.uninsured_members}
    if not housing_is_safe(facts.housing_grade, facts.house_renovated):
        if facts.housing_grade:
            found[HOUSING.code] = _("住房为%(grade)s级危房,未改造") % {"grade": facts.housing_grade}
        elif facts.was_dangerous_house:
            found[HOUSING.code] = _("曾为危房,未改造")
        else:
            found[HOUSING.code] = _("住房安全等级未鉴定")
    if not facts.safe_drinking_water:
        found[WATER.code] = _("饮水不安全")
    return found


def judge_household(facts: HouseholdFacts, line: Decimal) -> Verdict:
    """Every failed criterion, in CRITERIA order, with its figures; passed when none failed."""
    found = _register_findings(facts, line)
    if facts.visit is not None:
        for criterion in VISIT_DIMENSIONS:
            if criterion.code in facts.visit.insecure:
                seen = _("%(date)s 走访记录为不达标") % {"date": facts.visit.date.isoformat()}
                found[criterion.code] = f"{found[criterion.code]};{seen}" if criterion.code in found else seen
    failures = tuple(
        Failure(criterion.code, str(criterion.label), found[criterion.code])
        for criterion in CRITERIA
        if criterion.code in found
    )
    return Verdict(passed=not failures, failures=failures, per_capita_income=facts.per_capita_income, line=line)


def failure_mask(codes) -> int:
    return sum(CRITERIA_BY_CODE[code].bit for code in set(codes))


def codes_from_mask(mask: int) -> tuple[str, ...]:
    return tuple(criterion.code for criterion in CRITERIA if mask & criterion.bit)


# --- Villages and the county ------------------------------------------------------------------------


def indicator_met(requires_amount: bool, minimum: Decimal | None, met: bool | None, amount: Decimal | None) -> bool:
    """A yes/no indicator is met when recorded as met; an amount indicator when the amount reaches the minimum."""
    if requires_amount:
        return amount is not None and amount >= (minimum or Decimal(0))
    return bool(met)


@dataclass(frozen=True)
class AreaVerdict:
    poor_persons: int
    registered_persons: int | None
    incidence: Decimal | None  # percent, two places
    threshold: Decimal
    below_threshold: bool
    unmet_indicators: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.below_threshold and not self.unmet_indicators


def judge_area(
    poor_persons: int, registered_persons: int | None, threshold: Decimal, unmet_indicators=()
) -> AreaVerdict:
    """An area may exit (出列/摘帽) when incidence is strictly below the threshold and its indicators are met."""
    return AreaVerdict(
        poor_persons=poor_persons,
        registered_persons=registered_persons,
        incidence=incidence_percent(poor_persons, registered_persons),
        threshold=threshold,
        below_threshold=below_threshold(poor_persons, registered_persons, threshold),
        unmet_indicators=tuple(unmet_indicators),
    )


class Progress:
    """A village's standing against its planned exit year (计划出列年度) for the checked year."""

    EXITED = "exited"
    DONE = "done"  # due, and meets the criteria
    BEHIND = "behind"  # due (planned ≤ year) but fails
    AHEAD = "ahead"  # not due yet and already meets them
    ON_PLAN = "on_plan"  # not due yet
    UNPLANNED = "unplanned"
    LABELS = {
        EXITED: gettext_lazy("已出列"),
        DONE: gettext_lazy("按期达标"),
        BEHIND: gettext_lazy("滞后"),
        AHEAD: gettext_lazy("提前达标"),
        ON_PLAN: gettext_lazy("按计划推进"),
        UNPLANNED: gettext_lazy("无出列计划"),
    }
    ON_TRACK = {EXITED, DONE, AHEAD, ON_PLAN, UNPLANNED}


def village_progress(year: int, planned_exit_year: int | None, exit_year: int | None, passed: bool) -> str:
    if exit_year and exit_year <= year:
        return Progress.EXITED
    if planned_exit_year is None:
        return Progress.UNPLANNED
    if planned_exit_year <= year:
        return Progress.DONE if passed else Progress.BEHIND
    return Progress.AHEAD if passed else Progress.ON_PLAN

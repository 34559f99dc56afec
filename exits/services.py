"""Exit checks for one household through the ORM (the workflow, the household page) and rule look-ups."""
import datetime
from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext as _

from households.models import IncomeRecord
from households.rules import net_income
from povertyapp.access import can
from povertyapp.jobs import JobState
from povertyapp.roles import Level, level_for
from villages.models import County, Township

from . import rules
from .models import EligibilityRun, HouseholdResult, PovertyLine, VillageIndicator


class UncheckableYear(LookupError):
    """A year an exit check cannot be run for; the message says why, in Chinese."""


class MissingPovertyLine(UncheckableYear):
    pass


class MissingIncomeData(UncheckableYear):
    pass


def poverty_line(year: int, kind: str = PovertyLine.Kind.EXIT_CHECK) -> Decimal:
    """The line of `kind` for `year`; MissingPovertyLine (with a Chinese message) when county staff set none."""
    amount = PovertyLine.objects.filter(year=year, kind=kind).values_list("amount", flat=True).first()
    if amount is None:
        raise MissingPovertyLine(
            _("未设置%(year)s年度的%(kind)s,请先在“退出标准”中录入。")
            % {"year": year, "kind": PovertyLine.Kind(kind).label}
        )
    return amount


def require_income_data(year: int) -> None:
    """MissingIncomeData (with a Chinese message) when no household has an income record for `year`."""
    if not IncomeRecord.objects.filter(year=year).exists():
        raise MissingIncomeData(
            _("%(year)s年度尚无收入记录,无法进行退出检测;请先录入或导入该年度收入,或选择其他年度。") % {"year": year}
        )


def checked_line(year: int, kind: str = PovertyLine.Kind.EXIT_CHECK) -> Decimal:
    """The line a run for `year` compares incomes with; UncheckableYear when it has no such line or no incomes."""
    line = poverty_line(year, kind)
    require_income_data(year)
    return line


def default_year() -> int | None:
    """The latest year with both income records and a 脱贫验收标准: what runs and exit proposals default to."""
    latest_income = IncomeRecord.objects.latest_year()
    if latest_income is None:
        return None
    line_years = PovertyLine.objects.filter(kind=PovertyLine.Kind.EXIT_CHECK, year__lte=latest_income)
    for year in line_years.order_by("-year").values_list("year", flat=True):
        if year == latest_income or IncomeRecord.objects.filter(year=year).exists():
            return year
    return None


def visit_model():
    """visits.models.Visit once the visits app defines it, else None."""
    try:
        return apps.get_model("visits", "Visit")
    except LookupError:
        return None


def latest_visit_findings(household, year: int) -> rules.VisitFindings | None:
    """The latest done visit up to the end of `year` and the dimensions it marked insecure."""
    visit_class = visit_model()
    if visit_class is None:
        return None
    fields = [criterion.code for criterion in rules.VISIT_DIMENSIONS]
    visit = (
        visit_class.objects.filter(
            household=household, status="done", actual_date__isnull=False,
            actual_date__lte=datetime.date(year, 12, 31),
        )
        .order_by("-actual_date", "-pk")
        .values("actual_date", *fields)
        .first()
    )
    if visit is None:
        return None
    insecure = frozenset(code for code in fields if visit[code] == rules.VISIT_INSECURE)
    return rules.VisitFindings(visit["actual_date"], insecure)


def household_facts(household, year: int) -> rules.HouseholdFacts:
    """A household's facts for `year`, read straight from the register (a few queries)."""
    members = list(
        household.members.filter(is_active=True).values_list(
            "birth_date", "school_status", "health", "has_medical_insurance"
        )
    )
    income = IncomeRecord.objects.filter(household=household, year=year).first()
    return rules.HouseholdFacts(
        year=year,
        member_count=len(members),
        net_income=None if income is None else net_income(
            wage=income.wage_income, business=income.business_income, property_=income.property_income,
            transfers=income.transfer_income, expenses=income.production_expenses,
        ),
        food_and_clothing_secure=household.food_and_clothing_secure,
        children_out_of_school=sum(
            rules.is_out_of_school_child(birth, school, health, year) for birth, school, health, _insured in members
        ),
        uninsured_members=sum(not insured for *_rest, insured in members),
        housing_grade=household.housing_grade,
        was_dangerous_house=household.was_dangerous_house,
        house_renovated=household.house_renovated,
        safe_drinking_water=household.safe_drinking_water,
        visit=latest_visit_findings(household, year),
    )


def check_household(household, year: int, *, line: Decimal | None = None) -> rules.Verdict:
    """The household's exit verdict for `year` against `line` (default: that year's 脱贫验收标准)."""
    if line is None:
        line = poverty_line(year)
    return rules.judge_household(household_facts(household, year), line)


def latest_result(household) -> HouseholdResult | None:
    """The household's result in the latest finished run that checked it."""
    return (
        HouseholdResult.objects.filter(household=household, run__state=JobState.DONE)
        .select_related("run")
        .order_by("-run_id")
        .first()
    )


# --- Runs ------------------------------------------------------------------------------------------------


def may_run_county(user) -> bool:
    """County-wide runs: users whose role changes EligibilityRun at county level."""
    if user.is_superuser:
        return True
    profile = getattr(user, "staff_profile", None)
    return profile is not None and level_for(
        profile.role, "change", EligibilityRun.role_overrides
    ) == Level.COUNTY


def runnable_townships(user):
    """Townships the user may start a run for (a township cadre: their own)."""
    if not can(user, "change", EligibilityRun):
        return Township.objects.none()
    return Township.objects.restrict(user, "change")


def create_run(*, year: int, county: County, township: Township | None = None, user=None,
               kind: str = PovertyLine.Kind.EXIT_CHECK,
               trigger: str = EligibilityRun.Trigger.MANUAL) -> EligibilityRun:
    """A pending run with the rules in force now copied onto it, queued for a worker once committed.

    UncheckableYear when `year` has no line of `kind` or no income records.
    """
    from .tasks import run_exit_check

    indicators = [
        {
            "code": indicator.code, "name": indicator.name, "requires_amount": indicator.requires_amount,
            "minimum_amount": None if indicator.minimum_amount is None else str(indicator.minimum_amount),
        }
        for indicator in VillageIndicator.objects.filter(counts=True)
    ]
    run = EligibilityRun.objects.create(
        county=county, township=township, year=year, created_by=user, trigger=trigger, line_kind=kind,
        line=checked_line(year, kind), threshold=county.province_threshold_percent, indicators=indicators,
    )
    transaction.on_commit(lambda: run_exit_check.delay(run.pk))
    return run


def scheduled_runs() -> list[EligibilityRun]:
    """A county-wide run per county for default_year(); none while no year has both incomes and a line."""
    year = default_year()
    if year is None:
        return []
    return [
        create_run(year=year, county=county, trigger=EligibilityRun.Trigger.SCHEDULED)
        for county in County.objects.all()
    ]

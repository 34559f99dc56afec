"""Exit checks for one household through the ORM (the workflow, the household page) and rule look-ups."""
import datetime
from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import IncomeRecord
from povertyapp.access import can
from povertyapp.jobs import JobState
from povertyapp.roles import Level, level_for
from villages.models import County, Township

from . import rules
from .models import EligibilityRun, HouseholdResult, PovertyLine, VillageIndicator


class MissingPovertyLine(LookupError):
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
        has_income_record=income is not None,
        per_capita_income=income.per_capita_net_income(len(members)) if income else None,
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
    """A pending run with the rules in force now copied onto it, queued for a worker once committed."""
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
        line=poverty_line(year, kind), threshold=county.province_threshold_percent, indicators=indicators,
    )
    transaction.on_commit(lambda: run_exit_check.delay(run.pk))
    return run


def scheduled_year() -> int:
    """The current year if it has a 脱贫验收标准, else the latest year that has one."""
    this_year = timezone.localdate().year
    years = PovertyLine.objects.filter(kind=PovertyLine.Kind.EXIT_CHECK, year__lte=this_year)
    return years.order_by("-year").values_list("year", flat=True).first() or this_year


def scheduled_runs() -> list[EligibilityRun]:
    year = scheduled_year()
    return [
        create_run(year=year, county=county, trigger=EligibilityRun.Trigger.SCHEDULED)
        for county in County.objects.all()
    ]

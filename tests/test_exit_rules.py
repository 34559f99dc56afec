"""Exit criteria on a table of households: each fails exactly one criterion, passes, sits at the line or has no members.

Every case is judged twice — by check_household (ORM + rules.py) and by the set-based SQL run —
and both must give the same verdict, figure for figure.
"""
import datetime
from decimal import Decimal

import pytest

from exits import batch, rules
from exits.models import EligibilityRun, PovertyLine
from exits.services import check_household, poverty_line
from households import choices
from households.rules import per_capita_net_income
from tests import factories

YEAR = 2017  # 脱贫验收标准 3,335 元 (preloaded by the data migration)
LINE = Decimal("3335")


def child(household, birth_date, **fields):
    return factories.member(household, relation=choices.Relation.SON, birth_date=birth_date, **fields)


def out_of_school(birth_date, **fields):
    return lambda h: child(h, birth_date, education="", school_status=choices.SchoolStatus.NOT_IN_SCHOOL, **fields)


# name, household fields, income amounts (None: no ledger row), extra setup, expected codes, expected detail
CASES = [
    ("passes", {}, {}, None, (), None),
    ("exactly_at_the_line", {}, {"wage_income": "6670", "business_income": "0"}, None, (), None),
    ("one_fen_below", {}, {"wage_income": "6669.98", "business_income": "0"}, None, ("income",),
     "人均纯收入 3,334.99 元 < 3,335.00 元"),
    ("expenses_above_income", {}, {"wage_income": "1000", "business_income": "0", "production_expenses": "2001"},
     None, ("income",), "人均纯收入 -500.50 元 < 3,335.00 元"),
    ("no_ledger_for_the_year", {}, None, None, ("income",), "无2017年度收入记录"),
    ("no_members", {"members": 0}, {}, None, ("members",), "无在册成员"),
    ("food_and_clothing", {"food_and_clothing_secure": False}, {}, None, ("food_clothing",), "登记为吃穿未解决"),
    ("child_out_of_school", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2008, 3, 1)),
     ("education",), "1 名6–15岁成员未在校(非因病残)"),
    ("child_never_enrolled", {}, {"wage_income": "30000"},
     lambda h: child(h, datetime.date(2009, 5, 1), education=choices.Education.ILLITERATE, school_status=""),
     ("education",), "1 名6–15岁成员未在校"),
    ("disabled_child_is_exempt", {}, {"wage_income": "30000"},
     out_of_school(datetime.date(2008, 3, 1), health=choices.Health.DISABLED), (), None),
    ("turns_6_by_31_august", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2011, 8, 31)),
     ("education",), "1 名"),
    ("turns_6_after_31_august", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2011, 9, 1)), (), None),
    ("still_15_on_31_august", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2001, 9, 1)),
     ("education",), "1 名"),
    ("already_16_on_31_august", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2001, 8, 31)), (), None),
    ("uninsured_member", {}, {},
     lambda h: h.members.filter(relation=choices.Relation.SPOUSE).update(has_medical_insurance=False),
     ("medical",), "1 名成员未参加基本医疗保险"),
    ("uninsured_member_who_left", {}, {},
     lambda h: h.members.filter(relation=choices.Relation.SPOUSE).update(has_medical_insurance=False, is_active=False),
     (), None),
    ("dangerous_house", {"housing_grade": "C", "was_dangerous_house": True}, {}, None, ("housing",),
     "住房为C级危房,未改造"),
    ("renovated_dangerous_house", {"housing_grade": "D", "was_dangerous_house": True, "house_renovated": True}, {},
     None, (), None),
    ("housing_not_assessed", {"housing_grade": ""}, {}, None, ("housing",), "住房安全等级未鉴定"),
    ("unsafe_water", {"safe_drinking_water": False}, {}, None, ("water",), "饮水不安全"),
]


@pytest.fixture
def village(db):
    return factories.village(factories.township("检测镇"), "检测村")


def build(village, fields, income, setup):
    fields = dict(fields)
    household = factories.household(village, members=fields.pop("members", 2), **fields)
    if income is not None:
        factories.income(household, year=YEAR, **{k: Decimal(v) for k, v in income.items()})
    if setup is not None:
        setup(household)
    household.refresh_from_db()
    return household


def run_now(county, year=YEAR, township=None, chunk_size=None):
    """A run carried out in-process (the Celery task calls the same function)."""
    run = EligibilityRun.objects.create(
        county=county, township=township, year=year, line_kind=PovertyLine.Kind.EXIT_CHECK,
        line=poverty_line(year), threshold=county.province_threshold_percent,
    )
    batch.execute(run.pk, chunk_size=chunk_size)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize("name, fields, income, setup, codes, detail", CASES, ids=[case[0] for case in CASES])
def test_household_verdict(village, name, fields, income, setup, codes, detail):
    household = build(village, fields, income, setup)
    verdict = check_household(household, YEAR)
    assert verdict.failure_codes == codes
    assert verdict.passed == (not codes)
    assert verdict.line == LINE
    if detail:
        assert detail in verdict.failures[0].detail
        assert verdict.failures[0].label == str(rules.CRITERIA_BY_CODE[codes[0]].label)

    run = run_now(village.township.county)
    result = run.household_results.get(household=household)
    assert result.failure_codes == codes
    assert result.passed == (not codes)
    assert result.verdict() == verdict  # same figures, same Chinese details


def test_every_failed_criterion_is_listed_with_its_figures(village):
    household = build(
        village, {"housing_grade": "D", "safe_drinking_water": False, "food_and_clothing_secure": False},
        {"wage_income": "3000", "business_income": "0"},
        lambda h: h.members.update(has_medical_insurance=False),
    )
    out_of_school(datetime.date(2010, 1, 1))(household)
    verdict = check_household(household, YEAR)
    assert verdict.failure_codes == ("income", "food_clothing", "education", "medical", "housing", "water")
    assert verdict.failures[0].detail == "人均纯收入 1,000.00 元 < 3,335.00 元"  # 3,000 / 3 members
    assert verdict.failures[3].detail == "2 名成员未参加基本医疗保险"  # the child added later is insured
    run = run_now(village.township.county)
    assert run.household_results.get().verdict() == verdict
    assert run.failure_counts == {
        "members": 0, "income": 1, "food_clothing": 1, "education": 1, "medical": 1, "housing": 1, "water": 1,
    }


def test_a_given_line_overrides_the_years_line(village):
    household = build(village, {}, {"wage_income": "6670", "business_income": "0"}, None)
    assert check_household(household, YEAR, line=Decimal("3335.01")).failure_codes == ("income",)


# Per-capita income in SQL (integer fen, half away from zero) equals households.rules on awkward figures.
PER_CAPITA_CASES = [
    # wage, business, property, policy transfers, other transfers, expenses, members
    ("16385", "0", "0", "0", "0", "0", 4),  # the domain example 4,096.25
    ("10000", "0", "0", "0", "0", "0", 3),  # 3,333.333… → 3,333.33
    ("20000.02", "0", "0", "0", "0", "0", 3),  # 6,666.673… → 6,666.67
    ("0.05", "0", "0", "0", "0", "0", 2),  # 0.025 → 0.03 (half up)
    ("1.01", "0", "0", "0", "0", "0", 2),  # 0.505 → 0.51 (a float would give 0.50)
    ("1.005", "0", "0", "0", "0", "0", 1),  # stored as 1.01 (two places)
    ("0", "0", "0", "0", "0", "0.05", 2),  # -0.025 → -0.03 (away from zero, as Decimal ROUND_HALF_UP)
    ("1000", "0", "0", "0", "0", "2001", 2),  # -500.50
    ("12345.67", "890.12", "33.33", "4567.89", "0.01", "1234.56", 3),
    ("9999999999.99", "0", "0", "0", "0", "0", 7),  # the largest ledger amount
    ("3335.02", "3334.99", "0", "0", "0", "0.01", 2),  # exactly 3,335.00
    ("7", "0", "0", "0", "0", "0", 6),  # 1.1666… → 1.17
]


def test_sql_and_python_per_capita_income_agree(village):
    households = []
    for wage, business, property_, policy, other, expenses, size in PER_CAPITA_CASES:
        household = factories.household(village, members=size)
        record = factories.income(
            household, year=YEAR, wage_income=Decimal(wage), business_income=Decimal(business),
            property_income=Decimal(property_), policy_transfer_income=Decimal(policy),
            other_transfer_income=Decimal(other), production_expenses=Decimal(expenses),
        )
        record.refresh_from_db()  # the stored (rounded) amounts
        expected = per_capita_net_income(
            wage=record.wage_income, business=record.business_income, property_=record.property_income,
            transfers=record.transfer_income, expenses=record.production_expenses, household_size=size,
        )
        households.append((household, expected))
    run = run_now(village.township.county)
    stored = dict(run.household_results.values_list("household_id", "per_capita_cents"))
    for household, expected in households:
        assert Decimal(stored[household.pk]) / 100 == expected, household
    assert households[0][1] == Decimal("4096.25") and households[4][1] == Decimal("0.51")


# --- Villages ---------------------------------------------------------------------------------------


def poor_village(township, poor_persons, population=1000, **fields):
    """A village with `poor_persons` registered poor persons (in households of one) and a 户籍 population."""
    village = factories.village(township, population=population, **fields)
    for _ in range(poor_persons):
        factories.household(village, members=1)
    return village


@pytest.mark.parametrize(
    "poor_persons, below",
    [(29, True), (30, False), (31, False)],  # 2.9 %, exactly 3 %, 3.1 % against the default 3 %
    ids=["just_under", "at_threshold", "just_over"],
)
def test_village_incidence_against_the_threshold(db, poor_persons, below):
    township = factories.township()
    village = poor_village(township, poor_persons)
    factories.household(village, members=3, status=choices.Status.EXITED_WITH_POLICY, exit_year=2016)  # not counted
    run = run_now(township.county, township=township)
    result = run.village_results.get(village=village)
    assert result.poor_persons == poor_persons
    assert result.registered_persons == 1000
    assert result.incidence == Decimal(poor_persons) / 10
    assert result.below_threshold is below


def test_two_percent_threshold_and_a_rule_change_does_not_rewrite_past_runs(db):
    township = factories.township()
    village = poor_village(township, 25)
    first = run_now(township.county, township=township)
    county = township.county
    county.province_threshold_percent = Decimal("2")
    county.save()
    second = run_now(county, township=township)
    assert (first.threshold, second.threshold) == (Decimal("3.00"), Decimal("2.00"))
    assert first.village_results.get(village=village).below_threshold is True
    assert second.village_results.get(village=village).below_threshold is False
    first.refresh_from_db()
    assert first.village_results.get(village=village).below_threshold is True  # kept as it was


def test_latest_population_up_to_the_year_is_the_denominator(db):
    township = factories.township()
    village = poor_village(township, 10, population=1000)  # as of 2016-01-01
    village.populations.create(as_of=datetime.date(2017, 6, 30), registered_persons=500, registered_households=120)
    village.populations.create(as_of=datetime.date(2018, 6, 30), registered_persons=400, registered_households=100)
    result = run_now(township.county, township=township).village_results.get()
    assert (result.registered_persons, result.incidence) == (500, Decimal("2.00"))


def test_indicators_count_and_the_latest_value_applies(db):
    from exits.models import VillageIndicator

    township = factories.township()
    village = poor_village(township, 0)
    VillageIndicator.objects.exclude(code__in=["road", "collective_income"]).update(counts=False)
    road, income = VillageIndicator.objects.get(code="road"), VillageIndicator.objects.get(code="collective_income")
    village.indicator_values.create(indicator=road, year=2015, met=True)
    village.indicator_values.create(indicator=income, year=2016, amount=Decimal("60000"))
    village.indicator_values.create(indicator=income, year=2017, amount=Decimal("49999.99"))  # below 50,000
    village.indicator_values.create(indicator=income, year=2018, amount=Decimal("80000"))  # after the checked year

    def run_result():
        from exits.services import create_run

        run = create_run(year=YEAR, county=township.county, township=township)
        batch.execute(run.pk)
        return run.village_results.get()

    result = run_result()
    assert result.below_threshold and result.unmet_indicators == ["村集体经济收入"] and not result.passed
    income.minimum_amount = Decimal("40000")
    income.save()
    assert run_result().passed


@pytest.mark.parametrize(
    "planned, exited, passed, progress",
    [
        (2017, None, True, rules.Progress.DONE),
        (2016, None, False, rules.Progress.BEHIND),
        (2019, None, True, rules.Progress.AHEAD),
        (2019, None, False, rules.Progress.ON_PLAN),
        (2016, 2016, False, rules.Progress.EXITED),
        (None, None, False, rules.Progress.UNPLANNED),
    ],
)
def test_village_progress_against_its_planned_exit_year(planned, exited, passed, progress):
    assert rules.village_progress(YEAR, planned, exited, passed) == progress

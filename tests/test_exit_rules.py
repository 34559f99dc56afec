"""Exit criteria: the registry's Python predicates against their SQL twins on every state of the facts; the
housing and income rules at their boundaries; a table of households judged twice — by check_household
(ORM + rules.py) and by the set-based SQL run — with the same verdict, figure for figure; villages and the county.
"""
import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import connection

from exits import batch, rules
from exits.models import EligibilityRun, PovertyLine
from exits.services import check_household, poverty_line
from households import choices
from households.models import Household
from households.rules import net_income
from tests import factories

YEAR = 2017  # 脱贫验收标准 3,335 元 (preloaded by the data migration)
LINE = Decimal("3335")
PASSED, FAILED, NOT_ASSESSABLE = rules.Outcome.PASSED, rules.Outcome.FAILED, rules.Outcome.NOT_ASSESSABLE


def facts(**fields) -> rules.HouseholdFacts:
    """A household's facts that pass every criterion, with `fields` changed."""
    values = {
        "year": YEAR, "member_count": 2, "net_income": Decimal("15000"), "food_and_clothing_secure": True,
        "children_out_of_school": 0, "uninsured_members": 0, "housing_grade": "B", "was_dangerous_house": None,
        "house_renovated": False, "safe_drinking_water": True, "visit": None,
    }
    values.update(fields)
    return rules.HouseholdFacts(**values)


# --- The registry: Python predicates and their SQL twins agree on every state ------------------------------

FACT_STATES = {
    "member_count": (0, 1, 3),
    "income": (None, -1, 0, 1),  # no ledger, or net = line × persons + this many fen
    "food_and_clothing_secure": (True, False),
    "children_out_of_school": (0, 1),
    "uninsured_members": (0, 2),
    "housing_grade": ("", "A", "B", "C", "D"),
    "was_dangerous_house": (None, True, False),
    "house_renovated": (False, True),
    "safe_drinking_water": (True, False),
    "visit": (None, frozenset({"housing"}), frozenset({"water", "education"})),
}
BOOLEAN_FACTS = ("food_and_clothing_secure", "was_dangerous_house", "house_renovated", "safe_drinking_water")
# The columns of batch.py's facts that rules.judged_masks_sql reads, with their types.
FACT_COLUMNS = {
    "member_count": "INTEGER", "net_income_cents": "BIGINT", "children_out_of_school": "INTEGER",
    "uninsured_members": "INTEGER", "housing_grade": "VARCHAR(1)", "visit_mask": "INTEGER",
    **{name: "BOOLEAN" for name in BOOLEAN_FACTS},
}


def every_state(line_cents: int):
    """(facts, row of FACT_COLUMNS) for every combination of FACT_STATES."""
    for values in itertools.product(*FACT_STATES.values()):
        state = dict(zip(FACT_STATES, values))
        fen, insecure = state.pop("income"), state.pop("visit")
        net_cents = None if fen is None else line_cents * state["member_count"] + fen
        visit = insecure and rules.VisitFindings(datetime.date(YEAR, 6, 1), insecure)
        row = {
            **state, "net_income_cents": net_cents,
            "visit_mask": sum(rules.CRITERIA_BY_CODE[code].bit for code in insecure or ()),
        }
        household = facts(**state, visit=visit, net_income=None if net_cents is None else Decimal(net_cents) / 100)
        yield household, tuple(row[name] for name in FACT_COLUMNS)


def sql_masks(rows, line_cents: int) -> list[tuple[int, int]]:
    """rules.judged_masks_sql evaluated by the database over `rows` of facts, in order."""
    failed, gaps = rules.judged_masks_sql("visit_mask")
    definitions = ", ".join(f"{name} {kind}" for name, kind in {"position": "INTEGER", **FACT_COLUMNS}.items())
    placeholders = ", ".join(["%s"] * (len(FACT_COLUMNS) + 1))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE exit_facts ({definitions})")
        try:
            cursor.executemany(
                f"INSERT INTO exit_facts (position, {', '.join(FACT_COLUMNS)}) VALUES ({placeholders})",
                [(position, *row) for position, row in enumerate(rows)],
            )
            cursor.execute(f"SELECT {failed}, {gaps} FROM exit_facts ORDER BY position", {"line_cents": line_cents})
            return cursor.fetchall()
        finally:
            cursor.execute("DROP TABLE exit_facts")


@pytest.mark.django_db
def test_python_and_sql_criteria_agree_on_every_state():
    line = Decimal("3333.34")  # a line that persons do not divide evenly
    states = list(every_state(int(line * 100)))
    judged = sql_masks([row for _facts, row in states], int(line * 100))
    outcomes = set()
    for (household, _row), (failed_mask, gap_mask) in zip(states, judged, strict=True):
        verdict = rules.judge_household(household, line)
        assert rules.codes_from_mask(failed_mask) == verdict.failure_codes, household
        assert rules.codes_from_mask(gap_mask) == verdict.gap_codes, household
        assert rules.outcome_of(bool(failed_mask), bool(gap_mask)) == verdict.outcome
        outcomes.add(verdict.outcome)
    assert len(states) == 17_280 and outcomes == {PASSED, FAILED, NOT_ASSESSABLE}


# --- Housing: the grade when appraised, else the 危房户 flag; a gap when the register says nothing ---------

@pytest.mark.parametrize(
    "grade, flagged, renovated, outcome, detail",
    [
        ("A", None, False, PASSED, None),
        ("B", True, False, PASSED, None),  # rebuilt and re-appraised: the grade decides
        ("C", None, False, FAILED, "住房为C级危房,未改造"),
        ("D", False, False, FAILED, "住房为D级危房,未改造"),
        ("D", True, True, PASSED, None),  # renovated
        ("", True, False, FAILED, "登记为危房户,未改造"),
        ("", True, True, PASSED, None),
        ("", False, False, PASSED, None),  # 是否危房户: 否 — an imported household with no grade is safe
        ("", None, True, PASSED, None),  # renovated says enough
        ("", None, False, NOT_ASSESSABLE, "未鉴定住房安全等级,也未登记是否危房户"),
    ],
)
def test_housing(grade, flagged, renovated, outcome, detail):
    verdict = rules.judge_household(
        facts(housing_grade=grade, was_dangerous_house=flagged, house_renovated=renovated), LINE
    )
    assert verdict.outcome == outcome
    findings = verdict.failures + verdict.gaps
    assert [(f.code, f.detail) for f in findings] == ([("housing", detail)] if detail else [])


@pytest.mark.django_db
def test_the_registers_housing_unrecorded_list_is_the_housing_gap():
    """households' data-quality list of households whose housing is unrecorded names the same households."""
    village = factories.village()
    states = list(itertools.product(["", "A", "C"], [None, True, False], [False, True]))
    households = {
        factories.household(village, members=0, housing_grade=grade, was_dangerous_house=flagged,
                            house_renovated=renovated).pk: (grade, flagged, renovated)
        for grade, flagged, renovated in states
    }
    listed = set(Household.objects.housing_unrecorded().values_list("pk", flat=True))
    for pk, (grade, flagged, renovated) in households.items():
        household = facts(housing_grade=grade, was_dangerous_house=flagged, house_renovated=renovated)
        assert (pk in listed) is rules.HOUSING.gap(household), (grade, flagged, renovated)
    assert len(listed) == 1


def test_a_visit_that_finds_the_housing_insecure_judges_it():
    seen = rules.VisitFindings(datetime.date(YEAR, 5, 1), frozenset({"housing"}))
    verdict = rules.judge_household(facts(housing_grade="", was_dangerous_house=None, visit=seen), LINE)
    assert (verdict.outcome, verdict.failure_codes, verdict.gaps) == (FAILED, ("housing",), ())
    assert verdict.failures[0].detail == "2017-05-01 走访记录为不达标"


# --- Income: net ≥ line × persons, exactly; rounded only for display ----------------------------------------

@pytest.mark.parametrize(
    "net, persons, line, passes, shown",
    [
        ("10000.01", 3, "3333.34", False, "人均纯收入 3,333.3366 元 < 3,333.34 元"),  # 3,333.34 once rounded
        ("10000.02", 3, "3333.34", True, None),  # exactly line × persons
        ("10000.03", 3, "3333.34", True, None),
        ("9999.98", 3, "3333.33", False, "人均纯收入 3,333.3266 元 < 3,333.33 元"),  # 3,333.33 once rounded
        ("9999.99", 3, "3333.33", True, None),
        ("10004.99", 3, "3335", False, "人均纯收入 3,334.9966 元 < 3,335.00 元"),  # 3,335.00 once rounded
        ("10005", 3, "3335", True, None),
        ("6669.99", 2, "3335", False, "人均纯收入 3,334.995 元 < 3,335.00 元"),
        ("6669.98", 2, "3335", False, "人均纯收入 3,334.99 元 < 3,335.00 元"),  # rounding says it: shown as usual
        ("-0.01", 1, "0", False, "人均纯收入 -0.01 元 < 0.00 元"),
    ],
)
def test_income_is_compared_exactly(net, persons, line, passes, shown):
    verdict = rules.judge_household(facts(member_count=persons, net_income=Decimal(net)), Decimal(line))
    assert verdict.passed is passes
    assert [f.detail for f in verdict.failures] == ([shown] if shown else [])


# --- Households through check_household (ORM) and the set-based run (SQL) ------------------------------------


def child(household, birth_date, **fields):
    return factories.member(household, relation=choices.Relation.SON, birth_date=birth_date, **fields)


def out_of_school(birth_date, **fields):
    return lambda h: child(h, birth_date, education="", school_status=choices.SchoolStatus.NOT_IN_SCHOOL, **fields)


# name, household fields, income amounts (None: no ledger row), extra setup, failed codes, gap codes, first detail
CASES = [
    ("passes", {}, {}, None, (), (), None),
    ("exactly_at_the_line", {}, {"wage_income": "6670", "business_income": "0"}, None, (), (), None),
    ("one_fen_below", {}, {"wage_income": "6669.99", "business_income": "0"}, None, ("income",), (),
     "人均纯收入 3,334.995 元 < 3,335.00 元"),
    ("three_persons_one_fen_below", {"members": 3}, {"wage_income": "10004.99", "business_income": "0"}, None,
     ("income",), (), "人均纯收入 3,334.9966 元 < 3,335.00 元"),
    ("three_persons_at_the_line", {"members": 3}, {"wage_income": "10005", "business_income": "0"}, None,
     (), (), None),
    ("expenses_above_income", {}, {"wage_income": "1000", "business_income": "0", "production_expenses": "2001"},
     None, ("income",), (), "人均纯收入 -500.50 元 < 3,335.00 元"),
    ("no_ledger_for_the_year", {}, None, None, (), ("income",), "无2017年度收入记录"),
    ("no_members", {"members": 0}, {}, None, (), ("members", "income"), "无在册成员"),
    ("no_members_and_no_ledger", {"members": 0}, None, None, (), ("members", "income"), "无在册成员"),
    ("food_and_clothing", {"food_and_clothing_secure": False}, {}, None, ("food_clothing",), (), "登记为吃穿未解决"),
    ("child_out_of_school", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2008, 3, 1)),
     ("education",), (), "1 名6–15岁成员未在校(非因病残)"),
    ("child_never_enrolled", {}, {"wage_income": "30000"},
     lambda h: child(h, datetime.date(2009, 5, 1), education=choices.Education.ILLITERATE, school_status=""),
     ("education",), (), "1 名6–15岁成员未在校"),
    ("disabled_child_is_exempt", {}, {"wage_income": "30000"},
     out_of_school(datetime.date(2008, 3, 1), health=choices.Health.DISABLED), (), (), None),
    ("turns_6_by_31_august", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2011, 8, 31)),
     ("education",), (), "1 名"),
    ("turns_6_after_31_august", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2011, 9, 1)),
     (), (), None),
    ("still_15_on_31_august", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2001, 9, 1)),
     ("education",), (), "1 名"),
    ("already_16_on_31_august", {}, {"wage_income": "30000"}, out_of_school(datetime.date(2001, 8, 31)),
     (), (), None),
    ("uninsured_member", {}, {},
     lambda h: h.members.filter(relation=choices.Relation.SPOUSE).update(has_medical_insurance=False),
     ("medical",), (), "1 名成员未参加基本医疗保险"),
    ("uninsured_member_who_left", {}, {},
     lambda h: h.members.filter(relation=choices.Relation.SPOUSE).update(has_medical_insurance=False, is_active=False),
     (), (), None),
    ("dangerous_house", {"housing_grade": "C", "was_dangerous_house": True}, {}, None, ("housing",), (),
     "住房为C级危房,未改造"),
    ("renovated_dangerous_house", {"housing_grade": "D", "was_dangerous_house": True, "house_renovated": True}, {},
     None, (), (), None),
    ("flagged_without_grade", {"housing_grade": "", "was_dangerous_house": True}, {}, None, ("housing",), (),
     "登记为危房户,未改造"),
    ("not_a_dangerous_house", {"housing_grade": "", "was_dangerous_house": False}, {}, None, (), (), None),
    ("housing_not_recorded", {"housing_grade": "", "was_dangerous_house": None}, {}, None, (), ("housing",),
     "未鉴定住房安全等级,也未登记是否危房户"),
    ("unsafe_water", {"safe_drinking_water": False}, {}, None, ("water",), (), "饮水不安全"),
    ("gap_and_failure", {"housing_grade": "", "safe_drinking_water": False}, None, None, ("water",),
     ("income", "housing"), "饮水不安全"),
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


def run_now(county, year=YEAR, township=None, chunk_size=None, line=None):
    """A run carried out in-process (the Celery task calls the same function)."""
    run = EligibilityRun.objects.create(
        county=county, township=township, year=year, line_kind=PovertyLine.Kind.EXIT_CHECK,
        line=line or poverty_line(year), threshold=county.province_threshold_percent,
    )
    batch.execute(run.pk, chunk_size=chunk_size)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize("name, fields, income, setup, codes, gaps, detail", CASES, ids=[case[0] for case in CASES])
def test_household_verdict(village, name, fields, income, setup, codes, gaps, detail):
    household = build(village, fields, income, setup)
    verdict = check_household(household, YEAR)
    assert (verdict.failure_codes, verdict.gap_codes) == (codes, gaps)
    assert verdict.outcome == (NOT_ASSESSABLE if gaps else FAILED if codes else PASSED)
    assert verdict.line == LINE
    findings = verdict.gaps + verdict.failures
    assert all(finding.label == str(rules.CRITERIA_BY_CODE[finding.code].label) for finding in findings)
    if detail:
        assert any(detail in finding.detail for finding in findings)

    run = run_now(village.township.county)
    result = run.household_results.get(household=household)
    assert (result.failure_codes, result.gap_codes, result.outcome) == (codes, gaps, verdict.outcome)
    assert result.passed == verdict.passed
    assert result.verdict() == verdict  # same figures, same Chinese details
    assert (run.households_passed, run.households_not_assessable, run.households_failed) == (
        verdict.outcome == PASSED, verdict.outcome == NOT_ASSESSABLE, verdict.outcome == FAILED,
    )
    assert {code for code, n in run.gap_counts.items() if n} == set(gaps)
    assert {code for code, n in run.failure_counts.items() if n} == set(codes)


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
        "income": 1, "food_clothing": 1, "education": 1, "medical": 1, "housing": 1, "water": 1,
    }
    assert run.gap_counts == {"members": 0, "income": 0, "housing": 0}


def test_a_given_line_overrides_the_years_line(village):
    household = build(village, {}, {"wage_income": "6670", "business_income": "0"}, None)
    assert check_household(household, YEAR, line=Decimal("3335.01")).failure_codes == ("income",)


@pytest.mark.parametrize(
    "net, line, passes",
    [("10000.01", "3333.34", False), ("10000.02", "3333.34", True), ("9999.98", "3333.33", False),
     ("9999.99", "3333.33", True)],
)
def test_the_run_compares_income_exactly_like_check_household(village, net, line, passes):
    household = build(village, {"members": 3}, {"wage_income": net, "business_income": "0"}, None)
    verdict = check_household(household, YEAR, line=Decimal(line))
    assert verdict.passed is passes
    result = run_now(village.township.county, line=Decimal(line)).household_results.get()
    assert result.passed is passes and result.verdict() == verdict
    assert result.net_income == Decimal(net)


# Net income in SQL (integer fen) equals households.rules.net_income; per capita is derived for display only.
NET_INCOME_CASES = [
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


def test_sql_and_python_net_income_agree(village):
    households = []
    for wage, business, property_, policy, other, expenses, size in NET_INCOME_CASES:
        household = factories.household(village, members=size)
        record = factories.income(
            household, year=YEAR, wage_income=Decimal(wage), business_income=Decimal(business),
            property_income=Decimal(property_), policy_transfer_income=Decimal(policy),
            other_transfer_income=Decimal(other), production_expenses=Decimal(expenses),
        )
        record.refresh_from_db()  # the stored (rounded) amounts
        households.append((household, record, size))
    run = run_now(village.township.county)
    results = {result.household_id: result for result in run.household_results.select_related("run")}
    for household, record, size in households:
        result = results[household.pk]
        assert result.net_income == net_income(
            wage=record.wage_income, business=record.business_income, property_=record.property_income,
            transfers=record.transfer_income, expenses=record.production_expenses,
        ), household
        assert result.per_capita_income == record.per_capita_net_income(size)
    assert results[households[0][0].pk].per_capita_income == Decimal("4096.25")
    assert results[households[4][0].pk].per_capita_income == Decimal("0.51")


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

    factories.income(factories.household(village, status=choices.Status.EXITED), year=YEAR)  # the year has incomes

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
    "planned, exited, outcome, progress",
    [
        (2017, None, PASSED, rules.Progress.DONE),
        (2016, None, FAILED, rules.Progress.BEHIND),
        (2016, None, NOT_ASSESSABLE, rules.Progress.UNKNOWN),
        (2019, None, PASSED, rules.Progress.AHEAD),
        (2019, None, FAILED, rules.Progress.ON_PLAN),
        (2019, None, NOT_ASSESSABLE, rules.Progress.ON_PLAN),
        (2016, 2016, FAILED, rules.Progress.EXITED),
        (None, None, NOT_ASSESSABLE, rules.Progress.UNPLANNED),
    ],
)
def test_village_progress_against_its_planned_exit_year(planned, exited, outcome, progress):
    assert rules.village_progress(YEAR, planned, exited, outcome) == progress


@pytest.mark.parametrize(
    "registered, lacking, unmet, incidence, below, outcome, gap",
    [
        (1000, 0, (), Decimal("2.00"), True, PASSED, ""),
        (1000, 0, ("通硬化路",), Decimal("2.00"), True, FAILED, ""),
        (500, 0, (), Decimal("4.00"), False, FAILED, ""),
        (None, 0, (), None, None, NOT_ASSESSABLE, "无户籍人口数"),
        (0, 0, ("通硬化路",), None, None, NOT_ASSESSABLE, "无户籍人口数"),  # unmet indicators shown, still unknown
        (1000, 2, (), None, None, NOT_ASSESSABLE, "2 个村无户籍人口数"),  # a county with an incomplete denominator
    ],
)
def test_an_area_without_a_registered_population_cannot_be_assessed(
    registered, lacking, unmet, incidence, below, outcome, gap
):
    verdict = rules.judge_area(20, registered, Decimal("3"), unmet, villages_without_population=lacking)
    assert (verdict.incidence, verdict.below_threshold, verdict.outcome, verdict.gap) == (
        incidence, below, outcome, gap,
    )
    assert verdict.passed is (outcome == PASSED)


def test_a_village_without_population_is_not_assessable_nor_is_the_county(db):
    township = factories.township()
    counted = poor_village(township, 10)
    unknown = poor_village(township, 5, population=None)
    unknown.planned_exit_year = 2016  # due: its progress cannot be told either
    unknown.save()
    factories.income(factories.household(counted), year=YEAR)
    run = run_now(township.county)
    result = run.village_results.get(village=unknown)
    assert (result.incidence, result.below_threshold, result.passed) == (None, None, False)
    assert (result.outcome, result.gap, result.progress) == (NOT_ASSESSABLE, "无户籍人口数", rules.Progress.UNKNOWN)
    assert run.village_results.get(village=counted).outcome == PASSED  # 12 / 1,000
    assert (run.villages_checked, run.villages_passed, run.villages_without_population, run.villages_failed) == (
        2, 1, 1, 0,
    )
    assert (run.poor_persons, run.registered_persons) == (17, 1000)
    area = run.area
    assert (area.outcome, area.incidence, area.below_threshold, area.gap) == (
        NOT_ASSESSABLE, None, None, "1 个村无户籍人口数",
    )

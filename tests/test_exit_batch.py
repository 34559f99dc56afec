"""The set-based run: equal to check_household for every household, idempotent, safe when it fails or is killed."""
import datetime
import itertools
import random
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from exits import batch, rules
from exits.models import EligibilityRun, HouseholdResult
from exits.services import MissingIncomeData, check_household, create_run, default_year, latest_result
from exits.tasks import monthly_exit_check, run_exit_check
from households import choices
from povertyapp.celery import app as celery_app
from tests import factories

YEAR = 2017
VISIT_FIELDS = ("food_clothing", "education", "medical", "housing", "water")


def visit(household, cadre, when, status="done", **observations):
    from visits.models import Visit

    return Visit.objects.create(
        household=household, visitor=cadre, planned_date=when, status=status,
        actual_date=when if status == "done" else None, **observations,
    )


def small_county(seed=4):
    """Two townships of varied households: sizes 0–5, children of all ages, ledgers or none, visits."""
    rng, flags = random.Random(seed), random.Random(seed + 3)  # flags: the 危房户 answer, drawn apart
    townships = [factories.township(f"随机镇{n}") for n in range(2)]
    cadre = factories.cadre()
    households = []
    for n in range(36):
        village = factories.village(townships[n % 2], population=300 + n)
        household = factories.household(
            village, members=rng.choice([0, 1, 2, 2, 3, 4]),
            status=rng.choice([choices.Status.NOT_EXITED] * 4 + [choices.Status.RETURNED, choices.Status.REMOVED,
                               choices.Status.CANDIDATE]),
            housing_grade=rng.choice(["A", "B", "B", "C", "D", ""]), house_renovated=rng.random() < 0.3,
            was_dangerous_house=flags.choice([None, None, True, False]),
            safe_drinking_water=rng.random() < 0.85, food_and_clothing_secure=rng.random() < 0.9,
        )
        for _ in range(rng.choice([0, 0, 1, 2])):
            birth = datetime.date(rng.randint(1999, 2013), rng.randint(1, 12), rng.randint(1, 28))
            education, school_status = rng.choice([
                ("", choices.SchoolStatus.PRIMARY), ("", choices.SchoolStatus.GRADE_8),  # in school
                (choices.Education.PRIMARY, ""), ("", choices.SchoolStatus.NOT_IN_SCHOOL),  # out of school
            ])
            factories.member(
                household, birth_date=birth, health=rng.choice("1111234"), education=education,
                school_status=school_status,
                has_medical_insurance=rng.random() < 0.9, is_active=rng.random() < 0.9,
            )
        if rng.random() < 0.85:
            factories.income(
                household, year=YEAR, wage_income=Decimal(rng.randint(0, 2_000_000)) / 100,
                business_income=Decimal(rng.randint(0, 500_000)) / 100,
                production_expenses=Decimal(rng.randint(0, 300_000)) / 100,
            )
        factories.income(household, year=YEAR + 1, wage_income=Decimal("1"))  # another year: ignored
        for day in rng.sample(range(1, 700), rng.choice([0, 1, 3])):
            when = datetime.date(2016, 6, 1) + datetime.timedelta(days=day)
            visit(household, cadre, when, status=rng.choice(["done", "done", "missed"]),
                  **{name: rng.choice(["secure", "insecure", "unchecked"]) for name in VISIT_FIELDS})
        households.append(household)
    return townships, households


def on_register(household) -> bool:
    """Removed (清退) households and candidates (待识别) are not checked."""
    return household.status not in (choices.Status.REMOVED, choices.Status.CANDIDATE)


def new_run(county, township=None, year=YEAR):
    return EligibilityRun.objects.create(
        county=county, township=township, year=year, line_kind="exit_check", line=Decimal("3335"),
        threshold=county.province_threshold_percent,
    )


def results_of(run) -> dict:
    rows = HouseholdResult.objects.filter(run=run).values()
    return {row["household_id"]: {k: v for k, v in row.items() if k not in ("id", "run_id")} for row in rows}


@pytest.mark.django_db
def test_batch_results_equal_check_household_for_every_household():
    townships, households = small_county()
    run = new_run(townships[0].county)
    assert batch.execute(run.pk, chunk_size=7)  # many primary-key chunks
    run.refresh_from_db()
    checked = [h for h in households if on_register(h)]
    assert run.state == "done" and run.households_checked == len(checked) == run.total == run.done
    results = {result.household_id: result for result in run.household_results.select_related("run")}
    assert set(results) == {h.pk for h in checked}
    verdicts = {h.pk: check_household(h, YEAR) for h in checked}
    for household in checked:
        assert results[household.pk].verdict() == verdicts[household.pk], household
        assert results[household.pk].failure_codes == verdicts[household.pk].failure_codes
    # The sample is varied enough to mean something: every criterion fails or lacks somewhere, some pass.
    assert all(run.failure_counts[code] for code in ("income", "education", "medical", "housing", "water"))
    assert all(run.gap_counts[code] for code in ("members", "income", "housing"))
    assert 0 < run.households_passed < len(checked)
    assert run.households_passed + run.households_failed + run.households_not_assessable == len(checked)
    assert 0 < run.households_not_assessable and 0 < run.households_failed
    assert any(r.visit_insecure_mask for r in results.values())


@pytest.mark.django_db
def test_a_township_run_checks_only_that_township():
    townships, households = small_county()
    run = new_run(townships[1].county, township=townships[1])
    batch.execute(run.pk, chunk_size=10)
    expected = {h.pk for h in households if h.village.township == townships[1] and on_register(h)}
    assert set(run.household_results.values_list("household", flat=True)) == expected
    assert set(run.village_results.values_list("village__township", flat=True)) == {townships[1].pk}


@pytest.mark.django_db
def test_running_twice_gives_the_same_results():
    townships, _ = small_county()
    first, second = new_run(townships[0].county), new_run(townships[0].county)
    batch.execute(first.pk, chunk_size=5)
    batch.execute(second.pk, chunk_size=50)
    first.refresh_from_db(), second.refresh_from_db()
    assert results_of(first) == results_of(second) and results_of(first)
    assert (first.failure_counts, first.households_passed) == (second.failure_counts, second.households_passed)
    strip = lambda rows: sorted((r["village_id"], r["incidence"], r["passed"]) for r in rows)  # noqa: E731
    assert strip(first.village_results.values()) == strip(second.village_results.values())


@pytest.mark.django_db
def test_a_run_is_carried_out_once_even_if_its_task_is_delivered_twice():
    townships, _ = small_county()
    run = new_run(townships[0].county)
    assert batch.execute(run.pk) is True
    assert batch.execute(run.pk) is False
    assert run.household_results.count() == EligibilityRun.objects.get(pk=run.pk).households_checked


class Crash(Exception):
    pass


@pytest.mark.django_db
def test_a_run_that_fails_after_the_first_chunk_leaves_the_previous_results():
    townships, households = small_county()
    previous = new_run(townships[0].county)
    batch.execute(previous.pk)
    before = results_of(previous)

    def crash(run, done):
        assert 0 < done < run.total  # really midway
        raise Crash("disk full")

    failing = new_run(townships[0].county)
    with pytest.raises(Crash):
        batch.execute(failing.pk, chunk_size=8, after_chunk=crash)
    failing.refresh_from_db()
    assert failing.state == "failed" and "disk full" in failing.error
    assert not failing.household_results.exists()  # its partial rows are gone
    assert results_of(previous) == before
    assert latest_result(households[0]).run == previous


@pytest.mark.django_db
def test_a_run_killed_midway_leaves_the_previous_results_current():
    townships, households = small_county()
    previous = new_run(townships[0].county)
    batch.execute(previous.pk)

    def killed(run, done):
        raise KeyboardInterrupt  # like a worker killed: nothing runs after this, no clean-up

    killed_run = new_run(townships[0].county)
    with pytest.raises(KeyboardInterrupt):
        batch.execute(killed_run.pk, chunk_size=8, after_chunk=killed)
    killed_run.refresh_from_db()
    assert killed_run.state == "running" and killed_run.household_results.exists()  # partial rows remain …
    for household in households:
        result = latest_result(household)
        assert result is None or result.run == previous  # … but the current results are the last finished run's


@pytest.mark.django_db
def test_the_latest_done_visit_up_to_the_year_decides(county):
    factories.income(county.home, year=YEAR)
    cadre = county.cadre
    visit(county.home, cadre, datetime.date(2017, 3, 1), water="insecure", housing="insecure")
    assert check_household(county.home, YEAR).failure_codes == ("housing", "water")
    assert "2017-03-01 走访记录为不达标" in check_household(county.home, YEAR).failures[0].detail
    visit(county.home, cadre, datetime.date(2017, 5, 1), water="insecure")  # the later visit replaces it
    visit(county.home, cadre, datetime.date(2017, 6, 1), status="missed", food_clothing="insecure")  # not done
    visit(county.home, cadre, datetime.date(2018, 2, 1), medical="insecure")  # after the checked year
    verdict = check_household(county.home, YEAR)
    assert verdict.failure_codes == ("water",)
    assert verdict.failures[0].detail == "2017-05-01 走访记录为不达标"
    run = new_run(county.townships[0].county)
    batch.execute(run.pk)
    assert run.household_results.get(household=county.home).verdict() == verdict


@pytest.mark.django_db
def test_monthly_schedule_starts_a_county_run_for_the_latest_year_with_incomes_and_a_line(
    county, django_capture_on_commit_callbacks
):
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-exit-check"]
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].day_of_month == {1}
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_exit_check.delay().get() == []  # no incomes yet: no year can be checked
    for household in (county.home, county.away):
        factories.income(household, year=2016)
        factories.income(household, year=2017)
    factories.income(county.home, year=2030)  # incomes of a year without a 脱贫验收标准
    assert default_year() == 2017  # not the latest line (2020), nor the latest incomes (2030)
    with django_capture_on_commit_callbacks(execute=True):
        run_ids = monthly_exit_check.delay().get()
    run = EligibilityRun.objects.get(pk__in=run_ids)
    assert (run.trigger, run.township, run.year, run.state) == ("scheduled", None, 2017, "done")
    assert (run.households_checked, run.households_passed, run.households_not_assessable) == (3, 2, 1)


@pytest.mark.django_db
def test_a_run_for_a_year_without_incomes_is_refused(county):
    factories.income(county.home, year=2016)
    with pytest.raises(MissingIncomeData, match="2017年度尚无收入记录"):
        create_run(year=2017, county=county.townships[0].county)
    assert not EligibilityRun.objects.exists()


# --- Every combination of states, through check_household and the run --------------------------------------

LINE = Decimal("3333.34")  # a line that three persons do not divide evenly
HOUSING_STATES = list(itertools.product(["", "B", "D"], [None, True, False], [False, True]))
MEMBER_COUNTS = (0, 1, 3)
INCOME_STATES = (None, -1, 0, 1)  # no ledger, or net = line × persons + this many fen
CHILDREN = (None, "out_of_school", "disabled_out_of_school", "in_school")
VISITS = (None, ("done", "housing"), ("done", "water"), ("done", None), ("missed", "food_clothing"))
MEMBERS = ((choices.Relation.HEAD, True), (choices.Relation.SPOUSE, False), (choices.Relation.SIBLING, True))


def every_combination():
    """Households over the full product of housing × members × income, the other states (a school-age child,
    an uninsured member, water, food and clothing, the latest visit) cycling through all their combinations."""
    township = factories.township("全组合镇")
    villages = [factories.village(township, population=500) for _ in range(6)]
    cadre = factories.cadre()
    households = []
    states = itertools.product(HOUSING_STATES, MEMBER_COUNTS, INCOME_STATES)
    for index, ((grade, flagged, renovated), size, fen) in enumerate(states):
        rest, seen = divmod(index, len(VISITS))  # 5 visit states against 4 income states: every pair occurs
        rest, child = divmod(rest, len(CHILDREN))
        uninsured, unsafe_water, hungry = rest & 1, rest >> 1 & 1, rest >> 2 & 1
        household = factories.household(
            villages[index % len(villages)], members=0, housing_grade=grade, was_dangerous_house=flagged,
            house_renovated=renovated, safe_drinking_water=not unsafe_water, food_and_clothing_secure=not hungry,
        )
        born = datetime.date(1960, 1, 1) + datetime.timedelta(days=index)  # a birth date each: unique ID numbers
        for relation, male in MEMBERS[:size]:
            factories.member(household, relation=relation, male=male, birth_date=born)
        if size and CHILDREN[child]:
            in_school = CHILDREN[child] == "in_school"
            factories.member(
                household, birth_date=datetime.date(YEAR - 10, 1, 1) + datetime.timedelta(days=index),
                education="" if in_school else choices.Education.PRIMARY,
                school_status=choices.SchoolStatus.PRIMARY if in_school else "",
                health=choices.Health.DISABLED if CHILDREN[child].startswith("disabled") else choices.Health.HEALTHY,
            )
        if size and uninsured:
            household.members.filter(relation=choices.Relation.HEAD).update(has_medical_insurance=False)
        if fen is not None:
            persons = household.members.filter(is_active=True).count()
            net = (LINE * persons * 100 + fen) / 100 if persons else Decimal("1000")
            factories.income(household, year=YEAR, wage_income=net, business_income=Decimal(0))
        if VISITS[seen]:
            status, insecure = VISITS[seen]
            observed = {insecure: "insecure"} if insecure else {}
            visit(household, cadre, datetime.date(YEAR, 6, 1), status=status, **observed)
        households.append(household)
    return township, households


@pytest.mark.django_db
def test_every_combination_gets_the_same_verdict_from_check_household_and_the_run():
    township, households = every_combination()
    run = EligibilityRun.objects.create(
        county=township.county, year=YEAR, line_kind="exit_check", line=LINE, threshold=Decimal("3"),
    )
    batch.execute(run.pk, chunk_size=50)
    run.refresh_from_db()
    results = {result.household_id: result for result in run.household_results.select_related("run")}
    assert len(results) == len(households) == 216
    seen = {"outcome": set(), "failed": set(), "lacking": set()}
    for household in households:
        verdict = check_household(household, YEAR, line=LINE)
        result = results[household.pk]
        assert result.verdict() == verdict, household
        assert (result.failure_codes, result.gap_codes) == (verdict.failure_codes, verdict.gap_codes)
        assert (result.outcome, result.passed) == (verdict.outcome, verdict.passed)
        seen["outcome"].add(verdict.outcome)
        seen["failed"].update(verdict.failure_codes)
        seen["lacking"].update(verdict.gap_codes)
    assert seen == {
        "outcome": set(rules.Outcome),
        "failed": {c.code for c in rules.FAILING_CRITERIA},
        "lacking": {c.code for c in rules.GAP_CRITERIA},
    }
    outcomes = [result.outcome for result in results.values()]
    assert (run.households_passed, run.households_failed, run.households_not_assessable) == (
        outcomes.count(rules.Outcome.PASSED), outcomes.count(rules.Outcome.FAILED),
        outcomes.count(rules.Outcome.NOT_ASSESSABLE),
    )
    for criterion in rules.FAILING_CRITERIA:
        assert run.failure_counts[criterion.code] == sum(r.failed_mask & criterion.bit > 0 for r in results.values())
    for criterion in rules.GAP_CRITERIA:
        assert run.gap_counts[criterion.code] == sum(r.gap_mask & criterion.bit > 0 for r in results.values())


@pytest.mark.celery_worker
def test_a_run_on_a_real_worker_matches_check_household(monkeypatch):
    """Through Redis to a worker thread with its own database connection (needs CELERY_BROKER_URL).

    Committed data, so on PostgreSQL the chunks also run in parallel threads (EXIT_CHECK_WORKERS).
    """
    import time

    monkeypatch.setattr(batch, "CHUNK_SIZE", 4)
    townships, households = small_county(seed=9)
    previous = new_run(townships[0].county)
    run_exit_check.delay(previous.pk).get(timeout=60)
    run = create_run(year=YEAR, county=townships[0].county)  # queued on commit (autocommit here)
    deadline = time.monotonic() + 60
    while EligibilityRun.objects.get(pk=run.pk).state in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
    run.refresh_from_db()
    assert run.state == "done", run.error
    assert results_of(run) == results_of(previous)  # idempotent across runs on the worker
    for household in households:
        if on_register(household):
            assert run.household_results.get(household=household).verdict() == check_household(household, YEAR)


# --- Results stored before the three outcomes ------------------------------------------------------------

BEFORE, AFTER = ("exits", "0004_lean_household_results"), ("exits", "0005_not_assessable")


@pytest.mark.django_db(transaction=True)
def test_results_stored_before_are_restated_and_display_sensibly():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    county = old.get_model("villages", "County").objects.create(name="旧县", code="450481000000")
    township = old.get_model("villages", "Township").objects.create(county=county, name="旧镇", code="450481100001")
    village = old.get_model("villages", "Village").objects.create(township=township, name="旧村", code="450481100001")
    run = old.get_model("exits", "EligibilityRun").objects.create(
        county=county, year=YEAR, line_kind="exit_check", line=Decimal("3335"), threshold=Decimal("3"), state="done",
        households_checked=6, households_passed=1, villages_checked=1,
        failure_counts={"members": 1, "income": 2, "housing": 2, "water": 1},
    )
    stored = old.get_model("exits", "HouseholdResult").objects
    facts = {
        "village_id": village.pk, "status": "0", "member_count": 2, "has_income_record": True,
        "per_capita_cents": 400_000, "food_and_clothing_secure": True, "children_out_of_school": 0,
        "uninsured_members": 0, "housing_grade": "B", "was_dangerous_house": False, "house_renovated": False,
        "safe_drinking_water": True, "passed": False,
    }
    rows = {  # household id: (what differs, failed mask as stored then)
        1: ({"member_count": 0, "per_capita_cents": None, "has_income_record": False, "safe_drinking_water": False},
            65),
        2: ({"has_income_record": False, "per_capita_cents": None}, 2),
        3: ({"housing_grade": ""}, 32),  # "住房安全等级未鉴定" then
        4: ({"housing_grade": "", "visit_date": datetime.date(YEAR, 5, 1), "visit_insecure_mask": 32}, 32),
        5: ({"member_count": 3, "per_capita_cents": 300_000}, 2),
        6: ({"passed": True}, 0),
    }
    for household_id, (differs, mask) in rows.items():
        stored.create(run_id=run.pk, household_id=household_id, failed_mask=mask, **{**facts, **differs})
    old.get_model("exits", "VillageResult").objects.create(
        run_id=run.pk, village_id=village.pk, poor_persons=12, registered_persons=None, incidence=None,
        below_threshold=False, passed=False, planned_exit_year=2016, progress="behind",
    )

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the current models (later migrations add columns)

    run = EligibilityRun.objects.get(pk=run.pk)
    results = {result.household_id: result for result in run.household_results.select_related("run")}
    expected = {  # outcome, failed, lacking
        1: (rules.Outcome.NOT_ASSESSABLE, ("water",), ("members", "income")),
        2: (rules.Outcome.NOT_ASSESSABLE, (), ("income",)),
        3: (rules.Outcome.PASSED, (), ()),  # recorded as not a dangerous house: safe
        4: (rules.Outcome.FAILED, ("housing",), ()),  # the visit found it insecure
        5: (rules.Outcome.FAILED, ("income",), ()),
        6: (rules.Outcome.PASSED, (), ()),
    }
    for household_id, (outcome, failed, lacking) in expected.items():
        result = results[household_id]
        verdict = result.verdict()
        assert (result.outcome, result.failure_codes, result.gap_codes) == (outcome, failed, lacking), household_id
        assert (verdict.outcome, verdict.failure_codes, verdict.gap_codes) == (outcome, failed, lacking)
        assert result.passed == (outcome == rules.Outcome.PASSED)
    assert results[5].verdict().failures[0].detail == "人均纯收入 3,000.00 元 < 3,335.00 元"
    assert results[5].net_income == Decimal("9000")
    assert (run.households_passed, run.households_failed, run.households_not_assessable) == (2, 2, 2)
    assert run.failure_counts == {
        "income": 1, "food_clothing": 0, "education": 0, "medical": 0, "housing": 1, "water": 1,
    }
    assert run.gap_counts == {"members": 1, "income": 2, "housing": 0}
    village_result = run.village_results.get()
    assert (village_result.below_threshold, village_result.outcome, village_result.progress) == (
        None, rules.Outcome.NOT_ASSESSABLE, rules.Progress.UNKNOWN,
    )
    assert run.villages_without_population == 1 and run.area.gap == "1 个村无户籍人口数"

"""The set-based run: equal to check_household for every household, idempotent, safe when it fails or is killed."""
import datetime
import random
from decimal import Decimal

import pytest
from django.conf import settings

from exits import batch
from exits.models import EligibilityRun, HouseholdResult
from exits.services import check_household, create_run, latest_result, scheduled_year
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
    rng = random.Random(seed)
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
    # The sample is varied enough to mean something: every criterion fails somewhere, some pass.
    assert all(run.failure_counts[code] for code in ("members", "income", "education", "medical", "housing", "water"))
    assert 0 < run.households_passed < len(checked)
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
def test_monthly_schedule_starts_a_county_run(county, django_capture_on_commit_callbacks):
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-exit-check"]
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].day_of_month == {1}
    with django_capture_on_commit_callbacks(execute=True):
        run_ids = monthly_exit_check.delay().get()
    run = EligibilityRun.objects.get(pk__in=run_ids)
    assert (run.trigger, run.township, run.year, run.state) == ("scheduled", None, scheduled_year(), "done")
    assert run.households_checked == 3


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

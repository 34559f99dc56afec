"""The set-based exit check: one INSERT … SELECT per primary-key chunk, then a handful of aggregate queries.

The SQL computes every household's facts at once (members grouped by household, the year's ledger joined
once, the latest done visit by a window function) and judges them with the SQL twins of the criteria
registry in rules.py; money is compared in integer fen (households.rules.meets_line_sql).
tests/test_exit_rules.py and tests/test_exit_batch.py check that every stored result equals check_household.
Portable between PostgreSQL and SQLite (the test default). A run's rows belong to it: the
current results are those of the latest finished run, so a failed or killed run changes nothing.
"""
import datetime
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Max, Min

from households.choices import Status
from households.models import Household, IncomeRecord, Member
from households.rules import net_income_cents_sql
from povertyapp.jobs import JobLost
from villages.models import Village, VillagePopulation

from . import rules
from .models import EligibilityRun, HouseholdResult, VillageIndicatorValue, VillageResult
from .services import visit_model

CHUNK_SIZE = settings.EXIT_CHECK_CHUNK_SIZE  # households per INSERT … SELECT, by primary-key range
# Households on the register: not those removed (清退), gone (自然减少) or still candidates (待识别).
CHECKED_STATUSES = tuple(
    status.value for status in (Status.NOT_EXITED, Status.EXITED_WITH_POLICY, Status.RETURNED, Status.EXITED)
)

RESULT_COLUMNS = (
    "run_id", "household_id", "village_id", "status", "passed", "failed_mask", "gap_mask", "member_count",
    "net_income_cents", "food_and_clothing_secure", "children_out_of_school", "uninsured_members", "housing_grade",
    "was_dangerous_house", "house_renovated", "safe_drinking_water", "visit_date", "visit_insecure_mask",
)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _visit_sql() -> tuple[str, str, str]:
    """(CTE, join, insecure-mask expression) for the latest done visit; empty when the visits app has none."""
    visit = visit_model()
    if visit is None:
        return "", "", "0"
    cte = f""",
    visit AS (
        SELECT household_id, actual_date, {rules.VISIT_INSECURE_MASK_SQL} AS insecure_mask
        FROM (
            SELECT household_id, actual_date, {", ".join(c.code for c in rules.VISIT_DIMENSIONS)},
                   ROW_NUMBER() OVER (PARTITION BY household_id ORDER BY actual_date DESC, id DESC) AS position
            FROM {_table(visit)}
            WHERE status = 'done' AND actual_date IS NOT NULL AND actual_date <= %(year_end)s
              AND household_id BETWEEN %(low)s AND %(high)s
        ) ranked
        WHERE position = 1
    )"""
    return cte, "LEFT JOIN visit ON visit.household_id = scope.id", "COALESCE(visit.insecure_mask, 0)"


def household_results_sql(village_ids) -> str:
    """INSERT … SELECT of one chunk's results; parameters: run, year, line_cents, school-age dates, low, high.

    The facts are computed once per household (members grouped, the year's ledger and the latest visit joined)
    and judged by the criteria registry's SQL (rules.judged_masks_sql).
    The scope's villages are written into the statement as a list of integers: the planner then reads
    households by primary-key range and tests the village by hash, whatever its statistics say.
    """
    villages = ", ".join(str(int(pk)) for pk in village_ids) or "NULL"
    visit_cte, visit_join, visit_mask = _visit_sql()
    failed_mask, gap_mask = rules.judged_masks_sql("visit_mask")
    return f"""
    INSERT INTO {_table(HouseholdResult)} ({", ".join(RESULT_COLUMNS)})
    WITH scope AS (
        SELECT id, village_id, status, food_and_clothing_secure, housing_grade, was_dangerous_house,
               house_renovated, safe_drinking_water
        FROM {_table(Household)}
        WHERE id BETWEEN %(low)s AND %(high)s AND status IN ({rules.sql_list(CHECKED_STATUSES)})
          AND village_id IN ({villages})
    ),
    members AS (
        SELECT household_id,
               COUNT(*) AS size,
               SUM(CASE WHEN {rules.OUT_OF_SCHOOL_CHILD_SQL} THEN 1 ELSE 0 END) AS children_out_of_school,
               SUM(CASE WHEN has_medical_insurance THEN 0 ELSE 1 END) AS uninsured_members
        FROM {_table(Member)}
        WHERE is_active AND household_id BETWEEN %(low)s AND %(high)s
        GROUP BY household_id
    ),
    ledger AS MATERIALIZED (
        SELECT household_id, {net_income_cents_sql()} AS net_cents
        FROM {_table(IncomeRecord)}
        WHERE year = %(year)s AND household_id BETWEEN %(low)s AND %(high)s
    ){visit_cte},
    facts AS MATERIALIZED (
        SELECT scope.*, COALESCE(members.size, 0) AS member_count,
               COALESCE(members.children_out_of_school, 0) AS children_out_of_school,
               COALESCE(members.uninsured_members, 0) AS uninsured_members,
               ledger.net_cents AS net_income_cents,
               {visit_mask} AS visit_mask, {"visit.actual_date" if visit_join else "CAST(NULL AS DATE)"} AS visit_date
        FROM scope
        LEFT JOIN members ON members.household_id = scope.id
        LEFT JOIN ledger ON ledger.household_id = scope.id
        {visit_join}
    ),
    judged AS (
        SELECT facts.*, {failed_mask} AS failed_mask, {gap_mask} AS gap_mask FROM facts
    )
    SELECT %(run)s, id, village_id, status, failed_mask = 0 AND gap_mask = 0, failed_mask, gap_mask, member_count,
           net_income_cents, food_and_clothing_secure, children_out_of_school, uninsured_members, housing_grade,
           was_dangerous_house, house_renovated, safe_drinking_water, visit_date, visit_mask
    FROM judged
    """


def _households_in_scope(run: EligibilityRun):
    households = Household.objects.filter(status__in=CHECKED_STATUSES)
    if run.township_id:
        return households.filter(village__township_id=run.township_id)
    return households.filter(village__township__county_id=run.county_id)


def _villages_in_scope(run: EligibilityRun):
    if run.township_id:
        return Village.objects.filter(township_id=run.township_id)
    return Village.objects.filter(township__county_id=run.county_id)


def _insert_chunk(sql: str, params: dict) -> int:
    """One primary-key range in one transaction; returns the rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '64MB'")  # the chunk's sorts and hashes stay in memory
        cursor.execute(sql, params)
        return cursor.rowcount


def _insert_chunk_in_thread(sql: str, params: dict) -> int:
    try:
        return _insert_chunk(sql, params)
    finally:
        connections.close_all()  # this thread's own connection


def check_households(run: EligibilityRun, chunk_size: int | None = None, after_chunk=None) -> None:
    """Write the run's household results chunk by chunk, each chunk one transaction, advancing its progress.

    On PostgreSQL, outside a transaction, EXIT_CHECK_WORKERS chunks run at once on their own connections
    (threads wait on the database, which does the work on its cores).
    """
    chunk_size = chunk_size or CHUNK_SIZE
    bounds = _households_in_scope(run).order_by().aggregate(low=Min("pk"), high=Max("pk"), total=Count("pk"))
    run.start(total=bounds["total"])
    if not bounds["total"]:
        return
    school_from, school_to = rules.school_age_birth_dates(run.year)
    params = {
        "run": run.pk, "year": run.year, "year_end": datetime.date(run.year, 12, 31),
        "line_cents": int(run.line * 100), "school_from": school_from, "school_to": school_to,
    }
    sql = household_results_sql(_villages_in_scope(run).values_list("pk", flat=True))
    chunks = [
        {**params, "low": low, "high": min(low + chunk_size - 1, bounds["high"])}
        for low in range(bounds["low"], bounds["high"] + 1, chunk_size)
    ]
    workers = settings.EXIT_CHECK_WORKERS
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        pool = ThreadPoolExecutor(max_workers=workers)
        written = pool.map(partial(_insert_chunk_in_thread, sql), chunks)
    else:
        pool, written = None, map(partial(_insert_chunk, sql), chunks)
    done = 0
    try:
        for rows in written:
            done += rows
            run.advance(done)
            if after_chunk is not None:
                after_chunk(run, done)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)  # after a failure, start no further chunk


def household_counts(run: EligibilityRun) -> tuple[dict, dict]:
    """One aggregate over the run's results, by village: the run's counts and each village's poor persons.

    Poor persons (未脱贫 + 返贫, the incidence numerator) are the active members of households whose status,
    as the run saw it, counts as poor.
    """
    per_criterion = ", ".join(
        [f"SUM(CASE WHEN (failed_mask & {c.bit}) <> 0 THEN 1 ELSE 0 END)" for c in rules.FAILING_CRITERIA]
        + [f"SUM(CASE WHEN (gap_mask & {c.bit}) <> 0 THEN 1 ELSE 0 END)" for c in rules.GAP_CRITERIA]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT village_id,
                       SUM(CASE WHEN status IN ({rules.sql_list(Status.poor())}) THEN member_count ELSE 0 END),
                       COUNT(*), SUM(CASE WHEN passed THEN 1 ELSE 0 END),
                       SUM(CASE WHEN gap_mask <> 0 THEN 1 ELSE 0 END), {per_criterion}
                FROM {_table(HouseholdResult)} WHERE run_id = %s GROUP BY village_id""",
            [run.pk],
        )
        rows = cursor.fetchall()
    width = 3 + len(rules.FAILING_CRITERIA) + len(rules.GAP_CRITERIA)
    totals = [sum(column) for column in zip(*(row[2:] for row in rows))] or [0] * width
    checked, passed, not_assessable, *by_criterion = totals
    failed, lacking = by_criterion[:len(rules.FAILING_CRITERIA)], by_criterion[len(rules.FAILING_CRITERIA):]
    counts = {
        "households_checked": checked,
        "households_passed": passed,
        "households_not_assessable": not_assessable,
        "failure_counts": {c.code: n for c, n in zip(rules.FAILING_CRITERIA, failed)},
        "gap_counts": {c.code: n for c, n in zip(rules.GAP_CRITERIA, lacking)},
    }
    return counts, {row[0]: row[1] for row in rows}


def check_villages(run: EligibilityRun, poor: dict) -> dict:
    """Village results from the run's poor persons per village, latest populations and indicator values."""
    villages = list(_villages_in_scope(run).values("pk", "planned_exit_year", "exit_year"))
    village_ids = [village["pk"] for village in villages]
    population = {}
    for village_id, persons in (
        VillagePopulation.objects.filter(village_id__in=village_ids, as_of__lte=datetime.date(run.year, 12, 31))
        .order_by("village_id", "-as_of")
        .values_list("village_id", "registered_persons")
    ):
        population.setdefault(village_id, persons)
    snapshot = {indicator["code"]: indicator for indicator in run.indicators}
    latest = {}  # (village, indicator code) → (met, amount) of the latest year up to the run's year
    for village_id, code, met_flag, amount in (
        VillageIndicatorValue.objects.filter(
            village_id__in=village_ids, year__lte=run.year, indicator__code__in=snapshot
        )
        .order_by("village_id", "indicator__code", "-year")
        .values_list("village_id", "indicator__code", "met", "amount")
    ):
        latest.setdefault((village_id, code), (met_flag, amount))
    met = defaultdict(set)
    for (village_id, code), (met_flag, amount) in latest.items():
        indicator = snapshot[code]
        minimum = Decimal(indicator["minimum_amount"]) if indicator["minimum_amount"] is not None else None
        if rules.indicator_met(indicator["requires_amount"], minimum, met_flag, amount):
            met[village_id].add(code)
    results = []
    for village in villages:
        unmet = [i["name"] for i in run.indicators if i["code"] not in met[village["pk"]]]
        verdict = rules.judge_area(poor.get(village["pk"], 0), population.get(village["pk"]), run.threshold, unmet)
        results.append(
            VillageResult(
                run=run, village_id=village["pk"], poor_persons=verdict.poor_persons,
                registered_persons=verdict.registered_persons, incidence=verdict.incidence,
                below_threshold=verdict.below_threshold, unmet_indicators=unmet, passed=verdict.passed,
                planned_exit_year=village["planned_exit_year"],
                progress=rules.village_progress(
                    run.year, village["planned_exit_year"], village["exit_year"], verdict.outcome
                ),
            )
        )
    VillageResult.objects.bulk_create(results, batch_size=1000)
    return {
        "villages_checked": len(results),
        "villages_passed": sum(result.passed for result in results),
        "villages_without_population": sum(result.below_threshold is None for result in results),
        "poor_persons": sum(result.poor_persons for result in results),
        "registered_persons": sum(result.registered_persons or 0 for result in results),
    }


def discard_results(run: EligibilityRun) -> None:
    """Delete the run's household and village results: what a failed or dead attempt left."""
    HouseholdResult.objects.filter(run=run).delete()
    VillageResult.objects.filter(run=run).delete()


def execute(run_id: int, chunk_size: int | None = None, after_chunk=None, *, task_id: str = "",
            redelivered: bool = False) -> bool:
    """Carry out a pending run, or take over one whose worker died (Job.claim); False when it is not this
    task's to run, or when this attempt lost the run to another midway.

    Each attempt starts by deleting the run's rows: a dead attempt leaves the chunks it had committed. A run
    that fails deletes its partial rows and keeps its error; earlier runs' results are never touched.
    """
    run = EligibilityRun.objects.select_related("county").get(pk=run_id)
    if not run.claim(task_id, redelivered):
        return False
    try:
        discard_results(run)
        check_households(run, chunk_size, after_chunk)
        counts, poor = household_counts(run)
        with transaction.atomic():
            counts.update(check_villages(run, poor))
        run.finish(**counts)
    except JobLost:
        return False
    except Exception as exc:
        if run.fail(f"{type(exc).__name__}: {exc}"):
            discard_results(run)
        raise
    return True


def retry(run: EligibilityRun) -> bool:
    """Queue a failed run again, without its partial rows; False when it is not failed (a repeated click)."""
    from .tasks import run_exit_check

    with transaction.atomic():
        if not run.requeue():
            return False
        discard_results(run)
        transaction.on_commit(lambda: run_exit_check.delay(run.pk))
    return True

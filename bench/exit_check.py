"""Benchmark: the set-based exit check against a per-household ORM loop, on a generated county in PostgreSQL.

    .venv/bin/python bench/exit_check.py                      # 1,500,000 households (≈5M members)
    .venv/bin/python bench/exit_check.py --households 100000  # quicker
    .venv/bin/python bench/exit_check.py --reuse              # keep the generated database, time again

Creates its own database (default postgres://postgres@127.0.0.1:5432/pa_bench_exit, override with
BENCH_DATABASE_URL), migrates it, loads synthetic townships, villages, households, members, income
ledgers and visits with COPY, then times batch.execute() — exactly what the Celery task runs — and
check_household() over a random sample of households, scaled to the whole county.
"""
import argparse
import datetime
import io
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pa_bench_exit"
YEAR = 2018
CHUNK_ROWS = 200_000  # rows per COPY round trip
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_500_000)
    parser.add_argument("--sample", type=int, default=2_000, help="households checked one by one through the ORM")
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it already holds the county")
    parser.add_argument(
        "--chunk-size", type=int, default=None, help="households per INSERT … SELECT (default: batch.CHUNK_SIZE)"
    )
    return parser.parse_args()


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "povertyapp.settings")
    os.environ.pop("CELERY_BROKER_URL", None)  # tasks are not queued here: the bench calls the task body
    import django

    django.setup()


def recreate_database(url: str, reuse: bool) -> bool:
    """Create the bench database (dropping an old one unless reusing); True when it must be filled."""
    import psycopg2
    from psycopg2 import sql

    base, name = url.rsplit("/", 1)
    admin = psycopg2.connect(base + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and reuse:
            return False
        if exists:
            cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    return True


def id_number(area: int, birth: datetime.date, serial: int) -> str:
    body = f"{area}{birth:%Y%m%d}{serial:03d}"
    return body + CHECK[sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS)) % 11]


class Loader:
    """Streams generated rows into a table with COPY, CHUNK_ROWS at a time."""

    def __init__(self, cursor, table: str, columns: list[str]):
        self.cursor, self.table, self.columns = cursor, table, columns
        self.buffer, self.rows, self.total = io.StringIO(), 0, 0

    def add(self, *values):
        self.buffer.write("\t".join(values))
        self.buffer.write("\n")
        self.rows += 1
        if self.rows >= CHUNK_ROWS:
            self.flush()

    def flush(self):
        if self.rows:
            self.buffer.seek(0)
            self.cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", self.buffer)
            self.total += self.rows
        self.buffer, self.rows = io.StringIO(), 0


def drop_secondary_indexes(cursor, tables) -> list[str]:
    """Drop indexes that back no constraint (recreated after the load, as a bulk load should); return their DDL."""
    cursor.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.tablename = ANY(%s) AND NOT EXISTS (
               SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)""",
        [list(tables)],
    )
    found = cursor.fetchall()
    for name, _ddl in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [ddl for _name, ddl in found]


def generate(households: int, seed: int = 2018) -> dict:
    """Townships, villages and populations by ORM; households, members, ledgers and visits by COPY."""
    from django.apps import apps
    from django.db import connection

    from households.models import Household, IncomeRecord, Member
    from villages.models import Cadre, County, Township, Village, VillagePopulation

    rng = random.Random(seed)
    per_village = 1_000
    county = County.objects.create(name="基准县", code="459999000000")
    townships = Township.objects.bulk_create(
        Township(county=county, name=f"第{n + 1}镇", code=f"4599991{n:05d}") for n in range(14)
    )
    village_count = -(-households // per_village)
    villages = Village.objects.bulk_create(
        Village(
            township=townships[n % len(townships)], name=f"第{n + 1}村", code=f"{459999200000 + n:012d}",
            is_poor=n % 5 == 0, planned_exit_year=rng.choice([2016, 2017, 2018, 2019, 2020, None]),
        )
        for n in range(village_count)
    )
    VillagePopulation.objects.bulk_create(
        VillagePopulation(village=v, as_of=datetime.date(2017, 12, 31), registered_persons=rng.randint(9_000, 16_000),
                          registered_households=3_000)
        for v in villages
    )
    cadre = Cadre.objects.create(name="基准干部", work_unit="县扶贫办")
    visit = apps.get_model("visits", "Visit") if apps.is_installed("visits") else None
    tables = [Household._meta.db_table, Member._meta.db_table, IncomeRecord._meta.db_table]
    if visit is not None:
        tables.append(visit._meta.db_table)

    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    sizes = [0] * 2 + [1] * 100 + [2] * 200 + [3] * 250 + [4] * 250 + [5] * 150 + [6] * 48
    statuses = ["0"] * 70 + ["1"] * 20 + ["3"] * 5 + ["4"] * 4 + ["R"]
    grades = ["A"] * 20 + ["B"] * 60 + ["C"] * 12 + ["D"] * 5 + [""] * 3
    adult_days, child_days = (datetime.date(1945, 1, 1), 16_000), (datetime.date(2000, 1, 1), 6_000)
    t, f, null = "t", "f", "\\N"
    counts = {}
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers during the bulk load
        ddl = drop_secondary_indexes(cursor, tables)
        house = Loader(cursor.cursor, Household._meta.db_table, [
            "id", "number", "village_id", "address", "phone", "bank_name", "bank_account", "year_identified",
            "standard", "attribute", "main_cause", "other_causes", "status", "exit_year", "housing_grade",
            "was_dangerous_house", "house_renovated", "safe_drinking_water", "food_and_clothing_secure",
            "created_at", "updated_at",
        ])
        member = Loader(cursor.cursor, Member._meta.db_table, [
            "household_id", "name", "id_number", "sex", "birth_date", "relation", "ethnicity", "education",
            "school_status", "health", "labour_skill", "work_status", "has_medical_insurance",
            "has_serious_illness_insurance", "has_pension_insurance", "receives_subsistence",
            "receives_destitute_support", "is_active", "left_reason", "id_missing_reason",
        ])
        income = Loader(cursor.cursor, IncomeRecord._meta.db_table, [
            "household_id", "year", "wage_income", "business_income", "property_income", "policy_transfer_income",
            "other_transfer_income", "production_expenses",
        ])
        visits = visit and Loader(cursor.cursor, visit._meta.db_table, [
            "household_id", "visitor_id", "kind", "planned_date", "actual_date", "status", "food_clothing",
            "food_clothing_note", "education", "education_note", "medical", "medical_note", "housing",
            "housing_note", "water", "water_note", "measures", "needs", "needs_met", "created_at", "updated_at",
        ])
        for index in range(households):
            pk = index + 1
            status = rng.choice(statuses)
            grade = rng.choice(grades)
            dangerous = grade in ("C", "D") or rng.random() < 0.05
            # 危房户 recorded yes or no; for some households with no appraisal grade, not recorded at all.
            flag = t if dangerous else null if not grade and rng.random() < 0.3 else f
            house.add(
                str(pk), f"45{pk:010d}", str(villages[index // per_village].pk), "", "", "", "", "2014",
                "national", "general", "01", "[]", status, "2016" if status in ("1", "4") else null, grade,
                flag, t if dangerous and rng.random() < 0.7 else f,
                t if rng.random() < 0.95 else f, t if rng.random() < 0.97 else f, now, now,
            )
            area, block = 110000 + index % 800_000, index // 800_000
            for position in range(rng.choice(sizes)):
                adult = position < 2 or rng.random() < 0.4
                start, span = adult_days if adult else child_days
                birth = start + datetime.timedelta(days=rng.randrange(span))
                male = position % 2 == 0
                in_school = not adult and rng.random() < 0.97
                unregistered = not adult and rng.random() < 0.01  # a child without an ID number yet (户口待登记)
                member.add(
                    str(pk), "成员", "" if unregistered else id_number(area, birth, block * 100 + position * 2 + male),
                    "M" if male else "F", birth.isoformat(), "01" if position == 0 else "02" if position == 1 else "03",
                    "01", "" if in_school else "3", "04" if in_school else "", rng.choice("1111111234"), "", "",
                    t if rng.random() < 0.98 else f, t, f, f, f, t if rng.random() < 0.98 else f, "",
                    "unregistered" if unregistered else "",
                )
            if rng.random() < 0.92:
                income.add(
                    str(pk), str(YEAR),
                    *(f"{rng.randint(0, top) / 100:.2f}" for top in (3_000_000, 800_000, 50_000, 300_000, 100_000, 300_000)),
                )
            if visits and rng.random() < 0.4:
                day = (datetime.date(YEAR, 1, 1) + datetime.timedelta(days=rng.randrange(365))).isoformat()
                seen = ["insecure" if rng.random() < 0.01 else "secure" for _ in range(5)]
                visits.add(
                    str(pk), str(cadre.pk), "home", day, day, "done", seen[0], "", seen[1], "", seen[2], "",
                    seen[3], "", seen[4], "", "[]", "", f, now, now,
                )
        for loader in (house, member, income, visits):
            if loader:
                loader.flush()
                counts[loader.table] = loader.total
        for statement in ddl:
            cursor.execute(statement)
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
    return counts


def vacuum(tables):
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def time_batch(chunk_size) -> tuple[float, object]:
    from exits import batch
    from exits.models import EligibilityRun
    from exits.services import poverty_line
    from villages.models import County

    county = County.objects.get(code="459999000000")
    run = EligibilityRun.objects.create(
        county=county, year=YEAR, line_kind="exit_check", line=poverty_line(YEAR),
        threshold=county.province_threshold_percent,
    )
    started = time.perf_counter()
    batch.execute(run.pk, chunk_size=chunk_size)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    return elapsed, run


def time_loop(sample_size: int, population: int) -> float:
    """Seconds per household for check_household() over a random sample (the obvious ORM loop)."""
    from exits.batch import CHECKED_STATUSES
    from exits.services import check_household
    from households.models import Household

    ids = random.Random(7).sample(range(1, population + 1), min(sample_size, population))
    started = time.perf_counter()
    checked = 0
    for household in Household.objects.filter(pk__in=ids, status__in=CHECKED_STATUSES).iterator():
        check_household(household, YEAR)
        checked += 1
    return (time.perf_counter() - started) / checked


def main():
    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    fill = recreate_database(url, args.reuse)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from exits.models import HouseholdResult
    from households.models import Household, IncomeRecord, Member

    print(f"database {url.rsplit('/', 1)[1]} on PostgreSQL {connection.cursor().connection.server_version}")
    if fill:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"generating {args.households:,} households …", flush=True)
        counts = generate(args.households)
        vacuum([Household._meta.db_table, Member._meta.db_table, IncomeRecord._meta.db_table, "villages_village"])
        print(f"loaded in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    households = Household.objects.count()
    members = Member.objects.count()
    elapsed, run = time_batch(args.chunk_size)
    per_household = time_loop(args.sample, households)
    loop_total = per_household * run.households_checked
    print(f"county: {households:,} households, {members:,} members")
    print(f"batch run #{run.pk}: {run.state}, {run.households_checked:,} checked, {run.households_passed:,} passed, "
          f"{run.households_failed:,} failed, {run.households_not_assessable:,} not assessable, "
          f"{run.villages_checked:,} villages")
    print(f"  set-based run      {elapsed:8.1f} s   {run.households_checked / elapsed:12,.0f} households/s")
    print(f"  ORM loop (sample {args.sample:,}) {per_household * 1000:.2f} ms/household → "
          f"{loop_total:,.0f} s for the county   {1 / per_household:8,.0f} households/s")
    print(f"  ratio              {loop_total / elapsed:8.0f} ×")
    print(f"  results table      {HouseholdResult.objects.filter(run=run).count():,} rows for this run")
    checked, state = run.households_checked, run.state  # type: ignore[attr-defined]  # time_batch() says object
    print("BENCH " + json.dumps({  # one machine-readable line for bench/run_all.py
        "name": "exit_check", "size": f"{households:,} households", "seconds": round(elapsed, 2),
        "rate": f"{checked / elapsed:,.0f} households/s", "ratio": round(loop_total / elapsed, 1),
        "ratio_of": "ORM loop / set-based run", "ok": state == "done",
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()

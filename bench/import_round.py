"""Benchmark: identification-round import (validate + preview + commit) on PostgreSQL, against django-import-export.

    .venv/bin/python bench/import_round.py                 # 100,000 member rows
    .venv/bin/python bench/import_round.py --rows 20000    # quicker

Creates its own database (default postgres://postgres@127.0.0.1:5432/pa_bench_import, override with
BENCH_DATABASE_URL) and generates its workbooks once under --workdir (kept between runs). Then:

1. a first 精准识别 round of --rows valid member rows (all households new),
2. a 回头看 round of the same county with changed households, persons moved, added and removed,
3. the same 回头看 workbook again (must change nothing and write no history row),
4. the 回头看 workbook with 1% of its rows broken, one error kind after another: every seeded error
   must be reported on its row, and no other error,
5. django-import-export 4 ModelResources with default options (import_id_fields = 户编号 / 证件号码)
   over the first --ie-rows rows of workbook 1, scaled to --rows.

Every round runs through identification.services, exactly what the Celery task runs. Peak memory is
the process's maximum resident set size (resource.getrusage), which includes calamine's Rust heap.
"""
import argparse
import os
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pa_bench_import"
VILLAGES = 200


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="member rows in each workbook")
    parser.add_argument("--ie-rows", type=int, default=5_000, help="rows imported with django-import-export")
    parser.add_argument("--workdir", default="/tmp/pa_bench_import", help="where the workbooks are kept")
    parser.add_argument("--regenerate", action="store_true", help="write the workbooks again")
    return parser.parse_args()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Area:
    """Township 甲 (the uploader's, VILLAGES villages) and 乙 (outside the uploader's scope)."""

    def __init__(self):
        from povertyapp.roles import Role
        from tests import factories

        self.inside, self.outside = factories.township("甲镇"), factories.township("乙镇")
        self.villages = [factories.village(self.inside, f"甲{n}村") for n in range(VILLAGES)]
        self.outside_village = factories.village(self.outside, "乙村")
        self.county_staff = factories.user(Role.COUNTY_STAFF, username="bench-county")
        self.cadre = factories.user(Role.TOWNSHIP_CADRE, township=self.inside, username="bench-cadre")


def county_rounds(rows: int, area_codes: list[str], seed: int):
    """Workbook 1 (first round) and workbook 2 (回头看: changes, moves, new and absent households)."""
    from tests.identification_workbooks import PERSON_HEADERS, RoundBuilder

    first = RoundBuilder(seed=seed)
    count, serial = 0, 0
    while count < rows:
        serial += 1
        size = min(first.rng.randint(1, 7), rows - count)
        first.add_household(f"4504812{serial:07d}", first.rng.choice(area_codes), size=size)
        count += size
    second = RoundBuilder(seed=seed + 1)
    second.used_ids = first.used_ids
    rng = random.Random(seed + 2)
    households = [list(map(dict, rows)) for rows in first.households]
    dropped = set(rng.sample(range(len(households)), len(households) // 100))  # absent from the 回头看
    for index, rows_ in enumerate(households):
        if index in dropped:
            continue
        roll = rng.random()
        if roll < 0.05:
            second.set_all(rows_, "主要致贫原因", "缺技术" if rows_[0]["主要致贫原因"] != "缺技术" else "因病")
            second.set_all(rows_, "工资性收入", rows_[0]["工资性收入"] + 1000)
        elif roll < 0.07 and len(rows_) > 2:
            rows_.pop()  # a child leaves
            second.set_all(rows_, "家庭人口数", len(rows_))
        elif roll < 0.09 and second.households and len(second.households[-1]) > 2:
            moved = second.households[-1].pop()  # a child of the previous household moves here
            second.set_all(second.households[-1], "家庭人口数", len(second.households[-1]))
            rows_.append({**rows_[0], **{k: v for k, v in moved.items() if k in PERSON_HEADERS}})
            second.set_all(rows_, "家庭人口数", len(rows_))
        elif roll < 0.10:
            rows_[-1]["健康状况"] = "患有大病"
        second.households.append(rows_)
    serial = 9_000_000
    while sum(map(len, second.households)) < rows:
        serial += 1
        second.add_household(f"4504812{serial:07d}", rng.choice(area_codes), size=4)
    return first, second


def seed_errors(builder, context: dict) -> Counter:
    """Break 1% of the rows, cycling through every error kind; returns how many of each were seeded."""
    from tests.identification_workbooks import CONTEXT_KINDS, SIMPLE_KINDS

    kinds = [*SIMPLE_KINDS, *CONTEXT_KINDS]
    total_rows = sum(map(len, builder.households))
    candidates = [rows for rows in builder.households if len(rows) >= 3]
    step = max(2, len(candidates) // (total_rows // 100))
    seeded, outside, members = Counter(), iter(context["outside_households"]), iter(context["outside_members"])
    for index, position in enumerate(range(step, len(candidates), step)):
        rows, kind, extra = candidates[position], kinds[index % len(kinds)], {}
        if kind == "duplicate_in_file":
            extra["source"] = candidates[position - step // 2][2]  # an earlier household no error touches
        elif kind == "village_out_of_scope":
            extra["village_code"] = context["outside_code"]
        elif kind == "household_out_of_scope":
            extra["number"] = next(outside)
        elif kind == "active_elsewhere":
            extra["member"] = next(members)
        builder.seed(kind, rows, **extra)
        seeded[kind] += 1
    return seeded


def write(path: Path, builder) -> Path:
    started = time.perf_counter()
    path.write_bytes(builder.workbook())
    print(f"  wrote {path.name}: {sum(map(len, builder.households)):,} rows in {time.perf_counter() - started:.0f} s")
    return path


def run_round(label: str, path: Path, user, kind: str, commit: bool = True) -> dict:
    """validate (with the preview) then commit, as the Celery task does; returns the timings."""
    from django.core.files import File

    from identification.models import IdentificationRound
    from identification.services import commit_round, validate_round

    with path.open("rb") as handle:
        round_ = IdentificationRound.objects.create(
            name=label, year=2016, kind=kind, created_by=user, township=user.staff_profile.township,
            file=File(handle, name=path.name), original_name=path.name, file_size=path.stat().st_size,
        )
    started = time.perf_counter()
    validate_round(round_)
    validated = time.perf_counter()
    round_.refresh_from_db()
    result = {"round": round_, "validate": validated - started, "commit": 0.0}
    if commit:
        assert round_.status == "validated", (round_.status, round_.problem, round_.errors)
        assert commit_round(round_, user), round_.error
        result["commit"] = time.perf_counter() - validated
        round_.refresh_from_db()
    result["total"] = result["validate"] + result["commit"]
    result["peak"] = peak_mb()
    return result


def register_counts() -> dict:
    from households.models import Household, IncomeRecord, Member

    return {
        model.__name__: (model.objects.count(), model.history.count()) for model in (Household, Member, IncomeRecord)
    }


def import_export_rate(path: Path, rows: int, village_ids: dict) -> tuple[float, int]:
    """Seconds for django-import-export defaults to load the first `rows` rows of `path` (rolled back afterwards)."""
    import tablib
    from django.db import transaction
    from import_export import resources

    from households.models import Household, Member
    from identification.columns import BY_FIELD
    from identification.reader import open_sheet

    class HouseholdResource(resources.ModelResource):
        class Meta:
            model = Household
            import_id_fields = ("number",)
            fields = ("number", "village", "year_identified", "standard", "attribute", "main_cause", "status",
                      "housing_grade", "safe_drinking_water", "housing_area", "phone")

    class MemberResource(resources.ModelResource):
        class Meta:
            model = Member
            import_id_fields = ("id_number",)
            fields = ("household", "name", "id_number", "sex", "birth_date", "relation", "ethnicity", "education",
                      "school_status", "health", "labour_skill", "work_status", "months_worked",
                      "has_medical_insurance", "has_serious_illness_insurance", "has_pension_insurance",
                      "receives_subsistence", "receives_destitute_support")

    with path.open("rb") as handle:
        sheet = open_sheet(handle)
        positions = {column.field: index for column, index in sheet.layout.positions.items()}
        cells = [row for _number, row in zip(range(rows), (cells for _n, cells in sheet.rows()))]

    def value(row, field_name):
        column = BY_FIELD[field_name]
        return column.parse(row[positions[field_name]])

    households = tablib.Dataset(headers=list(HouseholdResource.Meta.fields))
    seen = set()
    for row in cells:
        number = value(row, "number")
        if number in seen:
            continue
        seen.add(number)
        households.append([
            number, village_ids[value(row, "village_code")], value(row, "year_identified"), value(row, "standard"),
            value(row, "attribute"), value(row, "main_cause"), value(row, "status"), value(row, "housing_grade"),
            value(row, "safe_drinking_water"), value(row, "housing_area"), value(row, "phone"),
        ])
    from households.idnumbers import parse_id_number

    members = []
    for row in cells:
        parsed = parse_id_number(value(row, "id_number"))
        member = dict(zip(MemberResource.Meta.fields[5:], (value(row, name) for name in MemberResource.Meta.fields[5:])))
        if member["education"] and member["school_status"] == "19":
            member["school_status"] = ""  # as the round reader does: adults are marked 非在校生 besides their education
        members.append([value(row, "number"), value(row, "name"), parsed.number, parsed.sex, parsed.birth_date,
                        *member.values()])

    class Rollback(Exception):
        pass

    started = time.perf_counter()
    try:
        with transaction.atomic():
            result = HouseholdResource().import_data(households)
            assert not result.has_errors(), result.row_errors()[:1]
            ids = dict(Household.objects.filter(number__in=seen).values_list("number", "pk"))
            dataset = tablib.Dataset(headers=list(MemberResource.Meta.fields))
            for member in members:
                dataset.append([ids[member[0]], *member[1:]])
            result = MemberResource().import_data(dataset)
            assert not result.has_errors(), result.row_errors()[:1]
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, len(cells)


def main():
    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://…")
    from exit_check import recreate_database, setup_django

    recreate_database(url, reuse=False)
    setup_django(url)
    from django.core.management import call_command

    from households.models import Member
    from tests.identification_workbooks import RoundBuilder

    call_command("migrate", verbosity=0)
    area = Area()
    codes = [village.code for village in area.villages]
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    paths = {name: workdir / f"{name}-{args.rows}.xlsx" for name in ("first", "lookback", "errors")}

    outside = RoundBuilder(seed=99)
    for serial in range(200):
        outside.add_household(f"4504819{serial:07d}", area.outside_village.code, size=2)
    outside_path = write(workdir / "outside.xlsx", outside)
    run_round("乙镇 精准识别", outside_path, area.county_staff, "precise")
    outside_members = list(Member.objects.filter(household__village=area.outside_village).order_by("pk"))

    print(f"Workbooks in {workdir} ({args.rows:,} member rows each):")
    first, second = county_rounds(args.rows, codes, seed=7)
    broken = RoundBuilder(seed=8)
    broken.used_ids = second.used_ids
    broken.households = [list(map(dict, rows)) for rows in second.households]
    seeded = seed_errors(broken, {
        "outside_code": area.outside_village.code,
        "outside_households": [rows[0]["户编号"] for rows in outside.households[::2]],
        "outside_members": outside_members[3::4],  # spouses in the households whose numbers are not used
    })
    for name, builder in (("first", first), ("lookback", second), ("errors", broken)):
        if args.regenerate or not paths[name].exists():
            write(paths[name], builder)
    print(f"  seeded errors: {sum(seeded.values())} in {len(seeded)} kinds")

    village_ids = {village.code: village.pk for village in area.villages}
    seconds, ie_rows = import_export_rate(paths["first"], args.ie_rows, village_ids)  # on the empty register

    print("\nRounds (seconds; peak = process max RSS so far):")
    results = {}
    for label, name, kind in (("1 精准识别", "first", "precise"), ("2 回头看", "lookback", "look_back"),
                              ("3 回头看 again", "lookback", "look_back")):
        before = register_counts()
        result = results[label] = run_round(label, paths[name], area.cadre, kind)
        round_ = result["round"]
        print(f"  {label:<16} validate+preview {result['validate']:6.1f}  commit {result['commit']:6.1f}  "
              f"total {result['total']:6.1f}  peak {result['peak']:5.0f} MB  | rows {round_.rows:,} "
              f"households {round_.households:,} new {round_.new_households:,} changed {round_.changed_households:,} "
              f"absent {round_.absent_households:,} +{round_.persons_added} -{round_.persons_removed} "
              f"moved {round_.persons_moved} warnings {round_.warnings}")
        if label.endswith("again"):
            assert register_counts() == before, "re-importing the same file changed the register"
            print("    re-import: register rows and history rows unchanged")

    errors = run_round("4 回头看 with 1% errors", paths["errors"], area.cadre, "look_back", commit=False)
    round_ = errors["round"]
    found = {(row, rule) for row, rule in round_.issues.filter(severity="error").values_list("row", "rule")}
    missing, extra = broken.expected - found, found - broken.expected
    print(f"  {'4 with errors':<16} validate {errors['validate']:6.1f} (error report included)  "
          f"peak {errors['peak']:5.0f} MB  | seeded {len(broken.expected)}, reported {len(found)}, "
          f"missed {len(missing)}, false {len(extra)}")
    for row, rule in sorted(missing)[:10]:
        print(f"    missed: row {row} {rule}")
    for row, rule in sorted(extra)[:10]:
        print(f"    false: row {row} {rule}")

    scaled = seconds * args.rows / ie_rows
    ours = results["1 精准识别"]["total"]
    print(f"\ndjango-import-export defaults: {ie_rows:,} rows in {seconds:.1f} s ({ie_rows / seconds:,.0f} rows/s), "
          f"scaled to {args.rows:,} rows: {scaled:.0f} s")
    print(f"identification round 1: {args.rows:,} rows in {ours:.1f} s ({args.rows / ours:,.0f} rows/s) "
          f"→ {scaled / ours:.1f}× faster")
    print(f"peak memory: {peak_mb():.0f} MB")
    if missing or extra:
        sys.exit("the error report does not match the seeded errors")


if __name__ == "__main__":
    main()

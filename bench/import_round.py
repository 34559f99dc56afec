"""Benchmark: identification-round import (validate + preview + commit) on PostgreSQL, against django-import-export.

    .venv/bin/python bench/import_round.py                 # 100,000 member rows
    .venv/bin/python bench/import_round.py --rows 20000    # quicker

Creates its own database (default postgres://postgres@127.0.0.1:5432/pa_bench_import, override with
BENCH_DATABASE_URL) and generates its workbooks once under --workdir (kept between runs; --regenerate
writes them again). Then, each step in a fresh process so that its peak memory is its own:

1. a first 精准识别 round of --rows valid member rows (all households new),
2. a 回头看 round of the same township: changed households, persons moved and removed, new and absent households,
3. the same 回头看 workbook again: must change nothing and write no history row,
4. the 回头看 workbook with 1% of its rows broken, cycling through every error kind: every seeded error
   must be reported on its row and no other error may appear (validation only; includes the error report),
5. django-import-export ModelResources with default options (import_id_fields 户编号 / 证件号码) over the
   first --ie-rows rows of workbook 1 on the empty register (rolled back), scaled to --rows.

Rounds run through identification.services, exactly what the Celery task runs. Peak memory is the step
process's maximum resident set size (resource.getrusage), which includes calamine's Rust heap; CPU is the
step process's own (PostgreSQL's work is not in it, but is in the wall-clock seconds).
"""
import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pa_bench_import"
VILLAGES = 200
CADRE, COUNTY_STAFF = "bench-cadre", "bench-county"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="member rows in each workbook")
    parser.add_argument("--ie-rows", type=int, default=5_000, help="rows imported with django-import-export")
    parser.add_argument("--workdir", default="/tmp/pa_bench_import", help="where the workbooks are kept")
    parser.add_argument("--regenerate", action="store_true", help="write the workbooks again")
    return parser.parse_args()


def in_child(function, *args):
    """Run function(*args) in a fresh process (spawned: nothing inherited) and return its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def measured(function):
    """Wall and CPU seconds and the process's peak RSS (MB) around function()."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, {
        "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def django_ready(url: str, workdir: str):
    from exit_check import setup_django

    os.environ["MEDIA_ROOT"] = str(Path(workdir) / "media")  # uploads and reports stay out of the project
    setup_django(url)


# --- workbooks (no database needed) -----------------------------------------------------------------------


def village_codes() -> tuple[list[str], str]:
    """Codes of township 甲's villages and of the one village of township 乙 (see setup_area)."""
    return [f"4504812{n:05d}" for n in range(VILLAGES)], "450481300001"


def village_names() -> dict:
    """Village code → name, as setup_area registers them and the workbooks write them."""
    codes, outside_code = village_codes()
    return {**{code: f"甲{n}村" for n, code in enumerate(codes)}, outside_code: "乙村"}


def outside_builder():
    """Township 乙's register, imported before the rounds: its numbers and members make the out-of-scope errors."""
    from tests.identification_workbooks import RoundBuilder

    builder = RoundBuilder(seed=99)
    for serial in range(200):
        builder.add_household(f"4504819{serial:07d}", village_codes()[1], size=2, 乡镇="乙镇", 行政村="乙村")
    return builder


def generate(rows: int, workdir: str, regenerate: bool) -> dict:
    """Write the three workbooks (and the outside one); returns the seeded errors as [(row, rule), …]."""
    from tests.identification_workbooks import PERSON_HEADERS, RoundBuilder

    workdir = Path(workdir)
    expected_path = workdir / f"expected-{rows}.json"
    paths = [workdir / f"{name}-{rows}.xlsx" for name in ("first", "lookback", "errors")] + [workdir / "outside.xlsx"]
    if not regenerate and expected_path.exists() and all(path.exists() for path in paths):
        return json.loads(expected_path.read_text())
    codes, outside_code = village_codes()
    names = village_names()
    first = RoundBuilder(seed=7)
    count, serial = 0, 0
    while count < rows:
        serial += 1
        size = min(first.rng.randint(1, 7), rows - count)
        code = first.rng.choice(codes)
        first.add_household(f"4504812{serial:07d}", code, size=size, 行政村=names[code])
        count += size
    write(paths[0], first)
    second = RoundBuilder(seed=8)
    second.used_ids = first.used_ids
    rng = random.Random(9)
    dropped = set(rng.sample(range(len(first.households)), len(first.households) // 100))  # absent from 回头看
    for index, household in enumerate(first.households):
        if index in dropped:
            continue
        household, roll = [dict(row) for row in household], rng.random()
        if roll < 0.05:
            second.set_all(household, "主要致贫原因", "缺技术" if household[0]["主要致贫原因"] != "缺技术" else "因病")
            second.set_all(household, "工资性收入", household[0]["工资性收入"] + 1000)
        elif roll < 0.07 and len(household) > 2:
            household.pop()  # a child leaves
            second.set_all(household, "家庭人口数", len(household))
        elif roll < 0.09 and second.households and len(second.households[-1]) > 2:
            previous = second.households[-1]
            moved = previous.pop()  # a child of the previous household moves here
            second.set_all(previous, "家庭人口数", len(previous))
            household.append({**household[0], **{key: moved[key] for key in PERSON_HEADERS}})
            second.set_all(household, "家庭人口数", len(household))
        elif roll < 0.10:
            household[-1]["健康状况"] = "患有大病"
        second.households.append(household)
    serial = 9_000_000
    while sum(map(len, second.households)) < rows:
        serial += 1
        code = rng.choice(codes)
        second.add_household(f"4504812{serial:07d}", code, size=4, 行政村=names[code])
    write(paths[1], second)
    broken = RoundBuilder(seed=10)
    broken.used_ids = second.used_ids
    broken.households = [[dict(row) for row in household] for household in second.households]
    seeded = seed_errors(broken, outside_code, outside_builder())
    write(paths[2], broken)
    write(paths[3], outside_builder())
    result = {"expected": sorted(broken.expected), "seeded": seeded}
    expected_path.write_text(json.dumps(result))
    return result


def seed_errors(builder, outside_code: str, outside) -> dict:
    """Break 1% of the rows, cycling through every error kind; returns how many of each were seeded."""
    from tests.identification_workbooks import CONTEXT_KINDS, SIMPLE_KINDS

    kinds = [*SIMPLE_KINDS, *CONTEXT_KINDS]
    rows = sum(map(len, builder.households))
    candidates = [household for household in builder.households if len(household) >= 3]
    step = max(2, len(candidates) // (rows // 100))
    numbers = iter(household[0]["户编号"] for household in outside.households[::2])
    spouses = iter((household[1]["证件号码"], household[1]["性别"]) for household in outside.households[1::2])
    seeded = {}
    for index, position in enumerate(range(step, len(candidates), step)):
        kind, context = kinds[index % len(kinds)], {}
        if kind == "duplicate_in_file":  # a child of an earlier household no error touches
            context["source_household"] = candidates[position - step // 2]
            context["source"] = context["source_household"][2]
        elif kind == "village_out_of_scope":
            context["village_code"] = outside_code
        elif kind == "household_out_of_scope":
            context["number"] = next(numbers)
        elif kind == "active_elsewhere":
            context["person"] = next(spouses)
        builder.seed(kind, candidates[position], **context)
        seeded[kind] = seeded.get(kind, 0) + 1
    return seeded


def write(path: Path, builder) -> None:
    started = time.perf_counter()
    path.write_bytes(builder.workbook())
    print(f"  wrote {path.name}: {sum(map(len, builder.households)):,} rows in {time.perf_counter() - started:.0f} s",
          flush=True)


# --- steps in the database --------------------------------------------------------------------------------


def setup_area(url: str, workdir: str) -> None:
    """Fresh database; township 甲 (VILLAGES villages, the uploader's) and 乙 (outside, with its register)."""
    from exit_check import recreate_database

    recreate_database(url, reuse=False)
    django_ready(url, workdir)
    from django.core.management import call_command

    from povertyapp.roles import Role
    from tests import factories
    from villages.models import Village

    call_command("migrate", verbosity=0)
    inside, outside = factories.township("甲镇"), factories.township("乙镇")
    codes, outside_code = village_codes()
    names = village_names()
    Village.objects.bulk_create([Village(township=inside, name=names[code], code=code) for code in codes])
    Village.objects.create(township=outside, name=names[outside_code], code=outside_code)
    factories.user(Role.COUNTY_STAFF, username=COUNTY_STAFF)
    factories.user(Role.TOWNSHIP_CADRE, township=inside, username=CADRE)
    round_step(url, workdir, "乙镇 精准识别", "outside.xlsx", COUNTY_STAFF, "precise", True, ready=True)


def round_step(url: str, workdir: str, label: str, name: str, username: str, kind: str, commit: bool,
               ready: bool = False) -> dict:
    """One round as the Celery tasks run it: validate (with the preview), then commit."""
    if not ready:
        django_ready(url, workdir)
    path = str(Path(workdir) / name)
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from households.models import Household, IncomeRecord, Member
    from identification.models import IdentificationRound
    from identification.services import commit_round, validate_round

    def register():
        return {m.__name__: (m.objects.count(), m.history.count()) for m in (Household, Member, IncomeRecord)}

    user = get_user_model().objects.get(username=username)
    with open(path, "rb") as handle:
        round_ = IdentificationRound.objects.create(
            name=label, year=2016, kind=kind, created_by=user, township=user.staff_profile.township,
            file=File(handle, name=Path(path).name), original_name=Path(path).name, file_size=os.path.getsize(path),
        )
    before = register()
    _result, validate = measured(lambda: validate_round(round_))
    round_.refresh_from_db()
    step = {"validate": validate, "commit": None}
    if commit:
        assert round_.status == "validated", (round_.status, round_.problem, round_.errors)
        committed, step["commit"] = measured(lambda: commit_round(round_, user))
        assert committed, round_.error
        round_.refresh_from_db()
    step["unchanged"] = register() == before
    step["round"] = {name: getattr(round_, name) for name in (
        "status", "rows", "households", "errors", "warnings", "new_households", "changed_households",
        "absent_households", "persons_added", "persons_removed", "persons_moved",
    )}
    step["errors_found"] = sorted(round_.issues.filter(severity="error").values_list("row", "rule"))
    return step


def import_export_step(url: str, workdir: str, name: str, rows: int) -> dict:
    """django-import-export 4 ModelResources with default options over the first `rows` rows (rolled back)."""
    django_ready(url, workdir)
    path = str(Path(workdir) / name)
    import tablib
    from django.db import transaction
    from import_export import resources

    from households.idnumbers import parse_id_number
    from households.models import Household, Member
    from identification.columns import BY_FIELD
    from identification.reader import open_sheet
    from villages.models import Village

    household_fields = ("number", "village", "year_identified", "standard", "attribute", "main_cause", "status",
                        "housing_grade", "safe_drinking_water", "housing_area", "phone")
    member_fields = ("household", "name", "id_number", "sex", "birth_date", "relation", "ethnicity", "education",
                     "school_status", "health", "labour_skill", "work_status", "months_worked", "has_medical_insurance",
                     "has_serious_illness_insurance", "has_pension_insurance", "receives_subsistence",
                     "receives_destitute_support")

    class HouseholdResource(resources.ModelResource):
        class Meta:
            model = Household
            import_id_fields = ("number",)
            fields = household_fields

    class MemberResource(resources.ModelResource):
        class Meta:
            model = Member
            import_id_fields = ("id_number",)
            fields = member_fields

    with open(path, "rb") as handle:
        sheet = open_sheet(handle)
        positions = {column.field: index for column, index in sheet.layout.positions.items()}
        cells = [row for _n, (_number, row) in zip(range(rows), sheet.rows())]
        del sheet

    def value(row, name):
        return BY_FIELD[name].parse(row[positions[name]])

    village_ids = dict(Village.objects.values_list("code", "pk"))
    households, members, seen = tablib.Dataset(headers=list(household_fields)), [], set()
    for row in cells:
        number = value(row, "number")
        if number not in seen:
            seen.add(number)
            households.append([number, village_ids[value(row, "village_code")],
                               *(value(row, name) for name in household_fields[2:])])
        parsed = parse_id_number(value(row, "id_number"))
        person = {name: value(row, name) for name in member_fields[5:]}
        if person["education"] and person["school_status"] == "19":
            person["school_status"] = ""  # as the round reader does: adults are marked 非在校生 besides their education
        members.append([number, value(row, "name"), parsed.number, parsed.sex, parsed.birth_date, *person.values()])

    class Rollback(Exception):
        pass

    def load():
        result = HouseholdResource().import_data(households)
        assert not result.has_errors(), result.row_errors()[:1]
        ids = dict(Household.objects.filter(number__in=seen).values_list("number", "pk"))
        dataset = tablib.Dataset(*([ids[member[0]], *member[1:]] for member in members), headers=list(member_fields))
        result = MemberResource().import_data(dataset)
        assert not result.has_errors(), result.row_errors()[:1]

    def atomic_and_rolled_back():
        try:
            with transaction.atomic():
                load()
                raise Rollback
        except Rollback:
            pass

    _result, figures = measured(atomic_and_rolled_back)
    return {**figures, "rows": len(cells)}


# --- report -----------------------------------------------------------------------------------------------


def show(label: str, step: dict) -> None:
    validate, commit, info = step["validate"], step["commit"], step["round"]
    total = validate["wall"] + (commit["wall"] if commit else 0)
    cpu = validate["cpu"] + (commit["cpu"] if commit else 0)
    peak = max(validate["peak"], commit["peak"] if commit else 0)
    commit_text = f"commit {commit['wall']:5.1f}" if commit else "commit     —"
    print(f"  {label:<20} validate+preview {validate['wall']:5.1f}  {commit_text}  total {total:5.1f} s "
          f"(own CPU {cpu:5.1f})  peak {peak:4.0f} MB")
    print(f"  {'':<20} {info['rows']:,} rows, {info['households']:,} households: new {info['new_households']:,}, "
          f"changed {info['changed_households']:,}, absent {info['absent_households']:,}, persons added "
          f"{info['persons_added']:,}, removed {info['persons_removed']:,}, moved {info['persons_moved']:,}; "
          f"errors {info['errors']:,}, warnings {info['warnings']:,}", flush=True)


def main():
    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("the benchmark runs on PostgreSQL: set BENCH_DATABASE_URL=postgres://…")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"Workbooks in {workdir} ({args.rows:,} member rows each):", flush=True)
    generated = in_child(generate, args.rows, str(workdir), args.regenerate)
    expected = {tuple(item) for item in generated["expected"]}
    print(f"  seeded errors: {len(expected):,} in {len(generated['seeded'])} kinds "
          f"({', '.join(f'{kind} {n}' for kind, n in sorted(generated['seeded'].items()))})")
    in_child(setup_area, url, str(workdir))
    name = {kind: f"{kind}-{args.rows}.xlsx" for kind in ("first", "lookback", "errors")}
    load = os.getloadavg()[0]
    print(f"\nOn {os.cpu_count()} CPUs, load average {load:.1f} at the start (seconds are wall clock):", flush=True)
    ie = in_child(import_export_step, url, str(workdir), name["first"], args.ie_rows)
    first = in_child(round_step, url, str(workdir), "1 精准识别", name["first"], CADRE, "precise", True)
    show("1 精准识别", first)
    second = in_child(round_step, url, str(workdir), "2 回头看", name["lookback"], CADRE, "look_back", True)
    show("2 回头看", second)
    again = in_child(round_step, url, str(workdir), "3 回头看 again", name["lookback"], CADRE, "look_back", True)
    show("3 same file again", again)
    print(f"  {'':<20} register and history rows unchanged: {again['unchanged']}")
    broken = in_child(round_step, url, str(workdir), "4 回头看 1% errors", name["errors"], CADRE, "look_back", False)
    show("4 with 1% errors", broken)
    found = {tuple(item) for item in broken["errors_found"]}
    missed, false = sorted(expected - found), sorted(found - expected)
    print(f"  {'':<20} seeded {len(expected):,}, reported {len(found):,}: missed {len(missed)}, false {len(false)}; "
          f"register unchanged: {broken['unchanged']}")
    for row, rule in missed[:10]:
        print(f"    missed: row {row} {rule}")
    for row, rule in false[:10]:
        print(f"    false: row {row} {rule}")

    scaled = ie["wall"] * args.rows / ie["rows"]
    ours = first["validate"]["wall"] + first["commit"]["wall"]
    print(f"\ndjango-import-export defaults: {ie['rows']:,} rows in {ie['wall']:.1f} s ({ie['rows'] / ie['wall']:,.0f} "
          f"rows/s), scaled to {args.rows:,} rows: {scaled:,.0f} s")
    print(f"identification round 1: {args.rows:,} rows in {ours:.1f} s ({args.rows / ours:,.0f} rows/s): "
          f"{scaled / ours:.1f}x faster")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("BENCH " + json.dumps({  # one machine-readable line for bench/run_all.py
        "name": "import_round", "size": f"{args.rows:,} rows", "seconds": round(ours, 2),
        "rate": f"{args.rows / ours:,.0f} rows/s", "ratio": round(scaled / ours, 1),
        "ratio_of": "django-import-export defaults / round 1",
        "ok": not (missed or false or not again["unchanged"] or not broken["unchanged"]),
    }, ensure_ascii=False))
    if missed or false or not again["unchanged"] or not broken["unchanged"]:
        sys.exit("FAILED: see above")


if __name__ == "__main__":
    main()

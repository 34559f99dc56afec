"""Benchmark: reading hostile identification workbooks beside a normal round — seconds and peak memory.

    .venv/bin/python bench/hostile_uploads.py                # beside a normal round of 100,000 rows
    .venv/bin/python bench/hostile_uploads.py --rows 20000   # quicker
    .venv/bin/python bench/hostile_uploads.py --unguarded    # also as read before the limits: calamine straight
                                                             # away (gigabytes; one file aborts its process)

Writes the workbooks once under --workdir (kept between runs; --regenerate writes them again): the normal
round as bench/import_round.py writes its first one, and the hostile files at the scale of the issue, built
with the same helpers as tests/test_identification_limits.py. Each file is then read in a fresh process
(spawned: nothing inherited) the way validation reads it — reader.open_sheet, then every row through
records.RowReader — with no database. Peak memory is that process's maximum resident set size
(resource.getrusage), calamine's Rust heap included; seconds are wall clock, CPU seconds the process's own.
Fails unless every hostile file is refused and its peak stays within the normal round's.
"""
import argparse
import base64
import multiprocessing
import os
import resource
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
MB = 1024 * 1024


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="member rows in the normal round")
    parser.add_argument("--workdir", default="/tmp/pa_bench_hostile", help="where the workbooks are kept")
    parser.add_argument("--regenerate", action="store_true", help="write the workbooks again")
    parser.add_argument("--unguarded", action="store_true", help="also read each file as before the limits")
    return parser.parse_args()


def django_ready():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "povertyapp.settings")
    import django

    django.setup()


def in_child(function, *args):
    """function(*args) in a fresh spawned process; None when the process dies (calamine aborts on a failed
    allocation, which takes the whole process down)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return pool.submit(function, *args).result()
        except BrokenProcessPool:
            return None


# --- workbooks ------------------------------------------------------------------------------------------------


HOSTILE = {
    "bomb.xlsx": "zip bomb: 1 GB of blanks in the sheet",
    "million-rows.xlsx": "1,000,000 rows of one character",
    "hidden-rows.xlsx": "dimension A1:AP3 hiding 1,000,000 rows",
    "letter-string.xlsx": "one shared string of 390 MB (one letter)",
    "dense-string.xlsx": "one shared string of 90 MB (ratio < 100)",
    "wide.xlsx": "2,000 rows reaching column XFD (16,384)",
    "corners.xlsx": "2 cells spanning 300,000 rows x 200 columns",
    "declared-strings.xlsx": "shared strings declaring 2,000,000,000",
}


def builders() -> dict:
    """File name (HOSTILE) → a function returning its bytes."""
    from tests.test_identification_limits import SHEET, STRINGS, batched, shared_strings, sheet, workbook

    def bomb():
        return workbook({SHEET: sheet(b" " * MB for _ in range(1024))})

    def million_rows():
        rows = (b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(2, 1_000_002))
        return workbook({SHEET: sheet(batched(rows))})

    def hidden_rows():
        rows = (b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(2, 1_000_002))
        return workbook({SHEET: sheet(batched(rows), head=b'<dimension ref="A1:AP3"/>')})

    def one_letter_string():
        cell = sheet(b'<row r="2"><c r="A2" t="s"><v>1</v></c></row>')
        text = (b"<si><t>x</t></si><si><t>", *(b"x" * MB for _ in range(390)), b"</t></si>")
        head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        return workbook({STRINGS: (head, *text, b"</sst>"), SHEET: cell})

    def dense_string():
        block = base64.b64encode(os.urandom(12_000))  # repeated within deflate's window, broken every 200 bytes
        noise = base64.b16encode(os.urandom(500_000))
        pieces = (block[(n * 200) % len(block):][:200] + noise[2 * n % len(noise):][:2] for n in range(450_000))
        return workbook({STRINGS: shared_strings(f"<t>{b''.join(pieces).decode()}</t>"),
                         SHEET: sheet(b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>')})

    def wide():
        rows = (b'<row r="%d"><c r="A%d"><v>1</v></c><c r="XFD%d"><v>1</v></c></row>' % (n, n, n)
                for n in range(2, 2_002))
        return workbook({SHEET: sheet(batched(rows))})

    def corners():
        return workbook({SHEET: sheet(b'<row r="299999"><c r="GR299999"><v>1</v></c></row>')})

    def declared_strings():
        return workbook({STRINGS: shared_strings("<t>户编号</t>", declared=2_000_000_000)})

    return {
        "bomb.xlsx": bomb, "million-rows.xlsx": million_rows, "hidden-rows.xlsx": hidden_rows,
        "letter-string.xlsx": one_letter_string, "dense-string.xlsx": dense_string, "wide.xlsx": wide,
        "corners.xlsx": corners, "declared-strings.xlsx": declared_strings,
    }


def write_hostile(workdir: str, regenerate: bool) -> None:
    django_ready()
    for name, build in builders().items():
        path = Path(workdir) / name
        if regenerate or not path.exists():
            path.write_bytes(build())


def write_normal(path: str, rows: int) -> None:
    """The first round of bench/import_round.py: `rows` valid member rows in the villages it sets up."""
    django_ready()
    from import_round import village_codes, village_names

    from tests.identification_workbooks import RoundBuilder

    codes, names = village_codes()[0], village_names()
    builder, count, serial = RoundBuilder(seed=7), 0, 0
    while count < rows:
        serial += 1
        size = min(builder.rng.randint(1, 7), rows - count)
        code = builder.rng.choice(codes)
        builder.add_household(f"4504812{serial:07d}", code, size=size, 行政村=names[code])
        count += size
    Path(path).write_bytes(builder.workbook())


# --- reading --------------------------------------------------------------------------------------------------


def read(path: str, unguarded: bool) -> dict:
    """Open and read every row as validation does (`unguarded`: as it did before the limits: calamine straight
    away, then the formula scan); what happened, wall seconds and peak RSS (MB)."""
    django_ready()
    from identification.limits import WorkbookError
    from identification.reader import open_sheet
    from identification.records import RowReader

    started, cpu = time.perf_counter(), time.process_time()
    try:
        if unguarded:
            layout, formulas, rows = unguarded_sheet(path)
        else:
            with open(path, "rb") as file:
                sheet = open_sheet(file, path)
            layout, formulas, rows = sheet.layout, sheet.formulas, sheet.rows()
        outcome, refused = f"read {RowReader(layout, formulas).read(rows).rows:,} rows", False
    except WorkbookError as exc:
        outcome, refused = f"refused: {exc}", True
    return {"outcome": outcome, "refused": refused, "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - cpu, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def unguarded_sheet(path: str):
    """The round sheet as reader.open_sheet opened it before the limits: its layout, formulas and rows."""
    import python_calamine

    from identification import reader

    book = python_calamine.CalamineWorkbook.from_path(path)
    name, sheet, layout, _formulas = reader._choose_sheet(book, scan=lambda name: {})
    archive = zipfile.ZipFile(path)
    formulas = reader.formula_cells(archive.open(reader.sheet_parts(archive)[name]), first_row=layout.data_row + 1)
    rows = ((index + 1, cells) for index, cells in enumerate(sheet.iter_rows()) if index >= layout.data_row)
    return layout, formulas, rows


def idle() -> float:
    """The peak RSS (MB) of a spawned process that only sets Django up: the floor of every figure below."""
    django_ready()
    import identification.reader  # noqa: F401 (what read() imports)

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def show(label: str, size: int, figures: dict | None, width: int = 60) -> None:
    if figures is None:
        print(f"  {label:<44} {size / MB:7.1f}  process aborted (calamine could not allocate)", flush=True)
        return
    outcome = figures["outcome"] if len(figures["outcome"]) <= width else figures["outcome"][:width - 1] + "…"
    print(f"  {label:<44} {size / MB:7.1f}  {figures['seconds']:7.2f}  {figures['cpu']:7.2f}  {figures['peak']:7.0f}  "
          f"{outcome}", flush=True)


def main():
    args = parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    normal = workdir / f"normal-{args.rows}.xlsx"
    if args.regenerate or not normal.exists():
        print(f"Writing the normal round ({args.rows:,} rows) to {normal}…", flush=True)
        in_child(write_normal, str(normal), args.rows)
    in_child(write_hostile, str(workdir), args.regenerate)
    print(f"\nOn {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; each file read in a fresh process "
          f"(Python and Django alone: {in_child(idle):.0f} MB)\n")
    print(f"  {'file':<44} {'MB':>7}  {'seconds':>7}  {'CPU s':>7}  {'peak MB':>7}  outcome")
    baseline = in_child(read, str(normal), False)
    show(f"normal round, {args.rows:,} rows", normal.stat().st_size, baseline)
    failed = []
    for name, description in HOSTILE.items():
        path = workdir / name
        figures = in_child(read, str(path), False)
        show(description, path.stat().st_size, figures)
        if figures is None or not figures["refused"] or figures["peak"] > baseline["peak"]:
            failed.append(description)
    if args.unguarded:
        print("\n  as before the limits (calamine straight away):")
        show(f"normal round, {args.rows:,} rows", normal.stat().st_size, in_child(read, str(normal), True))
        for name, description in HOSTILE.items():
            path = workdir / name
            show(description, path.stat().st_size, in_child(read, str(path), True))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    if failed:
        sys.exit("FAILED (not refused, or more memory than the normal round): " + "; ".join(failed))


if __name__ == "__main__":
    main()

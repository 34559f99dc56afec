"""Every benchmark at a quick size, one after the other, then one table of their figures (`make bench`).

    .venv/bin/python bench/run_all.py                  # quick sizes: a few minutes on PostgreSQL
    .venv/bin/python bench/run_all.py --full           # each benchmark's own default size (long)
    .venv/bin/python bench/run_all.py --only exit_check

Each benchmark in bench/ runs in its own process with its own output shown as it comes, and ends with one line
`BENCH {"name": …, "size": …, "seconds": …, "rate": …, "ratio": …, "ratio_of": …, "ok": …}`; this script
collects those lines. A benchmark not listed in QUICK runs with no arguments. The benchmarks create their own
PostgreSQL databases (BENCH_DATABASE_URL overrides the URL, as each script's docstring says).
Exits non-zero when a benchmark fails (exit status) or reports a failed check ("ok": false); a benchmark that
passes without a BENCH line shows in the table without figures.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Quick sizes: enough to show the shape of the figures, small enough for `make bench` to take minutes.
QUICK = {
    "exit_check": ["--households", "20000", "--sample", "1000"],
    "import_round": ["--rows", "5000", "--ie-rows", "2000"],
    "hostile_uploads": ["--rows", "20000"],  # its normal round is the memory yardstick: not much smaller
}


def benchmarks() -> list[Path]:
    """The runnable scripts of bench/ (those with a __main__ block), this one excepted."""
    return sorted(
        path for path in HERE.glob("*.py")
        if path.name != Path(__file__).name and 'if __name__ == "__main__"' in path.read_text(encoding="utf-8")
    )


def run(path: Path, full: bool) -> tuple[dict | None, int, float]:
    """Run one benchmark, echoing its output; return its BENCH figures (or None), exit status and wall seconds."""
    command = [sys.executable, str(path), *([] if full else QUICK.get(path.stem, []))]
    print(f"\n==> {' '.join([Path(command[0]).name, *command[1:]])}", flush=True)
    started = time.perf_counter()
    figures = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE.parent) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("BENCH "):
                figures = json.loads(line[len("BENCH "):])
    return figures, process.returncode, time.perf_counter() - started


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each benchmark's default (large) size")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    args = parser.parse_args()
    scripts = [path for path in benchmarks() if not args.only or path.stem in args.only]
    if not scripts:
        print(f"no benchmark named {args.only} in {HERE}", file=sys.stderr)
        return 2
    rows = [["benchmark", "size", "seconds", "rate", "ratio", "ratio of", "wall s", "result"]]
    failed = False
    for path in scripts:
        figures, status, wall = run(path, args.full)
        if status != 0 or (figures or {}).get("ok") is False:
            failed = True
            result = f"FAIL (exit {status})" if status else "FAIL"
        else:
            result = "ok" if figures else "ok, no BENCH line: see its own output"
        figures = figures or {}
        ratio = figures.get("ratio")
        rows.append([
            figures.get("name", path.stem), str(figures.get("size", "")),
            f"{figures['seconds']:.1f}" if "seconds" in figures else "",
            str(figures.get("rate", "")), f"{ratio:,.1f}x" if ratio is not None else "",
            str(figures.get("ratio_of", "")), f"{wall:.0f}", result,
        ])
    print(f"\nBenchmarks ({'full' if args.full else 'quick'} sizes, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at the end):")
    print(table(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

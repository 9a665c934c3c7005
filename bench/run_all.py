#!/usr/bin/env python
"""`make bench`: run every benchmark in bench/ and print one table of ratios.

Each bench script that exists (intake, fanout, hotspots, load, ops_search, jobs, video, photo_derivatives, routing) runs in its own process with
``--json PATH`` (the row contract in bench/benchlib.py); its own output streams through. At
the end one combined table is printed and written to artifacts/bench/all.json. The exit
status is 1 when a bench failed or a row missed its goal.

    .venv/bin/python bench/run_all.py                 # all of them
    .venv/bin/python bench/run_all.py --only intake   # a subset
    .venv/bin/python bench/run_all.py -- --duration 3 # extra arguments for every bench
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, all_ok, format_table, machine_description, make_row, read_json, write_json  # noqa: E402

BENCHES = ["intake", "representation", "fanout", "hotspots", "load", "ops_search", "jobs", "video", "photo_derivatives", "routing"]
BENCH_DIR = Path(__file__).resolve().parent


def run_one(name: str, out_dir: Path, extra: list[str], timeout: float) -> tuple[list[dict], str | None]:
    """Run bench/<name>.py --json; return its rows and an error message (None when it worked)."""
    script = BENCH_DIR / f"{name}.py"
    out = out_dir / f"{name}.json"
    out.unlink(missing_ok=True)
    print(f"\n===== {name} =====", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(script), "--json", str(out), *extra], cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s"
    print(f"----- {name}: {time.monotonic() - started:.0f} s, exit {done.returncode}", flush=True)
    rows: list[dict] = []
    if out.exists():
        try:
            rows = read_json(out)
        except ValueError as exc:
            return [], f"bad --json output: {exc}"
    if done.returncode != 0:
        return rows, f"exited with {done.returncode}"
    if not rows:
        return rows, "wrote no rows"
    return rows, None


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(description="Run every benchmark in bench/ and print one ratio table.")
    parser.add_argument("--only", help="comma-separated bench names (default: every one present)")
    parser.add_argument("--out", default=str(ROOT / "artifacts" / "bench"), help="folder for the JSON files")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per bench")
    args = parser.parse_args(argv)

    wanted = [n.strip() for n in args.only.split(",")] if args.only else BENCHES
    unknown = [n for n in wanted if n not in BENCHES]
    if unknown:
        parser.error(f"unknown bench {unknown[0]!r}; known: {', '.join(BENCHES)}")
    present = [n for n in wanted if (BENCH_DIR / f"{n}.py").exists()]
    missing = [n for n in wanted if n not in present]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    rows: list[dict] = []
    failures: dict[str, str] = {}
    for name in present:
        bench_rows, error = run_one(name, out_dir, extra, args.timeout)
        rows.extend(bench_rows)
        if error:
            failures[name] = error
            rows.append(make_row(name, f"run failed: {error}", 0, None, "value == 1"))

    print("\n===== all benchmarks =====")
    print(f"machine: {machine_description()}")
    if missing:
        print(f"not present (skipped): {', '.join(missing)}")
    if rows:
        print(format_table(rows))
    write_json(out_dir / "all.json", rows)
    ok = all_ok(rows) and not failures
    failed_goals = [f"{r['bench']} {r['metric']}" for r in rows if r["ok"] is False]
    print(f"\n{len(rows)} rows from {len(present) - len(failures)}/{len(present)} benches; "
          + ("every goal met." if ok else f"NOT met: {'; '.join(failed_goals)}"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark row contract (bench/benchlib.py) and the combined table of bench/run_all.py."""

import json
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH_DIR))

import benchlib  # noqa: E402
import run_all  # noqa: E402


def test_rows_compute_ratio_and_goal():
    row = benchlib.make_row("intake", "creates/s c=8", 300, 1000, "ratio >= 0.25")
    assert row == {"bench": "intake", "metric": "creates/s c=8", "value": 300.0, "baseline": 1000.0,
                   "ratio": 0.3, "goal": "ratio >= 0.25", "ok": True}
    assert benchlib.make_row("intake", "creates/s c=8", 200, 1000, "ratio >= 0.25")["ok"] is False
    assert benchlib.make_row("fanout", "p99 ms", 80, None, "value <= 100")["ok"] is True
    assert benchlib.make_row("fanout", "p99 ms", 120, None, "value <= 100")["ok"] is False
    # No baseline: no ratio, and a ratio goal cannot be met.
    assert benchlib.make_row("x", "m", 5, None, "ratio >= 0.1")["ok"] is False
    assert benchlib.make_row("x", "m", 5)["ok"] is None and benchlib.make_row("x", "m", 5)["ratio"] is None
    with pytest.raises(benchlib.GoalError):
        benchlib.make_row("x", "m", 1, 2, "at least a quarter")
    with pytest.raises(ValueError):
        benchlib.validate_rows([{"bench": "x", "value": 1}])


def test_table_and_percentiles():
    rows = [benchlib.make_row("intake", "creates/s c=8", 300, 1000, "ratio >= 0.25"),
            benchlib.make_row("intake", "p95 ms c=8", 41.26, 12.0)]
    table = benchlib.format_table(rows).splitlines()
    assert table[0].split() == ["bench", "metric", "value", "baseline", "ratio", "goal", "ok"]
    assert "30.0%" in table[2] and "yes" in table[2] and "1,000" in table[2]
    assert "343.8%" in table[3] and "41.3" in table[3]
    assert benchlib.all_ok(rows) and not benchlib.all_ok(rows + [benchlib.make_row("a", "b", 0, 1, "ratio > 0")])
    assert benchlib.percentile([1, 2, 3, 4, 5], 50) == 3
    assert benchlib.percentile([0, 10], 95) == pytest.approx(9.5)


def test_run_all_combines_benches_and_fails_on_a_missed_goal(tmp_path, monkeypatch, capsys):
    bench_dir = tmp_path / "bench"
    bench_dir.mkdir()
    script = """
import json, sys
path = sys.argv[sys.argv.index("--json") + 1]
sys.path.insert(0, {common_dir!r})
from benchlib import make_row, write_json
print("human output of {name}")
write_json(path, [make_row("{name}", "rate", {value}, 100, "ratio >= 0.25")])
"""
    for name, value in (("intake", 40), ("load", 10)):
        (bench_dir / f"{name}.py").write_text(script.format(common_dir=str(BENCH_DIR), name=name, value=value))
    monkeypatch.setattr(run_all, "BENCH_DIR", bench_dir)
    code = run_all.main(["--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1  # load reached 10% only
    skipped = ", ".join(name for name in run_all.BENCHES if name not in ("intake", "load"))
    assert f"not present (skipped): {skipped}" in out
    assert "40.0%" in out and "10.0%" in out and "NOT met: load rate" in out
    combined = json.loads((tmp_path / "out" / "all.json").read_text())
    assert [(r["bench"], r["ok"]) for r in combined] == [("intake", True), ("load", False)]
    assert run_all.main(["--out", str(tmp_path / "out"), "--only", "intake"]) == 0

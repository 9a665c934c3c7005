"""The small contract every benchmark in bench/ follows, and helpers they share.

Each bench script prints human-readable output, and with ``--json PATH`` also writes a JSON
list of rows, one per measured figure::

    {"bench": "intake", "metric": "creates/s c=8", "value": 812.0,
     "baseline": 2900.0, "ratio": 0.28, "goal": "ratio >= 0.25", "ok": true}

- ``value``: the figure measured for the project (a float).
- ``baseline``: the same figure for the raw path measured in the same run (a float), or null
  when the metric has no baseline.
- ``ratio``: value / baseline, or null without a baseline.
- ``goal``: null, or ``"<ratio|value> <op> <number>"`` with op one of >=, <=, >, <, ==;
  ``ok`` is that goal evaluated on the row (null when there is no goal).

`bench/run_all.py` (``make bench``) runs every bench with ``--json`` and prints one table.
"""

from __future__ import annotations

import json
import math
import operator
import os
import socket
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("bench", "metric", "value", "baseline", "ratio", "goal", "ok")
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}


class GoalError(ValueError):
    pass


def parse_goal(goal: str) -> tuple[str, str, float]:
    """'ratio >= 0.25' -> ('ratio', '>=', 0.25)."""
    parts = goal.split()
    if len(parts) != 3 or parts[0] not in ("ratio", "value") or parts[1] not in _OPS:
        raise GoalError(f"goal must look like 'ratio >= 0.25' or 'value <= 100', not {goal!r}")
    try:
        number = float(parts[2])
    except ValueError:
        raise GoalError(f"goal threshold is not a number: {goal!r}") from None
    return parts[0], parts[1], number


def make_row(bench: str, metric: str, value: float, baseline: float | None = None, goal: str | None = None) -> dict:
    """One result row; ratio and ok are computed here so every bench computes them alike."""
    value = float(value)
    ratio = None
    if baseline is not None:
        baseline = float(baseline)
        ratio = value / baseline if baseline else None
    ok = None
    if goal:
        field, op, number = parse_goal(goal)
        subject = ratio if field == "ratio" else value
        ok = bool(subject is not None and math.isfinite(subject) and _OPS[op](subject, number))
    return {"bench": bench, "metric": metric, "value": value, "baseline": baseline, "ratio": ratio,
            "goal": goal, "ok": ok}


def validate_rows(rows) -> list[dict]:
    """Check that rows read back from a bench's --json file follow the contract."""
    if not isinstance(rows, list):
        raise ValueError("a bench's JSON output must be a list of rows")
    for row in rows:
        if not isinstance(row, dict) or set(row) != set(FIELDS):
            raise ValueError(f"row must have exactly the keys {FIELDS}: {row!r}")
        if not isinstance(row["value"], (int, float)):
            raise ValueError(f"row value must be a number: {row!r}")
    return rows


def write_json(path: str | os.PathLike, rows: list[dict]) -> None:
    validate_rows(rows)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(rows, indent=1) + "\n")


def read_json(path: str | os.PathLike) -> list[dict]:
    return validate_rows(json.loads(Path(path).read_text()))


def _fmt(x, digits: int = 1) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if isinstance(x, float):
        if abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:.{digits}f}"
    return str(x)


def format_table(rows: list[dict]) -> str:
    """A plain-text table: bench, metric, value, baseline, ratio (as a percentage), goal, ok."""
    header = ["bench", "metric", "value", "baseline", "ratio", "goal", "ok"]
    body = []
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio'] * 100:.1f}%"
        body.append([r["bench"], r["metric"], _fmt(r["value"]), _fmt(r["baseline"]), ratio,
                     r["goal"] or "-", _fmt(r["ok"])])
    widths = [max(len(str(line[i])) for line in [header] + body) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for line in body:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip())
    return "\n".join(lines)


def all_ok(rows: list[dict]) -> bool:
    """True when no row has a failed goal (rows without a goal don't count)."""
    return not any(r["ok"] is False for r in rows)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    k = (len(data) - 1) * p / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bind port 0 and let the kernel pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_json_argument(parser) -> None:
    parser.add_argument("--json", metavar="PATH", help="also write the result rows as JSON (bench/benchlib.py contract)")


def machine_description() -> str:
    """One line about the machine: CPU model, cores, memory."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores{', ' + model if model else ''}{mem}, Python {sys.version.split()[0]}"


# ---------------------------------------------------------------- a database of generated complaints

PY = str(ROOT / ".venv" / "bin" / "python")


def sh(cmd: list[str], env: dict) -> None:
    print("$", " ".join(cmd), flush=True)
    import subprocess

    subprocess.run(cmd, check=True, env=env, cwd=ROOT)


def psql(url: str, sql: str) -> str:
    import subprocess

    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", url, "-Atc", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def generated_database(*, db: str, count: int, host_url: str, rebuild: bool = False,
                       setup: tuple[list[str], ...] = ()) -> tuple[dict, float | None]:
    """A database `db` (from template1, migrated, the Tangerang fixtures with demo accounts, then
    the `manage.py` commands of `setup`, e.g. setup_province) with `count` complaints from `generate_demo_complaints` (COPY): reused when it already holds
    `count` (migrated to this tree), else rebuilt. Returns the environment that points Django at
    it and the seconds the generation took (None when reused)."""
    import subprocess
    import time

    admin_url, db_url = f"{host_url}/laksa", f"{host_url}/{db}"
    env = {**os.environ, "DATABASE_URL": db_url.replace("postgresql://", "postgis://"), "DEBUG": "0"}
    exists = psql(admin_url, f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"
    have = int(psql(db_url, "SELECT count(*) FROM fieldops_complaint") or 0) if exists else -1
    if not rebuild and have == count:
        print(f"reusing {db} with {have:,} complaints (--rebuild to regenerate)")
        sh([PY, "manage.py", "migrate", "-v0"], env)  # this tree's schema and indexes
        return env, None
    t0 = time.monotonic()
    psql(admin_url, f"DROP DATABASE IF EXISTS {db}")
    for attempt in range(10):
        # template1 (with PostGIS) is briefly busy whenever someone else creates a database.
        try:
            psql(admin_url, f"CREATE DATABASE {db} TEMPLATE template1")
            break
        except subprocess.CalledProcessError:
            if attempt == 9:
                psql(admin_url, f"CREATE DATABASE {db} TEMPLATE template0")
            time.sleep(2)
    sh([PY, "manage.py", "migrate", "-v0"], env)
    sh([PY, "manage.py", "load_city_fixtures", "--demo"], env)
    for command in setup:
        sh([PY, "manage.py", *command], env)
    t1 = time.monotonic()
    sh([PY, "manage.py", "generate_demo_complaints", "--count", str(count)], env)
    t2 = time.monotonic()
    print(f"setup {t1 - t0:.1f} s, generate_demo_complaints --count {count}: {t2 - t1:.1f} s", flush=True)
    return env, t2 - t1


def django_client(env: dict, username: str):
    """Django set up on the database of `env` (DEBUG off) and a test client logged in as
    `username`: requests through the whole stack without an HTTP socket."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    settings.DEBUG = False
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client

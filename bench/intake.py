#!/usr/bin/env python
"""Intake benchmark (issue 2): complaint creates per second over HTTP against the raw path.

For each concurrency (default 1, 8 and 32) it measures, in the same run and one after the
other, two ways of storing a complaint at a random point inside a real kelurahan:

- HTTP: ``POST /api/v1/complaints/`` with a JSON body, through the whole app (routing,
  validation, event, publish), from an asyncio client with keep-alive connections;
- raw: psycopg2 on its own connections, one transaction per complaint with the same routing
  SQL as ``boundaries.selectors.route_point`` (``ST_Covers`` on the subdivided pieces), an
  INSERT of the complaint and an INSERT of its first event.

It prints creates/s with p50/p95 latency for both and the ratio HTTP/raw. The goal: HTTP at
concurrency 8 reaches at least 25% of raw. Every row it creates carries a marker in its
description and is deleted at the end (``--keep`` keeps them).

Without ``--url`` it migrates the database, loads the city fixtures and starts the server the
way ``make serve-prod`` does (gunicorn for HTTP, see docs/SERVING.md) on a free port;
``--server daphne`` starts daphne the way ``make run`` does instead.

    .venv/bin/python bench/intake.py                 # the full run, about 1 minute
    .venv/bin/python bench/intake.py --server daphne # the same against daphne
    .venv/bin/python bench/intake.py --url http://127.0.0.1:8000 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    ROOT,
    add_json_argument,
    format_table,
    free_port,
    machine_description,
    make_row,
    percentile,
    write_json,
)

BENCH = "intake"
GOAL_RATIO = 0.25
GOAL_CONCURRENCY = 8
MARKER = "[bench-intake]"
CREATE_PATH = "/api/v1/complaints/"
VENV_BIN = Path(sys.executable).parent


# ---------------------------------------------------------------- results


@dataclass
class Result:
    path: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    # CPU seconds spent on the measured part: the started server (HTTP only), the PostgreSQL
    # backends serving this path, and the benchmark's own client.
    server_cpu: float | None = None
    db_cpu: float | None = None
    client_cpu: float | None = None

    def merge(self, other: "Result") -> None:
        self.seconds += other.seconds
        self.latencies.extend(other.latencies)
        for k, v in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v
        for name in ("server_cpu", "db_cpu", "client_cpu"):
            if getattr(other, name) is not None:
                setattr(self, name, (getattr(self, name) or 0.0) + getattr(other, name))

    def cpu_ms(self, name: str) -> float:
        value = getattr(self, name)
        if value is None or not self.latencies:
            return float("nan")
        return value / len(self.latencies) * 1000

    @property
    def cpu_ms_per_create(self) -> float:
        return self.cpu_ms("server_cpu")

    @property
    def total_cpu_ms(self) -> float:
        parts = [self.cpu_ms(n) for n in ("server_cpu", "db_cpu", "client_cpu") if getattr(self, n) is not None]
        return sum(parts) if parts else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 95) * 1000

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


# ---------------------------------------------------------------- the sample


def sample_points(conn, count: int, seed: int) -> list[tuple[float, float]]:
    """Random points inside the real kelurahan of the active generation (10 m inside the edge)."""
    per_area = max(1, count // 100 + 1)
    with conn.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        cur.execute(
            """
            SELECT ST_X(g), ST_Y(g) FROM (
                SELECT (ST_Dump(ST_GeneratePoints(ST_Buffer(a.geom, -0.0001), %(n)s, %(seed)s))).geom AS g
                  FROM boundaries_adminarea a
                 WHERE a.level = 'kelurahan'
                   AND a.generation_id = (SELECT id FROM boundaries_boundarygeneration
                                           WHERE active ORDER BY id DESC LIMIT 1)
            ) s
            """,
            {"n": per_area, "seed": seed},
        )
        points = [(round(x, 7), round(y, 7)) for x, y in cur.fetchall()]
    conn.rollback()
    if not points:
        raise SystemExit("No kelurahan in the database: run `manage.py load_city_fixtures` first.")
    random.Random(seed).shuffle(points)
    return points


def public_categories(conn) -> list[tuple[int, str, int | None, int]]:
    """(id, slug, default_agency_id, sla_hours) of the active public categories."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id, slug, default_agency_id, sla_hours FROM fieldops_category"
            " WHERE active AND NOT is_private ORDER BY slug"
        )
        rows = cur.fetchall()
    conn.rollback()
    if not rows:
        raise SystemExit("No categories in the database: run `manage.py load_city_fixtures` first.")
    return rows


# ---------------------------------------------------------------- HTTP path


def _client_ip(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def http_requests(host: str, port: int, points, categories, run_id: str) -> list[bytes]:
    """One ready-to-send POST per sample point, each from its own citizen.

    Every request names a different client address in X-Forwarded-For, as a proxy in front of
    the app does for real citizens, so the per-IP rate limit (common.throttling) runs its
    normal check on a short history instead of throttling one address."""
    rnd = random.Random(7)
    requests = []
    for i, (lon, lat) in enumerate(points):
        slug = categories[i % len(categories)][1]
        body = json.dumps({
            "category": slug,
            "description": f"{MARKER} {run_id} Laporan uji beban nomor {i}: jalan rusak dan saluran tersumbat.",
            "location": {"type": "Point", "coordinates": [lon, lat]},
            "accuracy": round(rnd.uniform(3, 30), 1),
            "address": f"Jl. Uji Beban No. {i}",
        }).encode()
        head = (
            f"POST {CREATE_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nUser-Agent: laksa-bench\r\nX-Forwarded-For: {_client_ip(i)}\r\n"
            f"X-Forwarded-Proto: https\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        requests.append(head + body)
    return requests


async def _read_response(reader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; return (status, server_closes)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length, close, chunked = 0, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection":
            close = value.strip().lower() == b"close"
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


async def _http_run(host: str, port: int, requests: list[bytes], counter, concurrency: int, warmup: float,
                    duration: float) -> Result:
    result = Result("http", concurrency, duration)
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from, stop_at = start + warmup, start + warmup + duration
    async def worker():
        reader = writer = None
        while loop.time() < stop_at:
            request = requests[next(counter) % len(requests)]
            t0 = loop.time()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(request)
                status, close = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
                if writer is not None:
                    writer.close()
                reader = writer = None
                key = type(exc).__name__
                result.errors[key] = result.errors.get(key, 0) + 1
                await asyncio.sleep(0.01)
                continue
            t1 = loop.time()
            if measure_from <= t1 <= stop_at:
                if status == 201:
                    result.latencies.append(t1 - t0)
                else:
                    result.errors[status] = result.errors.get(status, 0) + 1
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result


HTTP_APP_NAME = "laksa-bench-http"
RAW_APP_NAME = "laksa-bench-raw"


def backend_pids(monitor, app_name: str) -> list[int]:
    with monitor.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app_name])
        return [r[0] for r in cur.fetchall()]


def pids_cpu(pids) -> dict[int, float]:
    """CPU seconds (user + system) of each readable pid (PostgreSQL on this machine)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def _cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def http_run(url: str, requests, counter, concurrency: int, warmup: float, duration: float,
             server_pid: int | None = None, monitor=None) -> Result:
    parsed = urllib.parse.urlsplit(url)
    scale = duration / (warmup + duration)  # CPU over warm-up + measurement, scaled to the measured part
    cpu0 = tree_cpu_seconds(server_pid) if server_pid else None
    db0 = pids_cpu(backend_pids(monitor, HTTP_APP_NAME)) if monitor is not None else None
    client0 = time.process_time()
    result = asyncio.run(_http_run(parsed.hostname, parsed.port or 80, requests, counter, concurrency, warmup,
                                   duration))
    result.client_cpu = (time.process_time() - client0) * scale
    if server_pid:
        result.server_cpu = (tree_cpu_seconds(server_pid) - cpu0) * scale
    if db0 is not None:
        after = pids_cpu(backend_pids(monitor, HTTP_APP_NAME))
        if after:
            result.db_cpu = _cpu_delta(db0, after) * scale
    return result


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    wanted, total, frontier = {pid}, 0, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _) in stats.items():
            if ppid == parent and child not in wanted:
                wanted.add(child)
                frontier.append(child)
    for p in wanted:
        if p in stats:
            total += stats[p][1]
    return total / ticks


# ---------------------------------------------------------------- raw path

TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

def _insert_sql(model, exprs: dict[str, str]) -> tuple[str, dict]:
    """An INSERT of every concrete column of `model`, as Django's save() sends it: the columns
    named in `exprs` get those SQL expressions, every other column its model default."""
    from django.db import connection

    columns, values, defaults = [], [], {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.column in exprs:
            values.append(exprs[f.column])
        else:
            defaults[f"d_{f.column}"] = f.get_db_prep_save(f.get_default(), connection)
            values.append(f"%(d_{f.column})s")
    missing = set(exprs) - set(columns)
    if missing:
        raise SystemExit(f"{model.__name__} has no columns {sorted(missing)}")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES ({', '.join(values)})"
    return sql, defaults


def raw_statements() -> tuple[str, str, dict]:
    from fieldops.models import Complaint, ComplaintEvent

    point = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
    complaint_sql, complaint_defaults = _insert_sql(Complaint, {
        "tracking_code": "%(code)s", "location": point, "accuracy_m": "%(acc)s", "address": "%(address)s",
        "description": "%(description)s", "category_id": "%(category)s", "channel": "'web'", "status": "'new'",
        "kecamatan_id": "%(kec)s", "kelurahan_id": "%(kel)s", "agency_id": "%(agency)s",
        "government_id": "%(gov)s", "generation_id": "%(gen)s", "reporter_token_hash": "%(token_hash)s", "created_at": "now()",
        "updated_at": "now()", "due_at": "now() + make_interval(hours => %(sla)s)",
    })
    event_sql, event_defaults = _insert_sql(ComplaintEvent, {
        "complaint_id": "%(cid)s", "type": "'created'", "at": "now()", "to_status": "'new'",
        "location": point, "is_public": "true", "agency_id": "%(agency)s", "data": """'{"channel": "web"}'""",
    })
    return complaint_sql + " RETURNING id", event_sql, {**complaint_defaults, **event_defaults}


def _raw_create(cur, statements, lon: float, lat: float, category, description: str, acc: float) -> None:
    """One complaint the raw way: route with the app's SQL, insert the complaint and its event."""
    from boundaries.selectors import SLIVER_TOLERANCE_M  # after django.setup(); a dict lookup per call

    cat_id, slug, default_agency, sla = category
    route_sql, insert_complaint, insert_event, defaults = statements
    cur.execute(route_sql, {"lon": lon, "lat": lat, "category": slug, "default_agency": default_agency,
                            "defaults": "{}", "sliver_m": SLIVER_TOLERANCE_M, "sliver_deg": SLIVER_TOLERANCE_M / 100_000})
    gen, chain, _rule, government, agency_row = cur.fetchone()[:5]
    kel = (chain.get("kel") or [None])[0]
    kec = (chain.get("kec") or [None])[0]
    gov = government[0] if government else None
    agency = agency_row[0] if agency_row else None
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    params = {
        **defaults, "code": f"LKS-{chars[:4]}-{chars[4:]}", "lon": lon, "lat": lat, "acc": acc, "address": "",
        "description": description, "category": cat_id, "kec": kec, "kel": kel,
        "agency": agency or default_agency, "gov": gov, "gen": gen, "sla": sla,
        "token_hash": hashlib.sha256(secrets.token_urlsafe(24).encode()).hexdigest(),
    }
    cur.execute(insert_complaint, params)
    params["cid"] = cur.fetchone()[0]
    cur.execute(insert_event, params)


def raw_run(conns, statements, points, categories, run_id: str, counter, warmup: float,
            duration: float, pids: list[int] | None = None) -> Result:
    concurrency = len(conns)
    result = Result("raw", concurrency, duration)
    scale = duration / (warmup + duration)
    db0 = pids_cpu(pids or [])
    client0 = time.process_time()
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)
    times: dict = {}

    def worker(conn):
        latencies, errors = [], {}
        barrier.wait()
        measure_from, stop_at = times["from"], times["stop"]
        with conn.cursor() as cur:
            while time.perf_counter() < stop_at:
                i = next(counter)
                lon, lat = points[i % len(points)]
                t0 = time.perf_counter()
                try:
                    _raw_create(cur, statements, lon, lat, categories[i % len(categories)],
                                f"{MARKER} {run_id} raw {i}", 10.0)
                    conn.commit()
                except Exception as exc:  # count and go on, like the HTTP client
                    conn.rollback()
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                t1 = time.perf_counter()
                if measure_from <= t1 <= stop_at:
                    latencies.append(t1 - t0)
        with lock:
            result.latencies.extend(latencies)
            for k, v in errors.items():
                result.errors[k] = result.errors.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    now = time.perf_counter()
    times["from"], times["stop"] = now + warmup, now + warmup + duration
    barrier.wait()
    for t in threads:
        t.join()
    result.client_cpu = (time.process_time() - client0) * scale
    if db0:
        result.db_cpu = _cpu_delta(db0, pids_cpu(pids)) * scale
    return result


# ---------------------------------------------------------------- server


SERVERS = ("prod", "daphne", "gunicorn")


def server_command(kind: str, port: int, workers: int | None, worker_class: str, threads: int,
                   app_dir: Path = ROOT) -> list[str]:
    if kind == "daphne":
        return [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "laksa_gis.asgi:application"]
    # "prod" is exactly what `make serve-prod` runs for HTTP: gunicorn with gunicorn.conf.py.
    cmd = [str(VENV_BIN / "gunicorn"), "-c", str(app_dir / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}"]
    if kind == "gunicorn":
        cmd += ["-k", worker_class, "--threads", str(threads)]
    if workers:
        cmd += ["-w", str(workers)]
    return cmd + ["laksa_gis.wsgi:application"]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode} before it was ready")
        try:
            # As behind the TLS proxy of a production deployment (SECURE_PROXY_SSL_HEADER).
            request = urllib.request.Request(url + "/api/v1/categories/", headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {url} was not ready after {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def prepare_database(env: dict) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "--noinput"], ["load_city_fixtures"]):
        done = subprocess.run(manage + args, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


# ---------------------------------------------------------------- cleanup


_FKS_SQL = """
SELECT c.conrelid::regclass::text, a.attname
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = %s::regclass AND array_length(c.conkey, 1) = 1
"""

_PK_SQL = """
SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
 WHERE i.indrelid = %s::regclass AND i.indisprimary
"""


def _purge(cur, table: str, ids: list, depth: int = 0) -> int:
    """Delete rows `ids` of `table` and, first, every row that references them (recursively)."""
    if not ids or depth > 6:
        return 0
    cur.execute(_PK_SQL, [table])
    pk = cur.fetchone()[0]
    cur.execute(_FKS_SQL, [table])
    for child, column in cur.fetchall():
        if child == table:  # a self-reference (duplicate_of): unlink rows that are not ours
            cur.execute(f'UPDATE {child} SET "{column}" = NULL WHERE "{column}" = ANY(%s) AND NOT "{pk}" = ANY(%s)',
                        [ids, ids])
            continue
        cur.execute(_PK_SQL, [child])
        child_pk = cur.fetchone()
        if child_pk is None:
            cur.execute(f'DELETE FROM {child} WHERE "{column}" = ANY(%s)', [ids])
            continue
        cur.execute(f'SELECT "{child_pk[0]}" FROM {child} WHERE "{column}" = ANY(%s)', [ids])
        _purge(cur, child, [r[0] for r in cur.fetchall()], depth + 1)
    cur.execute(f'DELETE FROM {table} WHERE "{pk}" = ANY(%s)', [ids])
    return cur.rowcount


def cleanup(dsn: dict, run_id: str) -> tuple[int, float]:
    """Delete every complaint this run created and every row that points at them.

    Plain SQL over the foreign keys the database really has, so it works whatever other apps
    attach to complaints (and whatever state their migrations are in)."""
    import psycopg2

    t0 = time.perf_counter()
    conn = psycopg2.connect(**dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM fieldops_complaint WHERE description LIKE %s", [f"{MARKER} {run_id} %"])
            ids = [r[0] for r in cur.fetchall()]
            deleted = _purge(cur, "fieldops_complaint", ids)
    finally:
        conn.close()
    return deleted, time.perf_counter() - t0


def vacuum_churned(dsn: dict) -> list[str]:
    """VACUUM (ANALYZE) the tables full of dead rows (the benchmark's deleted complaints, their
    events and trigger-maintained rows): with autovacuum off or behind, they would slow every
    later query on complaints, the next run's included."""
    import psycopg2

    conn = psycopg2.connect(**dsn)
    conn.autocommit = True
    done = []
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables"
                " WHERE n_dead_tup > 1000 AND n_dead_tup > 0.2 * n_live_tup ORDER BY n_dead_tup DESC"
            )
            for (table,) in cur.fetchall():
                try:
                    cur.execute(f"VACUUM (ANALYZE) {table}")
                    done.append(table)
                except psycopg2.Error:  # not ours to vacuum: skip
                    pass
    finally:
        conn.close()
    return done


# ---------------------------------------------------------------- main


def report(results: list[tuple[Result, Result]]) -> str:
    lines = [
        f"{'conc':>4}  {'HTTP creates/s':>14}  {'p50 ms':>7}  {'p95 ms':>7}  {'err':>4}   "
        f"{'raw creates/s':>13}  {'p50 ms':>7}  {'p95 ms':>7}  {'err':>4}   {'HTTP/raw':>8}   "
        f"CPU ms per create: HTTP (server+pg+client) | raw (pg+client)",
    ]
    for http, raw in results:
        ratio = http.rate / raw.rate if raw.rate else float("nan")
        lines.append(
            f"{http.concurrency:>4}  {http.rate:>14.0f}  {http.p50_ms:>7.1f}  {http.p95_ms:>7.1f}  {http.error_count:>4}   "
            f"{raw.rate:>13.0f}  {raw.p50_ms:>7.1f}  {raw.p95_ms:>7.1f}  {raw.error_count:>4}   {ratio * 100:>7.1f}%   "
            f"{http.total_cpu_ms:.1f} ({http.cpu_ms('server_cpu'):.1f}+{http.cpu_ms('db_cpu'):.1f}"
            f"+{http.cpu_ms('client_cpu'):.1f}) | {raw.total_cpu_ms:.1f} ({raw.cpu_ms('db_cpu'):.1f}"
            f"+{raw.cpu_ms('client_cpu'):.1f})"
        )
    return "\n".join(lines)


def rows_for(results: list[tuple[Result, Result]]) -> list[dict]:
    rows = []
    for http, raw in results:
        c = http.concurrency
        goal = f"ratio >= {GOAL_RATIO}" if c == GOAL_CONCURRENCY else None
        rows.append(make_row(BENCH, f"creates/s c={c}", http.rate, raw.rate, goal))
        rows.append(make_row(BENCH, f"p50 ms c={c}", http.p50_ms, raw.p50_ms))
        rows.append(make_row(BENCH, f"p95 ms c={c}", http.p95_ms, raw.p95_ms))
        rows.append(make_row(BENCH, f"HTTP errors c={c}", http.error_count, None, "value == 0"))
        if http.db_cpu is not None and raw.db_cpu is not None:
            rows.append(make_row(BENCH, f"CPU ms/create c={c}", http.total_cpu_ms, raw.total_cpu_ms))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start one on a free port)")
    parser.add_argument("--server", choices=SERVERS, default="prod",
                        help="server to start without --url: prod (make serve-prod: gunicorn), daphne (make run), "
                             "gunicorn (with --worker-class/--threads)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class for --server gunicorn")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads for --server gunicorn")
    parser.add_argument("--mode", choices=("production", "local"), default=None,
                        help="LAKSA_ENV of the started server (default: production, local for daphne as make run)")
    parser.add_argument("--app-dir", default=str(ROOT),
                        help="serve the code of another checkout (e.g. with one lever reverted), same database")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the started server (repeatable)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
                        help="REDIS_URL of the started server (events are published there); '' for in-memory")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated (default 1,8,32)")
    parser.add_argument("--duration", type=float, default=6.0, help="measured seconds per path and level")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the duration is split into this many raw/HTTP alternations, so both paths see "
                             "the same background load on a shared machine")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds before each slice")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw path (no ratio)")
    parser.add_argument("--keep", action="store_true", help="keep the created complaints")
    parser.add_argument("--seed", type=int, default=2026)
    add_json_argument(parser)
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    import django

    django.setup()
    import psycopg2
    from django.conf import settings

    from boundaries.selectors import _ROUTE_SQL

    statements = (_ROUTE_SQL, *raw_statements())
    db = settings.DATABASES["default"]
    dsn = {"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None,
           "host": db.get("HOST") or None, "port": db.get("PORT") or None}
    dsn = {k: v for k, v in dsn.items() if v}

    proc = None
    url = (args.url or "").rstrip("/")
    if not url:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="laksa_gis.settings", PYTHONUNBUFFERED="1")
        env.pop("LAKSA_TEST_DB", None)
        prepare_database(env)
        # The real rate limits stay on: every request comes from its own X-Forwarded-For address.
        server_env = dict(env, REDIS_URL=args.redis_url, PGAPPNAME=HTTP_APP_NAME)
        mode = args.mode or ("local" if args.server == "daphne" else "production")
        if mode == "production":
            # The environment of docs/DEPLOY.md (its channel layer included).
            server_env.update(LAKSA_ENV="production", SECRET_KEY=secrets.token_urlsafe(50),
                              ALLOWED_HOSTS="127.0.0.1,localhost", CHANNEL_LAYER="pubsub")
        else:
            server_env["LAKSA_ENV"] = "local"
        for item in args.server_env:
            key, _, value = item.partition("=")
            server_env[key] = value
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        app_dir = Path(args.app_dir).resolve()
        server_env["PYTHONPATH"] = str(app_dir)
        cmd = server_command(args.server, port, args.workers, args.worker_class, args.threads, app_dir)
        log = open(ROOT / "artifacts" / "bench-intake-server.log", "w") if (ROOT / "artifacts").is_dir() else subprocess.DEVNULL
        proc = subprocess.Popen(cmd, cwd=app_dir, env=server_env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        print(f"server: LAKSA_ENV={mode} {' '.join([Path(cmd[0]).name] + [Path(c).name if c.startswith('/') else c for c in cmd[1:]])}")
    run_id = secrets.token_hex(4)
    results: list[tuple[Result, Result]] = []
    try:
        if proc is not None:
            wait_ready(url, proc)
        vacuumed = vacuum_churned(dsn)
        if vacuumed:
            print(f"vacuumed before the run: {', '.join(vacuumed)}")
        conn = psycopg2.connect(**dsn)
        points = sample_points(conn, 4000, args.seed)
        categories = public_categories(conn)
        conn.close()
        monitor = psycopg2.connect(**dsn)
        monitor.autocommit = True
        parsed = urllib.parse.urlsplit(url)
        requests = http_requests(parsed.hostname, parsed.port or 80, points, categories, run_id)
        print(f"machine: {machine_description()}")
        print(f"target: {url}{CREATE_PATH}  ({len(points)} random points in the real kelurahan; per level "
              f"{args.duration:.0f} s measured per path, in {args.rounds} raw/HTTP alternations)")
        slice_s = args.duration / args.rounds
        http_counter, raw_counter = itertools.count(), itertools.count()
        # Warm every server process (imports, URL resolver, first connections) before measuring.
        http_run(url, requests, http_counter, max(levels), 0, 2.0)
        for c in levels:
            http, raw = Result("http", c, 0), Result("raw", c, 0)
            conns = [] if args.no_raw else [psycopg2.connect(application_name=RAW_APP_NAME, **dsn) for _ in range(c)]
            pids = []
            for conn in conns:
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    pids.append(cur.fetchone()[0])
                conn.rollback()
            try:
                for _ in range(args.rounds):
                    if conns:
                        raw.merge(raw_run(conns, statements, points, categories, run_id, raw_counter, args.warmup,
                                          slice_s, pids))
                    http.merge(http_run(url, requests, http_counter, c, args.warmup, slice_s,
                                        proc.pid if proc is not None else None, monitor))
            finally:
                for conn in conns:
                    conn.close()
            results.append((http, raw))
            print(report(results[-1:]).splitlines()[-1] if results[1:] else report(results), flush=True)
            for res in (http, raw):
                if res.errors:
                    print(f"     {res.path} errors at c={c}: {res.errors}")
    finally:
        if proc is not None:
            stop_server(proc)
        if not args.keep:
            deleted, seconds = cleanup(dsn, run_id)
            vacuumed = vacuum_churned(dsn)
            print(f"cleanup: deleted {deleted} benchmark complaints in {seconds:.1f} s"
                  + (f"; vacuumed {', '.join(vacuumed)}" if vacuumed else ""))

    rows = rows_for(results)
    print()
    print(format_table(rows))
    goal_rows = [r for r in rows if r["metric"] == f"creates/s c={GOAL_CONCURRENCY}"]
    if goal_rows and goal_rows[0]["ratio"] is not None:
        verdict = "met" if goal_rows[0]["ok"] else "NOT met"
        print(f"\nGoal (HTTP >= {GOAL_RATIO:.0%} of raw at concurrency {GOAL_CONCURRENCY}): {verdict} "
              f"({goal_rows[0]['ratio'] * 100:.1f}%)")
    if args.json:
        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Load benchmark (issue 8): 60 s of mixed traffic against the production topology.

Without ``--url`` it starts what docs/SERVING.md describes: gunicorn for HTTP and daphne for
WebSocket, production mode, the Redis pub/sub channel layer, against the local database (after
``migrate`` and ``load_city_fixtures --demo``, so the demo operator and crews exist). Then, at
once, for ``--seconds``:

- **citizens** create complaints (a share with a photo, multipart) from many client addresses;
- **map readers** read the public map (bbox list), single complaints and the kecamatan outlines;
- **operators** read their queue and dispatch each new PUPR complaint: verify, then assign it
  to one of the two Tim Sigap crews;
- **crews** (sigap1, sigap2) are connected to ``/ws/crew/`` with a token; each assignment they
  receive over the socket is worked over HTTP at once: start, then a note.

It reports per endpoint: requests, requests/s, p50/p95/p99 and errors (any non-2xx answer or
transport failure), plus how many assignments reached a crew's socket and how fast (from the
assign call's start to receipt). The goal is zero errors. Rows created by the run carry a marker
and are deleted at the end.

    .venv/bin/python bench/load.py                    # 60 s
    .venv/bin/python bench/load.py --seconds 20 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, add_json_argument, format_table, free_port, make_row, percentile, write_json  # noqa: E402
from intake import _purge, prepare_database, sample_points, server_command, stop_server, vacuum_churned, wait_ready  # noqa: E402

BENCH = "load"
MARKER = "[bench-load]"
VENV_BIN = Path(sys.executable).parent
CATEGORIES = ["roads", "drainage", "roads", "drainage", "garbage", "street-lights"]
PUPR_CATEGORIES = {"roads", "drainage"}


class Stats:
    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []

    def record(self, name: str, started: float, ok: bool, detail: str = ""):
        self.latencies[name].append(time.perf_counter() - started)
        if not ok:
            self.errors[name] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{name}: {detail[:200]}")


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (random.randrange(256), 90, 40)).save(out, format="JPEG", quality=80)
    return out.getvalue()


async def timed(stats: Stats, name: str, coro, expect=(200, 201)):
    started = time.perf_counter()
    try:
        response = await coro
    except Exception as exc:  # transport failures count as errors
        stats.record(name, started, False, f"{type(exc).__name__}: {exc}")
        return None
    ok = response.status_code in expect
    stats.record(name, started, ok, f"{response.status_code} {response.text[:150]}")
    return response if ok else None


async def citizen(client, stats, points, stop_at, created: asyncio.Queue, photo: bytes, share_photo: float):
    while time.perf_counter() < stop_at:
        lon, lat = random.choice(points)
        category = random.choice(CATEGORIES)
        headers = {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}",
                   "X-Forwarded-Proto": "https"}
        description = f"{MARKER} load {secrets.token_hex(3)}"
        if random.random() < share_photo:
            r = await timed(stats, "POST complaints (photo)", client.post(
                "/api/v1/complaints/", headers=headers,
                data={"category": category, "description": description, "lat": str(lat), "lon": str(lon)},
                files={"photo": ("foto.jpg", photo, "image/jpeg")}))
        else:
            r = await timed(stats, "POST complaints", client.post("/api/v1/complaints/", headers=headers, json={
                "category": category, "description": description,
                "location": {"type": "Point", "coordinates": [lon, lat]}}))
        if r is not None and category in PUPR_CATEGORIES:
            await created.put(r.json()["tracking_code"])


async def map_reader(client, stats, stop_at, known: list[str]):
    headers = {"X-Forwarded-Proto": "https"}
    while time.perf_counter() < stop_at:
        x = random.uniform(106.56, 106.70)
        y = random.uniform(-6.25, -6.12)
        await timed(stats, "GET complaints bbox", client.get(
            "/api/v1/complaints/", params={"bbox": f"{x},{y},{x + 0.05},{y + 0.04}", "page_size": "100"}, headers=headers))
        if known:
            await timed(stats, "GET complaint", client.get(f"/api/v1/complaints/{random.choice(known)}/", headers=headers))
        if random.random() < 0.2:
            await timed(stats, "GET boundaries", client.get("/api/v1/boundaries/kecamatan/",
                                                            params={"simplify": "20"}, headers=headers))


async def operator(client, stats, stop_at, created: asyncio.Queue, crews: list[int], sent_at: dict, known: list[str]):
    i = 0
    while time.perf_counter() < stop_at:
        try:
            code = await asyncio.wait_for(created.get(), timeout=0.5)
        except asyncio.TimeoutError:
            await timed(stats, "GET ops queue", client.get("/api/v1/ops/complaints/",
                                                           params={"status": "new", "page_size": "50"}))
            continue
        known.append(code)
        if random.random() < 0.3:
            await timed(stats, "GET ops queue", client.get("/api/v1/ops/complaints/",
                                                           params={"status": "new", "page_size": "50"}))
        if await timed(stats, "POST verify", client.post(f"/api/v1/complaints/{code}/verify/", json={})) is None:
            continue
        crew = crews[i % len(crews)]
        i += 1
        sent_at[code] = time.perf_counter()
        await timed(stats, "POST assign", client.post(f"/api/v1/complaints/{code}/assign/", json={"crew": crew}))


async def crew_member(ws_url, token, client, stats, stop_at, sent_at: dict, deliveries: list, origin: str):
    import websockets

    async with websockets.connect(ws_url, origin=origin, open_timeout=10, max_queue=None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        while time.perf_counter() < stop_at:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, stop_at - time.perf_counter()))
            except asyncio.TimeoutError:
                break
            message = json.loads(raw)
            if message.get("type") != "assigned":
                continue
            code = message["complaint"]["tracking_code"]
            if code in sent_at:
                deliveries.append(time.perf_counter() - sent_at[code])
            if await timed(stats, "POST start (crew)", client.post(f"/api/v1/complaints/{code}/start/", json={})):
                await timed(stats, "POST note (crew)", client.post(
                    f"/api/v1/complaints/{code}/note/", json={"note": "Tim menuju lokasi"}))


async def token_for(client, username: str) -> str:
    r = await client.post("/api/v1/auth/token/", json={"username": username, "password": "laksa-demo"},
                          headers={"X-Forwarded-Proto": "https"})
    r.raise_for_status()
    return r.json()["token"]


async def run(http_url: str, ws_url: str, points, seconds: float, citizens: int, readers: int, operators: int,
              share_photo: float):
    import httpx

    stats = Stats()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=http_url, timeout=30, limits=limits) as anon:
        tokens = {u: await token_for(anon, u) for u in ("operator", "sigap1", "sigap2")}
        me = {}
        for u in ("sigap1", "sigap2"):
            r = await anon.get("/api/v1/me/", headers={"Authorization": f"Token {tokens[u]}", "X-Forwarded-Proto": "https"})
            me[u] = r.json()["crews"][0]["id"]

        def staff(user):
            return httpx.AsyncClient(base_url=http_url, timeout=30, limits=limits,
                                     headers={"Authorization": f"Token {tokens[user]}", "X-Forwarded-Proto": "https"})

        created: asyncio.Queue = asyncio.Queue()
        sent_at: dict = {}
        deliveries: list = []
        known: list[str] = []
        photo = _jpeg()
        origin = http_url
        async with staff("operator") as op, staff("sigap1") as c1, staff("sigap2") as c2:
            start = time.perf_counter()
            stop_at = start + seconds
            tasks = [asyncio.create_task(crew_member(f"{ws_url}/ws/crew/", tokens[u], cl, stats, stop_at + 2, sent_at,
                                                     deliveries, origin))
                     for u, cl in (("sigap1", c1), ("sigap2", c2))]
            await asyncio.sleep(0.5)  # sockets subscribed before the traffic starts
            tasks += [asyncio.create_task(citizen(anon, stats, points, stop_at, created, photo, share_photo))
                      for _ in range(citizens)]
            tasks += [asyncio.create_task(map_reader(anon, stats, stop_at, known)) for _ in range(readers)]
            tasks += [asyncio.create_task(operator(op, stats, stop_at, created, [me["sigap1"], me["sigap2"]],
                                                   sent_at, known)) for _ in range(operators)]
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - start
    return stats, deliveries, len(sent_at), elapsed


def report(stats: Stats, deliveries, assigned: int, elapsed: float) -> tuple[str, list[dict]]:
    lines = [f"{'endpoint':<26} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}"]
    rows = []
    total_errors = 0
    for name in sorted(stats.latencies):
        lat = stats.latencies[name]
        errors = stats.errors.get(name, 0)
        total_errors += errors
        p50, p95, p99 = (percentile(lat, p) * 1000 for p in (50, 95, 99))
        lines.append(f"{name:<26} {len(lat):>8} {len(lat) / elapsed:>7.1f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {errors:>6}")
        rows.append(make_row(BENCH, f"{name} req/s", len(lat) / elapsed))
        rows.append(make_row(BENCH, f"{name} p99 ms", p99))
    if deliveries:
        d50, d99 = percentile(deliveries, 50) * 1000, percentile(deliveries, 99) * 1000
        lines.append(f"assignments delivered to crew sockets: {len(deliveries)} of {assigned}, "
                     f"from the start of the assign call to the crew's socket: p50 {d50:.0f} ms, p99 {d99:.0f} ms")
        rows.append(make_row(BENCH, "assign→crew socket p99 ms", d99))
    rows.append(make_row(BENCH, "assignments not delivered", assigned - len(deliveries), None, "value == 0"))
    rows.append(make_row(BENCH, "errors (all endpoints)", total_errors, None, "value == 0"))
    lines.append(f"errors: {total_errors}")
    lines.extend(f"  {s}" for s in stats.error_samples)
    return "\n".join(lines), rows


def purge_marked(dsn: dict) -> int:
    """Delete the complaints this benchmark made (their description carries the marker)."""
    import psycopg2

    conn = psycopg2.connect(**dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM fieldops_complaint WHERE description LIKE %s", [f"{MARKER} %"])
            return _purge(cur, "fieldops_complaint", [r[0] for r in cur.fetchall()])
    finally:
        conn.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running HTTP server (default: start gunicorn + daphne)")
    parser.add_argument("--ws-url", help="its WebSocket base, e.g. ws://127.0.0.1:8001 (default: same host as --url)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--citizens", type=int, default=6)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--operators", type=int, default=1)
    parser.add_argument("--photo-share", type=float, default=0.2)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))
    add_json_argument(parser)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    import django

    django.setup()
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    dsn = {k: v for k, v in {"dbname": db["NAME"], "user": db.get("USER"), "password": db.get("PASSWORD"),
                             "host": db.get("HOST"), "port": db.get("PORT")}.items() if v}
    procs = []
    http_url, ws_url = (args.url or "").rstrip("/"), (args.ws_url or "").rstrip("/")
    if not http_url:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="laksa_gis.settings", PYTHONUNBUFFERED="1")
        env.pop("LAKSA_TEST_DB", None)
        prepare_database(env)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "load_city_fixtures", "--demo"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        server_env = dict(env, REDIS_URL=args.redis_url, LAKSA_ENV="production", SECRET_KEY=secrets.token_urlsafe(50),
                          ALLOWED_HOSTS="127.0.0.1,localhost", CHANNEL_LAYER="pubsub", PYTHONPATH=str(ROOT),
                          MEDIA_ROOT=str(ROOT / "artifacts" / "bench-load-media"))
        http_port, ws_port = free_port(), free_port()
        http_url, ws_url = f"http://127.0.0.1:{http_port}", f"ws://127.0.0.1:{ws_port}"
        for cmd in (server_command("prod", http_port, None, "sync", 1),
                    server_command("daphne", ws_port, None, "sync", 1)):
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True))
        print(f"servers: gunicorn {http_url} (HTTP), daphne {ws_url} (WebSocket), production mode")
    elif not ws_url:
        ws_url = "ws" + http_url[4:]
    try:
        for proc, url in zip(procs, (http_url, "http" + ws_url[2:])):
            wait_ready(url, proc)
        vacuum_churned(dsn)
        conn = psycopg2.connect(**dsn)
        try:
            points = sample_points(conn, 2000, seed=2026)
        finally:
            conn.close()
        print(f"running {args.seconds:.0f} s: {args.citizens} citizens, {args.readers} map readers, "
              f"{args.operators} operator(s), 2 crews on sockets")
        stats, deliveries, assigned, elapsed = asyncio.run(run(
            http_url, ws_url, points, args.seconds, args.citizens, args.readers, args.operators, args.photo_share))
    finally:
        for proc in procs:
            stop_server(proc)
    removed = purge_marked(dsn)
    vacuum_churned(dsn)
    text, rows = report(stats, deliveries, assigned, elapsed)
    print(text)
    print(f"cleanup: deleted {removed} load-test complaints")
    print()
    print(format_table(rows))
    if args.json:
        write_json(args.json, rows)
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

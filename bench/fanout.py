"""Fan-out: commit-to-receipt latency and delivered events/s for N Tim Sigap crew sockets.

Usage (starts its own daphne processes on free loopback ports; DATABASE_URL as for the app):

    .venv/bin/python bench/fanout.py                                  # N = 100 and 500
    .venv/bin/python bench/fanout.py --sockets 500 --servers 2 --layer pubsub --json out.json

For each N it creates N bench crew members (tokens, crews of --crew-size members, plus one
crew that all of them belong to), connects N websocket clients in one client process (token
auth, as the mobile app does), and then, from this process, commits ComplaintEvents through
fieldops.events.event_record (the same path as every service), timing each commit:

- "crews":      each event concerns one crew (the normal case: a ticket assigned or noted);
                it reaches the --crew-size sockets of that crew. Paced every --interval s.
- "city-wide":  each event reaches all N sockets (one group with everybody: the worst case,
                the plain-stack figures in DESIGN.md). Paced every --interval s.
- "burst":      --burst crew events committed back to back: delivered events/s.

In the same run, the same N subscribers in one client process on raw redis-py pub/sub get
the same pattern (one channel per crew, one for everybody) with a payload of the same size,
published from this process. Latency = receipt wall time - commit (or PUBLISH) wall time.
Everything the bench creates is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import add_json_argument, make_row, percentile, write_json, format_table, machine_description  # noqa: E402

BENCH = "fanout"
GOAL_P99_MS = 100
PREFIX = "bench-fanout"


# ---------------------------------------------------------------- client process


async def _ws_clients(cfg: dict, receipts: list) -> list:
    import websockets

    sem = asyncio.Semaphore(40)

    async def connect(url: str, token: str):
        async with sem:
            for attempt in range(5):
                try:
                    ws = await websockets.connect(url, origin=url.replace("ws://", "http://").split("/ws/")[0],
                                                  max_queue=None, ping_interval=None, open_timeout=30)
                    await ws.send(json.dumps({"type": "auth", "token": token}))
                    hello = json.loads(await ws.recv())
                    assert hello["type"] == "hello", hello
                    return ws
                except Exception:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5)

    socks = await asyncio.gather(*(connect(u, t) for u, t in zip(cfg["urls"], cfg["tokens"])))

    async def reader(ws):
        async for raw in ws:
            t = time.time()
            msg = json.loads(raw)
            if "event_id" in msg:
                receipts.append((msg["event_id"], t))

    return socks, [asyncio.ensure_future(reader(ws)) for ws in socks]


async def _redis_clients(cfg: dict, receipts: list):
    import redis.asyncio as aioredis

    subs = []
    for channels in cfg["channels"]:
        client = aioredis.Redis.from_url(cfg["redis_url"])
        pubsub = client.pubsub()
        await pubsub.subscribe(*channels)
        subs.append((client, pubsub))

    async def reader(pubsub):
        async for msg in pubsub.listen():
            if msg["type"] == "message":
                t = time.time()
                receipts.append((json.loads(msg["data"])["event_id"], t))

    return subs, [asyncio.ensure_future(reader(p)) for _c, p in subs]


async def client_main() -> None:
    """Connect N clients, say READY, record receipts until STOP, print them as JSON."""
    cfg = json.loads(sys.stdin.readline())
    receipts: list = []
    if cfg["mode"] == "ws":
        handles, tasks = await _ws_clients(cfg, receipts)
    else:
        handles, tasks = await _redis_clients(cfg, receipts)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    for task in tasks:
        task.cancel()
    print(json.dumps(receipts), flush=True)


# ---------------------------------------------------------------- data


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    import django

    django.setup()


def create_data(n: int, crew_size: int) -> dict:
    """N bench users with tokens; crews of crew_size; one all-hands crew; one assigned complaint per crew."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from django.contrib.gis.geos import Point

    from fieldops.models import Category, Complaint, Crew, CrewMember
    from fieldops.services import complaint_create

    User = get_user_model()
    cleanup_data()
    roads, city_hall = Category.objects.get(slug="roads"), Point(106.640, -6.178, srid=4326)
    complaint = complaint_create(category=roads, location=city_hall, description=f"{PREFIX} all").complaint
    agency = complaint.agency
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"{PREFIX}-{i}", password="!", is_active=True) for i in range(n)]
        )
        tokens = Token.objects.bulk_create([Token(key=Token.generate_key(), user=u) for u in users])
        n_crews = max(1, n // crew_size)
        crews = Crew.objects.bulk_create([Crew(name=f"{PREFIX} {k}", agency=agency) for k in range(n_crews)])
        everyone = Crew.objects.create(name=f"{PREFIX} all", agency=agency)
        members = [CrewMember(crew=crews[i % n_crews], user=u) for i, u in enumerate(users)]
        members += [CrewMember(crew=everyone, user=u) for u in users]
        CrewMember.objects.bulk_create(members)
    Complaint.objects.filter(pk=complaint.pk).update(crew=everyone, status="assigned")
    complaint.crew, complaint.status = everyone, "assigned"
    per_crew = []
    for crew in crews:
        c = complaint_create(category=roads, location=city_hall, description=f"{PREFIX} {crew.name}").complaint
        Complaint.objects.filter(pk=c.pk).update(crew=crew, status="assigned")
        c.crew, c.status = crew, "assigned"
        per_crew.append(c)
    return {
        "tokens": [t.key for t in tokens],
        "crew_of_socket": [i % n_crews for i in range(n)],
        "crew_complaints": per_crew,
        "all_complaint": complaint,
    }


def cleanup_data() -> None:
    from django.contrib.auth import get_user_model

    from fieldops.models import Complaint, Crew

    Complaint.objects.filter(description__startswith=PREFIX).delete()
    Crew.objects.filter(name__startswith=PREFIX).delete()
    get_user_model().objects.filter(username__startswith=f"{PREFIX}-").delete()


# ---------------------------------------------------------------- publishing


def commit_event(complaint, stamps: dict) -> int:
    """Commit one note event on `complaint` the way services do; remember the commit time."""
    from django.db import transaction

    from fieldops.events import event_record

    holder = {}
    with transaction.atomic():
        # Registered before event_record's publish callback, so it runs first: the commit time.
        transaction.on_commit(lambda: holder.__setitem__("t", time.time()))
        event = event_record(complaint=complaint, type="note", note="bench: cek lokasi", is_public=False,
                             from_status=complaint.status, to_status=complaint.status)
    stamps[event.pk] = holder["t"]
    return event.pk


async def publish_ws(plan: list, interval: float, stamps: dict) -> list[int]:
    """Commit the planned events (complaints) from inside one event loop, as a server would."""
    from asgiref.sync import sync_to_async

    ids = []
    for complaint in plan:
        t0 = time.monotonic()
        ids.append(await sync_to_async(commit_event, thread_sensitive=True)(complaint, stamps))
        if interval:
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - t0)))
    return ids


def publish_raw(r, plan: list[str], interval: float, stamps: dict, payload: str, start_id: int) -> list[int]:
    ids = []
    for k, channel in enumerate(plan):
        t0 = time.monotonic()
        event_id = start_id + k
        stamps[event_id] = time.time()
        r.publish(channel, json.dumps({"event_id": event_id, "type": "note", "pad": payload}))
        ids.append(event_id)
        if interval:
            time.sleep(max(0.0, interval - (time.monotonic() - t0)))
    return ids


# ---------------------------------------------------------------- measuring


class Client:
    def __init__(self, cfg: dict):
        self.proc = subprocess.Popen([sys.executable, __file__, "--client"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.proc.stdin.write(json.dumps(cfg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"client process failed: {line!r}")

    def stop(self) -> list:
        self.proc.stdin.write("STOP\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        self.proc.wait(10)
        return json.loads(out)


def summarize(ids: list[int], expected_each: dict[int, int], stamps: dict, receipts: list) -> dict:
    wanted = set(ids)
    lat = [(t - stamps[e]) * 1000 for e, t in receipts if e in wanted]
    got = sum(1 for e, _t in receipts if e in wanted)
    expected = sum(expected_each[e] for e in ids)
    times = [t for e, t in receipts if e in wanted]
    span = (max(times) - min(stamps[e] for e in ids)) if times else float("nan")
    return {
        "p50": percentile(lat, 50), "p95": percentile(lat, 95), "p99": percentile(lat, 99),
        "received": got, "expected": expected, "lost": expected - got,
        "per_s": got / span if span and span > 0 else float("nan"),
    }


def drain(expected: dict) -> float:
    """Seconds to let the receipts of a phase arrive before the next phase starts."""
    return 1.5 + sum(expected.values()) / 1500


def run_n(n: int, args, urls: list[str], redis_url: str) -> dict:
    import redis

    data = create_data(n, args.crew_size)
    crews = data["crew_complaints"]
    rng = random.Random(n)
    crews_plan = [rng.choice(crews) for _ in range(args.events)]
    burst_plan = [rng.choice(crews) for _ in range(args.burst)]
    all_plan = [data["all_complaint"]] * args.city_events
    phases_plan = (("crews", crews_plan, args.interval), ("city-wide", all_plan, args.city_interval),
                   ("burst", burst_plan, 0.0))
    crew_size = {c.pk: sum(1 for k in data["crew_of_socket"] if crews[k].pk == c.pk) for c in crews}
    results = {}
    try:
        # ---- the app: N websocket clients on the daphne process(es)
        ws_urls = [f"{urls[i % len(urls)]}/ws/crew/" for i in range(n)]
        client = Client({"mode": "ws", "urls": ws_urls, "tokens": data["tokens"]})
        stamps: dict = {}
        phases = {}
        try:
            time.sleep(0.5)
            for name, plan, interval in phases_plan:
                ids = asyncio.run(publish_ws(plan, interval, stamps))
                phases[name] = (ids, {e: (n if c.pk == data["all_complaint"].pk else crew_size[c.pk])
                                      for e, c in zip(ids, plan)})
                time.sleep(drain(phases[name][1]))
        finally:
            receipts = client.stop()
        for name, (ids, expected) in phases.items():
            results[("app", name)] = summarize(ids, expected, stamps, receipts)

        # ---- raw redis-py pub/sub: the same N subscribers, the same pattern and payload size
        from realtime.envelope import event_envelope
        from fieldops.models import ComplaintEvent
        from realtime.audience import client_message

        sample = ComplaintEvent.objects.filter(complaint=crews[0]).order_by("-id").first()
        payload = "x" * len(json.dumps(client_message(event_envelope(sample, crews[0]), public=False)))
        prefix = f"{PREFIX}.{os.getpid()}"
        channels = [[f"{prefix}.crew.{data['crew_of_socket'][i]}", f"{prefix}.all"] for i in range(n)]
        client = Client({"mode": "redis", "redis_url": redis_url, "channels": channels})
        r = redis.Redis.from_url(redis_url)
        stamps = {}
        phases = {}
        index = {c.pk: k for k, c in enumerate(crews)}
        try:
            time.sleep(0.5)
            start = 1
            for name, plan, interval in phases_plan:
                chans = [f"{prefix}.all" if c.pk == data["all_complaint"].pk else f"{prefix}.crew.{index[c.pk]}"
                         for c in plan]
                ids = publish_raw(r, chans, interval, stamps, payload, start)
                phases[name] = (ids, {e: (n if c.pk == data["all_complaint"].pk else crew_size[c.pk])
                                      for e, c in zip(ids, plan)})
                start += len(plan)
                time.sleep(drain(phases[name][1]))
        finally:
            receipts = client.stop()
        for name, (ids, expected) in phases.items():
            results[("raw", name)] = summarize(ids, expected, stamps, receipts)
    finally:
        cleanup_data()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", default="100,500", help="comma-separated N (default 100,500)")
    parser.add_argument("--servers", type=int, default=2, help="daphne processes to start (default 2)")
    parser.add_argument("--layer", choices=["core", "pubsub"], default="pubsub",
                        help="channel layer of the started servers (CHANNEL_LAYER)")
    parser.add_argument("--url", help="a running server's base URL (http://host:port) instead of starting daphne; "
                                      "it must share DATABASE_URL and REDIS_URL with this process")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"))
    parser.add_argument("--crew-size", type=int, default=5)
    parser.add_argument("--events", type=int, default=40, help="paced events per phase")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between paced events")
    parser.add_argument("--city-events", type=int, default=20, help="city-wide events (each to all N sockets)")
    parser.add_argument("--city-interval", type=float, default=0.2,
                        help="seconds between city-wide events (DESIGN.md's plain-stack figures used 0.2)")
    parser.add_argument("--burst", type=int, default=300, help="back-to-back crew events for the events/s figure")
    add_json_argument(parser)
    args = parser.parse_args(argv)

    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL") if args.url else args.redis_url
    os.environ["CHANNEL_LAYER"] = args.layer
    setup_django()
    from tests.realtime import servers

    procs = []
    try:
        if args.url:
            urls = [args.url.rstrip("/").replace("http://", "ws://")]
        else:
            from django.db import connection

            db_url = servers.database_url_for(connection.settings_dict["NAME"])
            started = [servers.start_daphne(database_url=db_url, redis_url=args.redis_url, wait=False,
                                            extra_env={"CHANNEL_LAYER": args.layer, "CONN_MAX_AGE": "600"})
                       for _ in range(args.servers)]
            procs = [p for p, _port in started]
            for proc, port in started:
                servers.wait_daphne(proc, port)
            urls = [f"ws://127.0.0.1:{port}" for _p, port in started]
        print(f"fan-out bench: {machine_description()}")
        print(f"servers: {len(urls)} daphne, layer {args.layer}, crews of {args.crew_size}; crews: {args.events} "
              f"events every {args.interval * 1000:.0f} ms; city-wide: {args.city_events} every "
              f"{args.city_interval * 1000:.0f} ms; burst: {args.burst} back to back\n")
        rows, lines = [], []
        header = (f"{'N':>4} {'phase':<10} {'app p50/p95/p99 ms':>22} {'raw p50/p95/p99 ms':>22} "
                  f"{'app ev/s':>9} {'raw ev/s':>9} {'p99 app/raw':>11} {'ev/s app/raw':>12} {'lost':>5}")
        print(header)
        for n in [int(x) for x in args.sockets.split(",") if x.strip()]:
            res = run_n(n, args, urls, args.redis_url)
            for phase in ("crews", "city-wide", "burst"):
                app, raw = res[("app", phase)], res[("raw", phase)]
                line = (f"{n:>4} {phase:<10} {app['p50']:>6.1f} /{app['p95']:>6.1f} /{app['p99']:>6.1f} "
                        f"{raw['p50']:>6.1f} /{raw['p95']:>6.1f} /{raw['p99']:>6.1f} "
                        f"{app['per_s']:>9.0f} {raw['per_s']:>9.0f} {app['p99'] / raw['p99']:>11.1f} "
                        f"{app['per_s'] / raw['per_s']:>12.2f} {app['lost']:>5}")
                print(line, flush=True)
                lines.append(line)
                goal = f"value <= {GOAL_P99_MS}" if (n == 500 and phase == "crews") else None
                if phase != "burst":
                    rows.append(make_row(BENCH, f"p99 ms N={n} {phase}", app["p99"], raw["p99"], goal))
                    rows.append(make_row(BENCH, f"p50 ms N={n} {phase}", app["p50"], raw["p50"]))
                else:
                    rows.append(make_row(BENCH, f"events/s N={n} burst", app["per_s"], raw["per_s"]))
                rows.append(make_row(BENCH, f"lost N={n} {phase}", app["lost"], None, "value == 0"))
        print()
        print(format_table(rows))
        if args.json:
            write_json(args.json, rows)
    finally:
        for proc in procs:
            servers.stop(proc)
    return 0


if __name__ == "__main__":
    if "--client" in sys.argv:
        asyncio.run(client_main())
    else:
        sys.exit(main())

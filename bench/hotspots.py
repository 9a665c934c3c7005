"""Hotspot analytics at a million complaints (issue 6).

Builds a separate database (default `laksa_bench`, created from template1 by the `laksa` role),
migrates it, loads the Tangerang fixtures with demo accounts and `generate_demo_complaints`
(COPY), then times every analytics endpoint through the whole Django stack (middleware,
session auth, DRF; Django's test client, no HTTP socket) as the planner, and in the same run the
raw SQL the endpoint executes, and prints p50/p95 and the ratios.

    .venv/bin/python bench/hotspots.py --count 1000000            # build (or reuse) and measure
    .venv/bin/python bench/hotspots.py --count 1000000 --rebuild  # drop and rebuild the database

Goals (1M complaints, 2 cores): areas <= 300 ms, hex grid of the city at 500 m <= 500 ms,
a tile <= 100 ms p95, every endpoint <= 1.3x its raw SQL.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchlib import (  # noqa: E402
    add_json_argument, django_client, format_table, generated_database, machine_description, make_row, percentile, write_json,
)

BENCH = "hotspots"


def tile_xy(lon, lat, z):
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def raw_analytics(statements, scan=True):
    """A function running analytics statements (selectors' `*_sql`) with the endpoints'
    transaction-local settings, straight on the cursor: the raw-SQL baseline."""
    from django.db import connection

    from analytics import selectors

    def run():
        with connection.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(selectors.SCAN_SQL if scan else selectors.SESSION_SQL)
            for sql, params in statements:
                cur.execute(sql, params)
                cur.fetchall()
            cur.execute("COMMIT")
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--db", default="laksa_bench")
    parser.add_argument("--host-url", default="postgresql://laksa:laksa@127.0.0.1:5432")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="run only the cases whose name contains this (e.g. areas)")
    add_json_argument(parser)
    args = parser.parse_args()

    rows = []
    env, gen_s = generated_database(db=args.db, count=args.count, host_url=args.host_url, rebuild=args.rebuild)
    if gen_s is not None:
        rows.append(make_row(BENCH, f"generate {args.count:,} (s)", gen_s, None, "value <= 300"))

    client = django_client(env, "planner")
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connection
    from django.utils import timezone

    from analytics import selectors
    from analytics.apis import TILE_CACHE
    from analytics.filters import parse_filters
    from analytics.services import metric_srid

    tile_cache = caches[TILE_CACHE]
    srid = metric_srid()
    recent = (timezone.now() - timedelta(days=14)).date().isoformat()
    month = (timezone.now() - timedelta(days=30)).date().isoformat()
    none = parse_filters({})
    f_recent = parse_filters({"created_after": recent})
    f_month = parse_filters({"created_after": month, "category": "garbage,drainage"})
    f_roads = parse_filters({"category": "roads"})

    raw = raw_analytics

    # The export's raw SQL is the same COPY statement, drained into a sink that keeps nothing.
    export_copy = selectors.export_csv_copy_sql(filters=f_month)

    class Discard:
        def write(self, data):
            pass

    def raw_export():
        with connection.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute(selectors.EXPORT_SETUP_SQL)
            cur.copy_expert(export_copy, Discard())
            cur.execute("COMMIT")

    hall = (106.640, -6.178)

    def tile_url(query=""):
        # Tile URLs as a map client gets them: from the TileJSON, with its signed token.
        template = client.get("/api/v1/tiles/complaints.json" + query).json()["tiles"][0]
        return template.removeprefix("http://testserver")

    cases = []
    for z in (12, 14, 16):
        x, y = tile_xy(*hall, z)
        cases.append((f"tile z{z} (cold)", tile_url().format(z=z, x=x, y=y),
                      raw([selectors.tile_sql(z=z, x=x, y=y, filters=none)], scan=False), "value <= 100", True))
    x, y = tile_xy(*hall, 14)
    cases += [
        ("tile z14 roads (cold)", tile_url("?category=roads").format(z=14, x=x, y=y),
         raw([selectors.tile_sql(z=14, x=x, y=y, filters=f_roads)], scan=False), "value <= 100", True),
        # The same tile with the session cookie instead of the token: session, user and roles read first.
        ("tile z14 session (cold)", f"/api/v1/tiles/complaints/14/{x}/{y}.pbf",
         raw([selectors.tile_sql(z=14, x=x, y=y, filters=none)], scan=False), "value <= 100", True),
        ("areas kecamatan", "/api/v1/analytics/areas/?level=kecamatan",
         raw([selectors.areas_sql(level="kecamatan", filters=none)], scan=not selectors.uses_rollup(none)), "value <= 300", False),
        ("areas kelurahan", "/api/v1/analytics/areas/?level=kelurahan",
         raw([selectors.areas_sql(level="kelurahan", filters=none)], scan=not selectors.uses_rollup(none)), "value <= 300", False),
        ("grid hex 500 m", "/api/v1/analytics/grid/?shape=hex&size_m=500",
         raw([selectors.grid_sql(shape="hex", size_m=500, srid=srid, filters=none)]), "value <= 500", False),
        ("grid square 500 m", "/api/v1/analytics/grid/?shape=square&size_m=500",
         raw([selectors.grid_sql(shape="square", size_m=500, srid=srid, filters=none)]), None, False),
        ("clusters 14 days", f"/api/v1/analytics/clusters/?eps_m=100&min_points=10&created_after={recent}",
         raw([selectors.clusters_count_sql(filters=f_recent, limit=100000),
              selectors.clusters_sql(eps_m=100, min_points=10, srid=srid, filters=f_recent)]), None, False),
        ("timeseries month", "/api/v1/analytics/timeseries/?interval=month",
         raw([selectors.timeseries_sql(interval="month", tz=settings.TIME_ZONE, filters=none)]), None, False),
        ("summary", "/api/v1/analytics/summary/", raw(selectors.summary_sql(filters=none)), None, False),
        ("export csv 30 days", f"/api/v1/analytics/export/?format=csv&created_after={month}&category=garbage,drainage",
         raw_export, None, False),
    ]

    def timed(fn, n):
        out = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
        return out

    print(f"\n{machine_description()}; {args.count:,} complaints; metric SRID {srid}; {args.repeat} runs each\n")
    cases = [c for c in cases if args.only in c[0]]
    for name, url, raw_fn, goal, cold in cases:
        n = args.repeat if "clusters" not in name and "export" not in name else max(3, args.repeat // 3)

        def api():
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code, r.content[:300])
            if r.streaming:
                for _chunk in r.streaming_content:
                    pass

        api(), raw_fn()  # warm caches (area shapes, plans)
        # Interleave API and raw runs so drift on a shared machine hits both alike.
        a, b = [], []
        for _ in range(n):
            if cold:
                tile_cache.clear()  # an empty tile cache, emptied outside the timed request
            a += timed(api, 1)
            b += timed(raw_fn, 1)
        a50, a95, b50, b95 = percentile(a, 50), percentile(a, 95), percentile(b, 50), percentile(b, 95)
        print(f"{name:<24} api p50 {a50:8.1f} ms  p95 {a95:8.1f} ms | raw SQL p50 {b50:8.1f} ms  p95 {b95:8.1f} ms"
              f" | ratio p50 {a50 / b50:5.2f}", flush=True)
        # The ratio to raw SQL is shown, not a goal: the "<= 1.3x raw" goals were retired in issue 14;
        # the absolute p95 goals (areas <= 300 ms, hex <= 500 ms, tiles <= 100 ms) stand.
        rows.append(make_row(BENCH, f"{name} p50 ms", a50, b50, None))
        rows.append(make_row(BENCH, f"{name} p95 ms", a95, b95, goal))
    # The fixed cost a request pays around its query: middleware, authentication, DRF, the role
    # check and the filters, measured on no-op views of the same classes. A session request reads
    # the session and the user (with roles) first; a tile with its signed token reads nothing.
    # Each no-op is timed right after the z14 tile's raw SQL, as the tile requests above are (on
    # this VM, Python code that runs after a wait on a socket runs ~3x slower than back to back).
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import laksa_gis.urls
    from analytics.apis import AnalyticsApi, TileApi

    class Noop(AnalyticsApi):
        def get(self, request):
            self.query(request)
            return HttpResponse(b"")

    class TileNoop(TileApi):
        def get(self, request):
            self.query(request)
            return HttpResponse(b"")

    token_query = tile_url().split("?", 1)[1]
    laksa_gis.urls.urlpatterns[:0] = [path("__bench__/noop/", Noop.as_view()),
                                      path("__bench__/tile-noop/", TileNoop.as_view())]
    clear_url_caches()
    z14_raw = raw([selectors.tile_sql(z=14, x=x, y=y, filters=none)], scan=False)
    for label, url in (("analytics no-op request, session", "/__bench__/noop/"),
                       ("tile no-op request, signed token", f"/__bench__/tile-noop/?{token_query}")):
        assert client.get(url).status_code == 200
        back_to_back = timed(lambda: client.get(url), max(50, args.repeat * 5))
        after_sql = []
        for _ in range(max(50, args.repeat * 5)):
            z14_raw()
            after_sql += timed(lambda: client.get(url), 1)
        rows.append(make_row(BENCH, f"fixed cost: {label} p50 ms", percentile(back_to_back, 50)))
        rows.append(make_row(BENCH, f"fixed cost: {label}, after SQL p50 ms", percentile(after_sql, 50)))
        print(f"fixed cost, {label}: p50 {percentile(back_to_back, 50):.2f} ms back to back, "
              f"{percentile(after_sql, 50):.2f} ms right after the z14 tile's SQL")
    x, y = tile_xy(*hall, 14)
    hit = tile_url().format(z=14, x=x, y=y)
    client.get(hit)
    warm = timed(lambda: client.get(hit), args.repeat)
    rows.append(make_row(BENCH, "tile z14 (server cache hit) p95 ms", percentile(warm, 95)))
    print()
    print(format_table(rows))
    if args.json:
        write_json(args.json, rows)


if __name__ == "__main__":
    main()

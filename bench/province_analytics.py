"""Province analytics at a million complaints over the 8 governments of Banten (issue 18).

Builds a separate database (default `laksa_provbench`): migrated, the Tangerang fixtures with demo
accounts, `setup_province` with fixtures/banten (every kab/kota of Banten a government), then
`generate_demo_complaints` (COPY) over the 1,552 desa/kelurahan, each complaint with its desa's
government and the agency that government's routing picks. Then times the analytics endpoints
through the whole Django stack (Django's test client, no HTTP socket) as two users:

- a planner of ONE government (`--government`, default 36.04 Kabupaten Serang): everything scoped
  to that government's agencies;
- the province role (no government: every government, and `?level=kota`, the governor's map);

and, in the same run, interleaved, two baselines: the raw SQL the endpoint executes with the same
filters (as bench/hotspots.py), and the same request as the superuser (unfiltered). The load
average is printed with each figure (the machine is shared).

    .venv/bin/python bench/province_analytics.py --count 1000000            # build (or reuse) and measure
    .venv/bin/python bench/province_analytics.py --count 1000000 --rebuild  # drop and rebuild the database

Goals (1M complaints, 2 cores): areas <= 300 ms, hex grid at 500 m <= 500 ms, a tile <= 100 ms p95.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchlib import (  # noqa: E402
    add_json_argument, format_table, generated_database, machine_description, make_row, percentile, write_json,
)
from bench.hotspots import raw_analytics, tile_xy  # noqa: E402

BENCH = "province_analytics"
BANTEN = ["setup_province", "--name", "Banten", "--provinsi", "fixtures/banten/provinsi.geojson",
          "--kabkota", "fixtures/banten/kabkota.geojson", "--kecamatan", "fixtures/banten/kecamatan.geojson",
          "--desa", "fixtures/banten/desa.geojson"]
TILE_ZOOMS = (9, 12, 14, 16)


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--db", default="laksa_provbench")
    parser.add_argument("--host-url", default="postgresql://laksa:laksa@127.0.0.1:5432")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--government", default="36.04", help="the planner's government (Kemendagri code)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="run only the cases whose name contains this (e.g. tile)")
    parser.add_argument("--no-vacuum", action="store_true",
                        help="measure the tables as loaded, without the VACUUM (ANALYZE) autovacuum would have run")
    add_json_argument(parser)
    args = parser.parse_args()

    rows = []
    env, gen_s = generated_database(db=args.db, count=args.count, host_url=args.host_url, rebuild=args.rebuild,
                                    setup=(BANTEN,))
    if gen_s is not None:
        rows.append(make_row(BENCH, f"generate {args.count:,} (s)", gen_s))

    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.cache import caches
    from django.db.models import Count
    from django.test import Client

    from analytics import selectors
    from analytics.apis import TILE_CACHE
    from analytics.filters import parse_filters
    from analytics.services import metric_srid
    from boundaries.models import AdminArea, AreaLevel, BoundaryGeneration, Government
    from fieldops import permissions
    from fieldops.models import Complaint, StaffProfile

    settings.DEBUG = False
    if not args.no_vacuum:
        # The facts are loaded by COPY and the rollups churned by their triggers; a production
        # server's autovacuum (on by default; its insert threshold covers insert-only tables)
        # would have set the visibility map, which the overdue count's index-only scan needs:
        # without it that scan reads ~18k heap pages (370 ms of the kelurahan level at 1M).
        # The shared database server of the bench machine runs with autovacuum = off.
        from django.db import connection

        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) analytics_complaintfact, analytics_arearollup,"
                        " analytics_areastatusrollup, analytics_tilecell")
        print(f"VACUUM (ANALYZE) of the analytics tables: {time.perf_counter() - t:.1f} s")
    government = Government.objects.get(code=args.government)
    User = get_user_model()

    def staff(username, role, gov):
        user, _ = User.objects.get_or_create(username=username, defaults={"is_active": True})
        user.groups.set([Group.objects.get_or_create(name=role)[0]])
        StaffProfile.objects.update_or_create(user=user, defaults={"government": gov, "agency": None})
        client = Client()
        client.force_login(user)
        return client

    clients = {
        f"planner {government.code}": (staff("bench-gov-planner", permissions.PLANNER, government),
                                       frozenset({government.pk})),
        "province": (staff("bench-province", permissions.PROVINCE, None), None),
    }
    admin = Client()
    admin.force_login(User.objects.filter(is_superuser=True).order_by("id").first())

    tile_cache = caches[TILE_CACHE]
    srid = metric_srid()
    area = AdminArea.objects.get(generation=BoundaryGeneration.current(), level=AreaLevel.KOTA, code=government.code)
    spot = area.geom.point_on_surface
    per_gov = dict(Complaint.objects.values_list("government__code").annotate(n=Count("id")).order_by())

    raw = raw_analytics

    def tile_url(client, query=""):
        template = client.get("/api/v1/tiles/complaints.json" + query).json()["tiles"][0]
        return template.removeprefix("http://testserver")

    cases = []  # (name, client, url, admin url, raw, goal, cold)
    for who, (client, scope) in clients.items():
        f = parse_filters({}, government_scope=scope)
        levels = ("kecamatan", "kelurahan", "kota")
        for level in levels:
            cases.append((f"{who}: areas {level}", client, f"/api/v1/analytics/areas/?level={level}",
                          f"/api/v1/analytics/areas/?level={level}",
                          raw([selectors.areas_sql(level=level, filters=f)], scan=not selectors.uses_rollup(f)),
                          "value <= 300", False))
        cases.append((f"{who}: grid hex 500 m", client, "/api/v1/analytics/grid/?shape=hex&size_m=500",
                      "/api/v1/analytics/grid/?shape=hex&size_m=500",
                      raw([selectors.grid_sql(shape="hex", size_m=500, srid=srid, filters=f)]), "value <= 500", False))
        for z in TILE_ZOOMS:
            x, y = tile_xy(spot.x, spot.y, z)
            cases.append((f"{who}: tile z{z} (cold)", client, tile_url(client).format(z=z, x=x, y=y),
                          tile_url(admin).format(z=z, x=x, y=y),
                          raw([selectors.tile_sql(z=z, x=x, y=y, filters=f)], scan=False), "value <= 100", True))

    def timed(fn):
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000

    def getter(client, url):
        def get():
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code, r.content[:300])
        return get

    print(f"\n{machine_description()}; {args.count:,} complaints over {len(per_gov)} governments "
          f"({', '.join(f'{k} {v:,}' for k, v in sorted(per_gov.items()))}); metric SRID {srid}; "
          f"{args.repeat} runs each; tiles at {spot.x:.3f},{spot.y:.3f} ({government.name})\n")
    cases = [c for c in cases if args.only in c[0]]
    for name, client, url, admin_url, raw_fn, goal, cold in cases:
        api, base = getter(client, url), getter(admin, admin_url)
        api(), base(), raw_fn()  # warm caches (area shapes, plans)
        a, b, s = [], [], []
        # Interleave the three so drift on a shared machine hits them alike.
        for _ in range(args.repeat):
            for fn, out in ((api, a), (raw_fn, b), (base, s)):
                if cold:
                    tile_cache.clear()  # an empty tile cache, emptied outside the timed request
                out.append(timed(fn))
        a95, b95, s95 = percentile(a, 95), percentile(b, 95), percentile(s, 95)
        a50, s50 = percentile(a, 50), percentile(s, 50)
        print(f"{name:<34} api p50 {a50:7.1f} p95 {a95:7.1f} ms | raw SQL p95 {b95:7.1f} (x{a95 / b95:4.2f}) | "
              f"superuser p50 {s50:7.1f} p95 {s95:7.1f} (x{a95 / s95:5.2f}) | {'ok ' if a95 <= float(goal.split()[2]) else 'MISS'}"
              f" | {load()}", flush=True)
        rows.append(make_row(BENCH, f"{name} p95 ms (baseline: raw SQL)", a95, b95, goal))
        rows.append(make_row(BENCH, f"{name} p95 ms (baseline: superuser)", a95, s95, None))
    print()
    print(format_table(rows))
    if args.json:
        write_json(args.json, rows)


if __name__ == "__main__":
    main()

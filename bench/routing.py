#!/usr/bin/env python
"""Routing benchmark (issue 18): single points and sets of points, over Kota Tangerang's 104
kelurahan and over a national-size layer, in one run.

It builds its own database (default `laksa_bench_routing`, from template1): migrated, the
Tangerang fixtures loaded (the 104-kelurahan figures), then a synthetic tessellation of 83,403
desa/kelurahan (the number of desa and kelurahan of Indonesia) loaded as a new boundary
generation through the same tables the routing reads (AdminArea, ST_Subdivide pieces, parents,
one government with a command center per kab/kota). The tessellation is a grid of cells whose
shared edges are jittered polylines, so neighbours fit exactly with no gap or overlap; each
cell's vertex count is drawn from the vertex counts of Banten's desa (fixtures/banten). Cells
are grouped 3×4 into kecamatan and 13×13 into kab/kota (those outlines are the blocks' boxes).

Measured, each on both layers:
- single point, in SQL: the routing statement of `boundaries.selectors.route_point` (areas,
  tree, government, rule, agency row), prepared once (generic plan) and executed per point,
  p50/p99; baseline: the bare ST_Covers lookup of the covering pieces, prepared alike. Goal:
  p99 <= 2 ms (national).
- single point, `route_point()`: the same through Django (planning, round trip, Python), p50/p99.
- set-based: one statement assigning every point of a table its desa (lowest code on a tie),
  kecamatan and government, the points bucketed on a grid so that the spatial index is probed
  once per occupied cell, in parallel workers (SET_SIDE_SQL, SET_CELLS_SQL, SET_SQL); points/s;
  baseline: the bare join of points and covering pieces (one probe per point, serial). Beside it
  the per-point-probe statement, checked to assign every point the same. Goal: >= 50,000
  points/s (national).

    .venv/bin/python bench/routing.py                  # about 5 minutes on 2 cores
    .venv/bin/python bench/routing.py --cells 20000    # a smaller layer, for a quick look
    .venv/bin/python bench/routing.py --reuse          # measure again on the layer built last time
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchlib import (  # noqa: E402
    PY, ROOT, add_json_argument, format_table, machine_description, make_row, percentile, psql, sh, write_json,
)

BENCH = "routing"
NATIONAL_DESA = 83_403
TESSELLATION = "bench: national-size tessellation"


def banten_vertex_counts() -> np.ndarray:
    """Vertices per desa/kelurahan of Banten (rings' closing vertex not counted)."""
    data = json.loads((ROOT / "fixtures" / "banten" / "desa.geojson").read_text())
    counts = []
    for f in data["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        counts.append(sum(len(ring) - 1 for poly in polys for ring in poly))
    return np.array(counts)


def tessellation(n: int, targets: np.ndarray, rng, *, lon0=95.0, lat0=-11.0, cell=0.0475):
    """`n` cells of a jittered grid as WKT, row-major, with their (col, row), and the vertex counts."""
    cols = int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    want = rng.choice(targets, size=(rows, cols))
    # Each cell's vertices come from its 4 edges; an edge shared by two cells gets the mean of
    # what they want, spread over 4 edges (at least 0 points inside an edge).
    def inner(a, b):
        return max(0, int(round((a + b) / 2 / 4)) - 1)

    def edge(p0, p1, k, horizontal):
        if k == 0:
            return [p0]
        t = (np.arange(1, k + 1) / (k + 1))
        amp = 0.2 * cell * np.sin(np.pi * t) * rng.uniform(-1, 1, size=k)
        if horizontal:
            xs, ys = p0[0] + (p1[0] - p0[0]) * t, p0[1] + amp
        else:
            xs, ys = p0[0] + amp, p0[1] + (p1[1] - p0[1]) * t
        return [p0] + list(zip(xs.tolist(), ys.tolist()))

    # Horizontal edges: (rows + 1) × cols; vertical: rows × (cols + 1); stored as point lists
    # from west to east / south to north.
    h = {}
    for r in range(rows + 1):
        for c in range(cols):
            a = want[r - 1, c] if r > 0 else want[r, c]
            b = want[r, c] if r < rows else want[r - 1, c]
            p0, p1 = (lon0 + c * cell, lat0 + r * cell), (lon0 + (c + 1) * cell, lat0 + r * cell)
            h[r, c] = edge(p0, p1, inner(a, b), True)
    v = {}
    for r in range(rows):
        for c in range(cols + 1):
            a = want[r, c - 1] if c > 0 else want[r, c]
            b = want[r, c] if c < cols else want[r, c - 1]
            p0, p1 = (lon0 + c * cell, lat0 + r * cell), (lon0 + c * cell, lat0 + (r + 1) * cell)
            v[r, c] = edge(p0, p1, inner(a, b), False)
    out, counts = [], []
    for i in range(n):
        r, c = divmod(i, cols)
        # Counter-clockwise: bottom (W→E), right (S→N), top (E→W), left (N→S).
        right_end = (lon0 + (c + 1) * cell, lat0 + r * cell)
        ring = h[r, c] + v[r, c + 1] + list(reversed(h[r + 1, c][1:] + [(lon0 + (c + 1) * cell, lat0 + (r + 1) * cell)])) \
            + list(reversed(v[r, c][1:] + [(lon0 + c * cell, lat0 + (r + 1) * cell)]))
        del right_end
        ring = ring + [ring[0]]
        counts.append(len(ring) - 1)
        out.append((c, r, "MULTIPOLYGON(((" + ",".join(f"{x:.6f} {y:.6f}" for x, y in ring) + ")))"))
    return out, np.array(counts), cols, rows, cell


def prepared(cur, name: str, sql: str, names: list[str]) -> None:
    """PREPARE `sql` with %(name)s placeholders as $1..$n in the order of `names`."""
    for i, key in enumerate(names, start=1):
        sql = sql.replace(f"%({key})s", f"${i}")
    cur.execute(f"PREPARE {name} AS {sql.replace('%%', '%')}")


def time_prepared(cur, name: str, points, args) -> list[float]:
    out = []
    for lon, lat in points:
        t = time.perf_counter()
        cur.execute(f"EXECUTE {name}({', '.join(['%s'] * len(args(lon, lat)))})", args(lon, lat))
        cur.fetchall()
        out.append((time.perf_counter() - t) * 1000)
    return out


# The set-based assignment, bucketed and parallel: the per-point spatial-index probe is the cost
# of the obvious statement (each of 100,000 points descends the GiST of 243,000 pieces: 30 µs each
# on a quiet machine, the `&&` join alone as long as the whole), so the points are grouped into
# the cells of a grid and the index is probed once per occupied cell, with the extent of that
# cell's points; the candidate pieces then meet the cell's points in a hash join on the cell
# (`&&`, then ST_Covers). The cell's side is chosen so that a cell holds about %(per_cell)s points
# on average (sqrt(extent area × per_cell / points)): 0.17° (19 km) for 100,000 points over the
# national layer, 0.002° for 100,000 points over Kota Tangerang, so the pairs tried per point (the
# pieces of its cell, about 45 here) stay bounded whatever the points' density.
# The cells with their extent are an unlogged table written first (SET_CELLS_SQL), and the points
# an unlogged table, not CTEs: PostgreSQL's parallel workers cannot read a CTE or a temporary
# table, and the cells' probes and the hash join with the points are most of the time
# (serial, as CTEs: 39,201 points/s at load 1.2; docs/BENCHMARKS.md). Planner settings, scoped to
# the transaction (SET LOCAL): the planner cannot estimate a spatial join (it guesses 1 row) and,
# left alone, probes the index per point (a nested loop with a memoized probe, 7.7 s) or merges
# through a sort, so the joins keep their written order (join_collapse_limit 1: the cells probe
# the pieces, then the points join them by hash), hash joins only apart from the probe, no
# memoize; parallel workers even for the small cell table; JIT off (PostGIS spends its time in C
# that JIT does not speed up); work_mem for the hash of the points.
# The lowest desa code wins a tie (a point on a shared edge); the government of each point comes
# from a hash of kecamatan → government built once, not looked up per point.
SET_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL enable_nestloop = off", "SET LOCAL enable_mergejoin = off",
                "SET LOCAL enable_memoize = off", "SET LOCAL work_mem = '64MB'", "SET LOCAL join_collapse_limit = 1",
                "SET LOCAL max_parallel_workers_per_gather = 2", "SET LOCAL parallel_setup_cost = 0",
                "SET LOCAL parallel_tuple_cost = 0", "SET LOCAL min_parallel_table_scan_size = 0")
# The cell's side (one scan of the points), then the occupied cells with their points' extent.
SET_SIDE_SQL = "SELECT greatest(sqrt(ST_Area(ST_Extent(geom)::geometry) * %(per_cell)s / count(*)), 1e-4) FROM bench_pts"
CELL_X, CELL_Y = "floor(ST_X({t}.geom) / %(side)s)::int", "floor(ST_Y({t}.geom) / %(side)s)::int"
SET_CELLS_SQL = f"""
CREATE UNLOGGED TABLE set_cells AS
SELECT {CELL_X.format(t='t')} AS bx, {CELL_Y.format(t='t')} AS by, ST_Extent(t.geom)::geometry AS env
  FROM bench_pts t GROUP BY 1, 2"""
SET_SQL = f"""
CREATE TEMP TABLE assigned AS
SELECT DISTINCT ON (b.id) b.id, a.id AS desa, a.parent_id AS kecamatan, g.government
  FROM (set_cells c JOIN boundaries_areapiece p ON p.geom && c.env AND p.generation_id = %(gen)s AND p.level = 'kelurahan')
  JOIN bench_pts b ON {CELL_X.format(t='b')} = c.bx AND {CELL_Y.format(t='b')} = c.by
                  AND p.geom && b.geom AND ST_Covers(p.geom, b.geom)
  JOIN boundaries_adminarea a ON a.id = p.area_id
  LEFT JOIN (SELECT k.id, gv.id AS government FROM boundaries_adminarea k
               JOIN boundaries_adminarea kk ON kk.id = k.parent_id
               JOIN boundaries_government gv ON gv.code = kk.code AND gv.active
              WHERE k.generation_id = %(gen)s AND k.level = 'kecamatan') g ON g.id = a.parent_id
 ORDER BY b.id, a.code
"""
SET_PER_CELL = 16
# The statement this replaced, one index probe per point (points in geohash order so that
# neighbours hit the same pieces one after the other and the index pages stay warm; the
# government per point as a subquery of primary-key lookups): measured beside it, same result.
SET_PROBE_SQL = """
CREATE TEMP TABLE assigned_probe AS
WITH hit AS (
    SELECT DISTINCT ON (t.id) t.id, a.id AS desa, a.parent_id AS kecamatan
      FROM (SELECT id, geom FROM bench_pts ORDER BY ST_GeoHash(geom, 10)) t
     CROSS JOIN LATERAL (SELECT p.area_id, p.generation_id, p.level, p.geom FROM boundaries_areapiece p
                          WHERE p.geom && t.geom OFFSET 0) c
      JOIN boundaries_adminarea a ON a.id = c.area_id
     WHERE c.generation_id = %(gen)s AND c.level = 'kelurahan' AND ST_Covers(c.geom, t.geom)
     ORDER BY t.id, a.code
)
SELECT h.id, h.desa, h.kecamatan,
       (SELECT gv.id FROM boundaries_adminarea k
          JOIN boundaries_adminarea kk ON kk.id = k.parent_id
          JOIN boundaries_government gv ON gv.code = kk.code AND gv.active
         WHERE k.id = h.kecamatan) AS government
  FROM hit h
"""
# The bare join the planner makes of points and covering pieces (one probe per point, the floor
# of any per-point statement; same order of points).
SET_BASELINE_SQL = """
CREATE TEMP TABLE assigned_raw AS
SELECT t.id, p.area_id FROM (SELECT id, geom FROM bench_pts ORDER BY ST_GeoHash(geom, 10)) t
  JOIN boundaries_areapiece p ON ST_Covers(p.geom, t.geom)
 WHERE p.generation_id = %(gen)s AND p.level = 'kelurahan'
"""
COVERS_SQL = """
SELECT c.area_id FROM (SELECT p.area_id, p.generation_id, p.geom FROM boundaries_areapiece p
                        WHERE p.geom && ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) OFFSET 0) c
 WHERE c.generation_id = %(gen)s AND ST_Covers(c.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
"""


def measure(label: str, cur, route_point, gen: int, points, set_points: int, rows: list, goals: bool) -> dict:
    from boundaries.selectors import _ROUTE_SQL, _SLIVER_DEG, SLIVER_TOLERANCE_M

    names = ["lon", "lat", "category", "default_agency", "defaults", "sliver_m", "sliver_deg"]
    tag = re.sub(r"\W", "", label)
    prepared(cur, f"route_{tag}", _ROUTE_SQL.replace("%(default_agency)s", "%(default_agency)s::bigint")
             .replace("%(defaults)s::jsonb", "%(defaults)s::text::jsonb"), names)
    prepared(cur, f"covers_{tag}", COVERS_SQL, ["lon", "lat", "gen"])
    # "In SQL": the statement planned once and executed per point (a prepared statement's
    # generic plan), the cost the database pays per point. route_point() below sends the text
    # each time, so PostgreSQL plans it every time: that is the difference between the rows.
    cur.execute("SET plan_cache_mode = force_generic_plan")
    for lon, lat in points[:50]:  # warm up
        cur.execute(f"EXECUTE route_{tag}(%s, %s, 'roads', NULL, '{{}}', %s, %s)", [lon, lat, SLIVER_TOLERANCE_M, _SLIVER_DEG])
        cur.fetchall()
    sql = time_prepared(cur, f"route_{tag}", points,
                        lambda lon, lat: [lon, lat, "roads", None, "{}", SLIVER_TOLERANCE_M, _SLIVER_DEG])
    raw = time_prepared(cur, f"covers_{tag}", points, lambda lon, lat: [lon, lat, gen])
    py = []
    for lon, lat in points:
        t = time.perf_counter()
        route_point(lon=lon, lat=lat, category_slug="roads")
        py.append((time.perf_counter() - t) * 1000)
    p99, p50 = percentile(sql, 99), percentile(sql, 50)
    print(f"{label}: route SQL p50 {p50:.2f} ms p99 {p99:.2f} ms; bare covers p50 {percentile(raw, 50):.2f} "
          f"p99 {percentile(raw, 99):.2f} ms; route_point() p50 {percentile(py, 50):.2f} p99 {percentile(py, 99):.2f} ms",
          flush=True)
    rows.append(make_row(BENCH, f"{label}: single point route SQL p99 ms", p99, percentile(raw, 99),
                         "value <= 2" if goals else None))
    rows.append(make_row(BENCH, f"{label}: single point route SQL p50 ms", p50, percentile(raw, 50)))
    rows.append(make_row(BENCH, f"{label}: route_point() p99 ms", percentile(py, 99), p99))
    # Set-based: one statement over a table of points.
    cur.execute("DROP TABLE IF EXISTS bench_pts, set_cells, assigned, assigned_probe, assigned_raw")
    # Uniform in the layer's kab/kota boxes (a few fall outside every desa where the grid's last
    # row is short: they are counted, not assigned).
    # Unlogged, not temporary: the set statement's parallel workers read it.
    cur.execute("CREATE UNLOGGED TABLE bench_pts AS SELECT row_number() OVER () AS id, geom FROM ("
                " SELECT (ST_Dump(ST_GeneratePoints(ST_Union(geom), %s, 18))).geom FROM boundaries_adminarea"
                " WHERE generation_id = %s AND level = 'kota') s", [set_points, gen])
    cur.execute("ANALYZE bench_pts")
    from django.db import transaction

    def run(*statements: str, settings=("SET LOCAL jit = off",)) -> float:
        with transaction.atomic():
            for setting in settings:
                cur.execute(setting)
            t = time.perf_counter()
            side = None
            for sql in statements:
                cur.execute(sql.replace("%(gen)s", str(int(gen))).replace("%(per_cell)s", str(SET_PER_CELL))
                            .replace("%(side)s", repr(side)))
                if sql is SET_SIDE_SQL:
                    side = float(cur.fetchone()[0])
            return time.perf_counter() - t

    set_s = run(SET_SIDE_SQL, SET_CELLS_SQL, SET_SQL, settings=SET_SETTINGS)
    cur.execute("SELECT count(*), count(government) FROM assigned")
    assigned, governed = cur.fetchone()
    # The two baselines stay serial, as they were measured before the points table became one
    # that parallel workers can read.
    serial = ("SET LOCAL jit = off", "SET LOCAL max_parallel_workers_per_gather = 0")
    probe_s = run(SET_PROBE_SQL, settings=serial)
    base_s = run(SET_BASELINE_SQL, settings=serial)
    # Both statements must give every point the same desa, kecamatan and government.
    cur.execute("SELECT count(*) FROM assigned s FULL JOIN assigned_probe p USING (id)"
                " WHERE s.desa IS DISTINCT FROM p.desa OR s.kecamatan IS DISTINCT FROM p.kecamatan"
                " OR s.government IS DISTINCT FROM p.government")
    differ = cur.fetchone()[0]
    rate, probe_rate, base_rate = set_points / set_s, set_points / probe_s, set_points / base_s
    print(f"{label}: set-based {set_points:,} points in {set_s:.2f} s = {rate:,.0f} points/s "
          f"({assigned:,} assigned, {governed:,} with a government); per-point probes {probe_rate:,.0f} points/s "
          f"({differ} points assigned differently); bare join {base_rate:,.0f} points/s", flush=True)
    rows.append(make_row(BENCH, f"{label}: set-based points/s", rate, base_rate, "value >= 50000" if goals else None))
    rows.append(make_row(BENCH, f"{label}: set-based per-point probes points/s", probe_rate, base_rate))
    cur.execute("DROP TABLE bench_pts, set_cells")
    return {"assigned": assigned, "governed": governed, "differ": differ}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="laksa_bench_routing")
    parser.add_argument("--host-url", default="postgresql://laksa:laksa@127.0.0.1:5432")
    parser.add_argument("--cells", type=int, default=NATIONAL_DESA)
    parser.add_argument("--points", type=int, default=2000, help="single points per layer")
    parser.add_argument("--set-points", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database and its tessellation from a previous run")
    add_json_argument(parser)
    args = parser.parse_args()
    print(machine_description(), flush=True)
    admin_url, db_url = f"{args.host_url}/laksa", f"{args.host_url}/{args.db}"
    env = {**os.environ, "DATABASE_URL": db_url.replace("postgresql://", "postgis://"), "DEBUG": "0", "REDIS_URL": ""}
    reuse = args.reuse and psql(admin_url, f"SELECT 1 FROM pg_database WHERE datname = '{args.db}'") == "1" and psql(
        db_url, f"SELECT count(*) FROM boundaries_adminarea a JOIN boundaries_boundarygeneration g ON g.id = a.generation_id"
                f" WHERE g.description = '{TESSELLATION}' AND a.level = 'kelurahan'") == str(args.cells)
    if reuse:
        print(f"reusing {args.db} and its tessellation of {args.cells:,} desa", flush=True)
        psql(db_url, f"UPDATE boundaries_boundarygeneration SET active = (description <> '{TESSELLATION}')")
    else:
        psql(admin_url, f"DROP DATABASE IF EXISTS {args.db}")
        psql(admin_url, f"CREATE DATABASE {args.db} TEMPLATE template1")
        sh([PY, "manage.py", "migrate", "-v0"], env)
        sh([PY, "manage.py", "load_city_fixtures"], env)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    import django

    django.setup()
    from django.db import connection

    from boundaries.models import BoundaryGeneration
    from boundaries.selectors import route_point

    rng = np.random.default_rng(18)
    rows: list[dict] = []
    cur = connection.cursor()

    def sample_points(gen: int, n: int):
        # One point inside each of `n` random desa/kelurahan (repeated when the layer has fewer).
        cur.execute("SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_GeometryN(ST_GeneratePoints(geom, 1, id::int), 1) g"
                    " FROM boundaries_adminarea, generate_series(1, %s / 100 + 1) WHERE generation_id = %s"
                    " AND level = 'kelurahan' ORDER BY md5(id::text || generate_series::text) LIMIT %s) s", [n, gen, n])
        return cur.fetchall()

    city = BoundaryGeneration.current().pk
    city_result = measure("104 kelurahan", cur, route_point, city, sample_points(city, args.points),
                          min(args.set_points, 100_000), rows, goals=False)

    # ---- the national-size layer
    counts = banten_vertex_counts()
    if reuse:
        with connection.cursor() as c:
            c.execute("UPDATE boundaries_boundarygeneration SET active = true WHERE description = %s RETURNING id",
                      [TESSELLATION])
            gen = c.fetchone()[0]
        result = measure(f"{args.cells:,} desa", cur, route_point, gen, sample_points(gen, args.points),
                         args.set_points, rows, goals=args.cells >= NATIONAL_DESA)
        return finish(args, rows, {**result, "differ": result["differ"] + city_result["differ"]})
    t0 = time.monotonic()
    cells, made, cols, nrows, size = tessellation(args.cells, counts, rng)
    print(f"tessellation: {len(cells):,} cells ({cols}×{nrows}, {size * 111:.1f} km), vertices per cell "
          f"median {np.median(made):.0f} p90 {np.percentile(made, 90):.0f} max {made.max()} "
          f"(Banten desa: median {np.median(counts):.0f} p90 {np.percentile(counts, 90):.0f} max {counts.max()}); "
          f"{time.monotonic() - t0:.1f} s", flush=True)
    t0 = time.monotonic()
    with connection.cursor() as c:
        c.execute("INSERT INTO boundaries_boundarygeneration (created_at, description, active)"
                  " VALUES (now(), %s, false) RETURNING id", [TESSELLATION])
        gen = c.fetchone()[0]
        kota_of = {}
        buf = io.StringIO()
        for col, row, wkt in cells:
            kc, kr = col // 13, row // 13
            kota = f"{10 + kr:02d}.{kc + 1:02d}"
            kec = f"{kota}.{(row % 13) // 4:01d}{(col % 13) // 3:01d}"
            kota_of[kota] = (kc, kr)
            buf.write(f"{gen}\tkelurahan\t{kec}.{2000 + (row % 4) * 3 + (col % 3):04d}\tDesa {row}-{col}\tdesa\t{kec}\tSRID=4326;{wkt}\n")
        c.execute("CREATE TEMP TABLE bench_cells (generation_id bigint, level text, code text, name text, jenis text,"
                  " parent_code text, geom geometry(MultiPolygon, 4326))")
        buf.seek(0)
        c.copy_expert("COPY bench_cells FROM STDIN", buf)
        # kab/kota and kecamatan: the boxes of their blocks of cells.
        c.execute("INSERT INTO boundaries_adminarea (generation_id, level, code, name, jenis, geom)"
                  " SELECT %s, 'kota', k, 'Kabupaten ' || k, 'kabupaten', ST_Multi(ST_Envelope(ST_Collect(geom)))"
                  " FROM (SELECT left(code, 5) k, geom FROM bench_cells) s GROUP BY k", [gen])
        c.execute("INSERT INTO boundaries_adminarea (generation_id, level, code, name, jenis, geom, parent_id)"
                  " SELECT %s, 'kecamatan', k, 'Kecamatan ' || k, 'kecamatan', ST_Multi(ST_Envelope(ST_Collect(s.geom))), p.id"
                  " FROM (SELECT parent_code k, geom FROM bench_cells) s JOIN boundaries_adminarea p"
                  " ON p.generation_id = %s AND p.level = 'kota' AND p.code = left(s.k, 5) GROUP BY k, p.id", [gen, gen])
        c.execute("INSERT INTO boundaries_adminarea (generation_id, level, code, name, jenis, geom, parent_id)"
                  " SELECT b.generation_id, b.level, b.code, b.name, b.jenis, b.geom, p.id FROM bench_cells b"
                  " JOIN boundaries_adminarea p ON p.generation_id = b.generation_id AND p.level = 'kecamatan'"
                  " AND p.code = b.parent_code", [])
        c.execute("INSERT INTO boundaries_areapiece (area_id, generation_id, level, geom)"
                  " SELECT a.id, a.generation_id, a.level, (ST_Dump(ST_Subdivide(a.geom, 64))).geom"
                  " FROM boundaries_adminarea a WHERE a.generation_id = %s", [gen])
        c.execute("INSERT INTO boundaries_government (code, name, jenis, province_code, province_name, hosts, display_name,"
                  " color_primary, color_accent, time_zone, default_sla_hours, lapor_base_url, lapor_token, active)"
                  " SELECT code, name, 'kabupaten', left(code, 2), '', '{}', '', '#b3261e', '#f2b705', 'Asia/Jakarta', 72,"
                  " '', '', true FROM boundaries_adminarea WHERE generation_id = %s AND level = 'kota'", [gen])
        c.execute("INSERT INTO boundaries_agency (government_id, code, name, short_name, kind, area_code, email, phone,"
                  " address, active) SELECT id, 'command-center', 'Command Center', 'CC', 'command_center', '', '', '',"
                  " '', true FROM boundaries_government WHERE code <> '36.71'")
        c.execute("UPDATE boundaries_boundarygeneration SET active = true WHERE id = %s", [gen])
        c.execute("ANALYZE")
        c.execute("SELECT level, count(*) FROM boundaries_adminarea WHERE generation_id = %s GROUP BY level", [gen])
        levels = dict(c.fetchall())
        c.execute("SELECT count(*) FROM boundaries_areapiece WHERE generation_id = %s", [gen])
        pieces = c.fetchone()[0]
    connection.commit() if not connection.get_autocommit() else None
    print(f"loaded: {levels} areas, {pieces:,} pieces, {time.monotonic() - t0:.0f} s", flush=True)
    result = measure(f"{args.cells:,} desa", cur, route_point, gen, sample_points(gen, args.points), args.set_points,
                     rows, goals=args.cells >= NATIONAL_DESA)
    return finish(args, rows, {**result, "differ": result["differ"] + city_result["differ"]})


def finish(args, rows, result) -> int:
    print()
    print(format_table(rows))
    if result["differ"]:
        print(f"{result['differ']:,} points assigned differently by the two set statements", file=sys.stderr)
        return 1
    if result["assigned"] < 0.95 * args.set_points:
        print(f"only {result['assigned']:,} of {args.set_points:,} points assigned", file=sys.stderr)
        return 1
    if args.json:
        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reads for hotspot analytics: every aggregate is one SQL statement over the facts table.

Each `*_sql` function returns the exact (sql, params) the endpoint runs, so the benchmark can time
the same statement raw and through the API.
"""

from __future__ import annotations

import json
import math

from django.db import connection, transaction

from analytics.filters import GOVERNMENT_CONDITION, Filters
from analytics.sql import HALF_WORLD_M, Z18_CELL_M
from boundaries.models import AreaLevel, BoundaryGeneration
from common.copystream import copy_sql, copy_stream
from fieldops.models import OPEN_STATUSES, Category, Status

OPEN = [s.value for s in OPEN_STATUSES]
DONE = [Status.RESOLVED.value, Status.CLOSED.value]
BASE_PARAMS = {"open": OPEN, "done": DONE}

# Overdue: still open after its SLA deadline.
OVERDUE = "(f.status = ANY(%(open)s) AND f.due_at < now())"
# Stored at write time by the triggers (no per-row date arithmetic in the scans).
HOURS_TO_RESOLVE = "f.resolve_h"
HOURS_TO_RESPOND = "f.respond_h"


# Session settings for analytic scans, set LOCAL to the transaction so they never leak into other
# requests on a pooled connection: no JIT (compiling costs ~0.7 s, more than it saves), enough
# memory for hash aggregates, and hash rather than sort for GROUP BY on computed cell ids (the
# planner cannot estimate their number and would otherwise sort a million rows).
SESSION_SQL = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL enable_sort = off"
# Whole-table scans (areas, grids, series, KPIs) also use parallel workers even when the planner
# overestimates the number of groups; tiles and other index lookups do not pay for worker start-up.
SCAN_SQL = SESSION_SQL + "; SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0"


def run_sql(statements: list[tuple[str, dict]], *, scan: bool = True) -> list[list[tuple]]:
    """Run statements in one transaction with the analytic session settings; all their rows."""
    out = []
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(SCAN_SQL if scan else SESSION_SQL)
        for sql, params in statements:
            cur.execute(sql, params)
            out.append(cur.fetchall())
    return out


def _run(sql: str, params: dict, *, scan: bool = True) -> list[tuple]:
    return run_sql([(sql, params)], scan=scan)[0]


def _params(filters: Filters, **extra) -> dict:
    return {**BASE_PARAMS, **filters.params, **extra}


def category_slugs() -> dict[int, tuple[str, str, str, bool]]:
    return {c.id: (c.slug, c.name_id, c.name_en, c.is_private) for c in Category.objects.all()}


# ---------------------------------------------------------------- areas

# Medians come from an hour histogram (hash aggregation, no sort of a million rows): exact to the
# hour bucket, interpolated inside it. Beyond HOURS_CAP everything shares the last bucket.
HOURS_CAP = 24 * 90
# (least() skips NULLs, so an unresolved complaint needs its explicit NULL bucket.)
BUCKET_RESOLVE = f"(CASE WHEN f.resolve_h IS NULL THEN NULL ELSE least(floor(f.resolve_h), {HOURS_CAP}) END)::int"
BUCKET_RESPOND = f"(CASE WHEN f.respond_h IS NULL THEN NULL ELSE least(floor(f.respond_h), {HOURS_CAP}) END)::int"


def median_from_histogram(hist: dict[int, int]) -> float | None:
    """The median of values known by their integer-hour bucket, interpolated linearly in the bucket."""
    total = sum(hist.values())
    if not total:
        return None
    half = total / 2
    seen = 0
    for bucket in sorted(hist):
        n = hist[bucket]
        if seen + n >= half:
            return bucket + (half - seen) / n
        seen += n
    return float(max(hist))


# Overdue depends on now(), so it is counted on the facts, over the open ones only: the literal list
# matches the predicate of the partial index `analytics_fact_open_due` (migration 0006).
OPEN_LITERAL = "(" + ", ".join(f"'{s}'" for s in OPEN) + ")"
# The rollups (AreaRollup, AreaStatusRollup) have no creation time nor position: date and bbox
# filters read the facts. Without filters or with a status filter only, the smaller rollup by area
# and status (~50k rows at 1M complaints) answers; other filters need the full one (~200k rows).
# A government scope is a set of agencies (analytics.filters.government_agencies): the full rollup
# has agency_id, so it still answers.
ROLLUP_FILTERS = {"category", "status", "agency", "kecamatan", "agency_scope", "government_agencies"}
STATUS_ROLLUP_FILTERS = {"status"}


def uses_rollup(filters: Filters) -> bool:
    return set(filters.params) <= ROLLUP_FILTERS


NO_BUCKET = -2147483648  # AreaRollup.NO_BUCKET: an unresolved complaint


# The kab/kota level (the governor's choropleth): a government counts under the kab/kota area of
# its code (the first of the generations, as for the other levels).
GOVERNMENT_AREAS = """
  SELECT g.id, min(ar.id) AS cid FROM boundaries_government g
    JOIN boundaries_adminarea ar ON ar.code = g.code AND ar.level = 'kota' GROUP BY g.id"""
AREA_IDS = "SELECT id, min(id) OVER (PARTITION BY code) AS cid FROM boundaries_adminarea"


def _areas_from_histogram(hist: str, overdue: str, ids: str = AREA_IDS) -> str:
    """Per area (code, count, open, resolved, median hours to resolve, overdue) from `hist` rows
    (a, b, n, o, d, od) per area and resolve-hours bucket (NO_BUCKET: unresolved). The median is
    computed here as in `median_from_histogram` (the first bucket whose running total reaches half,
    interpolated linearly in it), so only one row per area goes back to Python."""
    return f"""
WITH ids AS (
  -- Areas of older boundary generations count under the first area with their (stable) code.
  {ids}
), h AS ({hist}
), t AS (
  SELECT a, sum(n)::int AS n, coalesce(sum(o), 0)::int AS o, coalesce(sum(d), 0)::int AS d,
         coalesce(sum(od), 0)::int AS od
    FROM h GROUP BY a
), c AS (
  SELECT a, b, n, sum(n) OVER (PARTITION BY a ORDER BY b) AS cum, sum(n) OVER (PARTITION BY a) AS tot
    FROM h WHERE b <> {NO_BUCKET} AND n > 0
), m AS (
  SELECT DISTINCT ON (a) a, b + (tot::float8 / 2 - (cum - n)) / n AS med
    FROM c WHERE cum >= tot::float8 / 2 ORDER BY a, b
), od AS ({overdue}
)
SELECT ar.code, coalesce(t.n, 0), coalesce(t.o, 0), coalesce(t.d, 0), m.med, coalesce(t.od, 0) + coalesce(od.n, 0)
  FROM t LEFT JOIN m ON m.a = t.a FULL JOIN od ON od.a = t.a
  JOIN boundaries_adminarea ar ON ar.id = coalesce(t.a, od.a)"""


def areas_sql(*, level: str, filters: Filters) -> tuple[str, dict]:
    """One statement giving per area code (count, open, resolved, median hours to resolve, overdue).

    Without date or bbox filters the counts per resolve-hours bucket come from a rollup (~50k rows at
    1M complaints without filters or with a status filter, ~200k with others) and overdue from the open
    facts through their partial index. Otherwise one hash-aggregated scan of the facts.

    The kab/kota level counts each government's complaints under its kab/kota area: the facts by
    their government_id, the full rollup through its agencies (an agency names its government)."""
    p = _params(filters)
    if level == AreaLevel.KOTA:
        ids, key = GOVERNMENT_AREAS, "f.government_id"
    else:
        col = "kelurahan_id" if level == AreaLevel.KELURAHAN else "kecamatan_id"
        ids, key = AREA_IDS, f"f.{col}"
        table = "analytics_areastatusrollup" if set(filters.params) <= STATUS_ROLLUP_FILTERS else "analytics_arearollup"
        rollup = f"{table} f JOIN ids ON ids.id = f.{col} AND f.{col} <> 0"
    if level == AreaLevel.KOTA and uses_rollup(filters):
        # Aggregated per agency (per government for overdue) before the join: joined first, the
        # planner (one government row estimated) looped over every agency, each loop reading the
        # whole rollup index (agency_id is not its leading column): 4.6 s at 1M over 8
        # governments instead of 0.5 s (docs/BENCHMARKS.md, issue 18 province analytics).
        hist = f"""
  SELECT ids.cid AS a, r.b, sum(r.n) AS n, sum(r.o) AS o, sum(r.d) AS d, 0 AS od
    FROM (SELECT f.agency_id, f.resolve_b AS b, sum(f.n) AS n,
                 sum(f.n) FILTER (WHERE f.status = ANY(%(open)s)) AS o,
                 sum(f.n) FILTER (WHERE f.status = ANY(%(done)s)) AS d
            FROM analytics_arearollup f
           WHERE f.n <> 0 AND {filters.sql()}
           GROUP BY 1, 2) r
    JOIN boundaries_agency ag ON ag.id = r.agency_id JOIN ids ON ids.id = ag.government_id
   GROUP BY 1, 2"""
        overdue = f"""
  SELECT ids.cid AS a, sum(r.n)::bigint AS n
    FROM (SELECT f.government_id, count(*) AS n
            FROM analytics_complaintfact f
           WHERE f.status IN {OPEN_LITERAL} AND f.due_at < now() AND f.government_id IS NOT NULL AND {filters.sql()}
           GROUP BY 1) r
    JOIN ids ON ids.id = r.government_id
   GROUP BY 1"""
    elif uses_rollup(filters):
        hist = f"""
  SELECT ids.cid AS a, f.resolve_b AS b, sum(f.n) AS n,
         sum(f.n) FILTER (WHERE f.status = ANY(%(open)s)) AS o,
         sum(f.n) FILTER (WHERE f.status = ANY(%(done)s)) AS d, 0 AS od
    FROM {rollup}
   WHERE f.n <> 0 AND {filters.sql()}
   GROUP BY 1, 2"""
        overdue = f"""
  SELECT ids.cid AS a, count(*) AS n
    FROM analytics_complaintfact f JOIN ids ON ids.id = {key}
   WHERE f.status IN {OPEN_LITERAL} AND f.due_at < now() AND {key} IS NOT NULL AND {filters.sql()}
   GROUP BY 1"""
    else:
        hist = f"""
  SELECT ids.cid AS a, coalesce({BUCKET_RESOLVE}, {NO_BUCKET}) AS b, count(*) AS n,
         count(*) FILTER (WHERE f.status = ANY(%(open)s)) AS o,
         count(*) FILTER (WHERE f.status = ANY(%(done)s)) AS d,
         count(*) FILTER (WHERE {OVERDUE}) AS od
    FROM analytics_complaintfact f JOIN ids ON ids.id = {key}
   WHERE {key} IS NOT NULL AND {filters.sql()}
   GROUP BY 1, 2"""
        overdue = "SELECT NULL::bigint AS a, 0 AS n WHERE FALSE"
    return _areas_from_histogram(hist, overdue, ids), p


def area_stats(*, level: str, filters: Filters) -> dict[str, tuple]:
    """code -> (count, open, resolved, median hours to resolve, overdue); areas of older boundary
    generations count under their (stable) code."""
    rows = _run(*areas_sql(level=level, filters=filters), scan=not uses_rollup(filters))
    return {code: (n, open_, done, median, overdue) for code, n, open_, done, median, overdue in rows}


_AREA_GEOMS: dict[tuple, list] = {}


def area_shapes(level: str) -> list[tuple[str, str, int | None, str]]:
    """(code, name, population, GeoJSON geometry text) of the current generation, cached per process."""
    gen = BoundaryGeneration.current()
    key = (getattr(gen, "pk", None), getattr(gen, "created_at", None), level)
    if key not in _AREA_GEOMS:
        _AREA_GEOMS.clear()
        _AREA_GEOMS[key] = _run(
            "SELECT code, name, population, ST_AsGeoJSON(geom, 5) FROM boundaries_adminarea"
            " WHERE generation_id = %(g)s AND level = %(level)s ORDER BY code",
            {"g": key[0], "level": level},
        )
    return _AREA_GEOMS[key]


def in_governments(code: str, government_codes: frozenset[str] | None) -> bool:
    """Whether an area code lies in one of these governments (Kemendagri codes: a kab/kota's code
    prefixes its kecamatan and desa/kelurahan codes); None: every government."""
    return government_codes is None or any(code == g or code.startswith(g + ".") for g in government_codes)


def areas_geojson(*, level: str, filters: Filters, government_codes: frozenset[str] | None = None) -> str:
    """GeoJSON text: each area of the level (within these governments) with its counts, rates and
    per-1,000 figure."""
    stats = area_stats(level=level, filters=filters)
    parts = []
    for code, name, population, geometry in area_shapes(level):
        if not in_governments(code, government_codes):
            continue
        n, open_, done, median, overdue = stats.get(code, (0, 0, 0, None, 0))
        props = {
            "code": code,
            "name": name,
            "level": level,
            "count": n,
            "open": open_,
            "resolved": done,
            "resolution_rate": round(done / n, 4) if n else None,
            "median_hours_to_resolve": round(median, 1) if median is not None else None,
            "overdue": overdue,
            "population": population,
            "per_1000": round(n * 1000 / population, 3) if population else None,
        }
        parts.append('{"type":"Feature","geometry":' + geometry + ',"properties":' + json.dumps(props) + "}")
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def area_counts(*, level: str, filters: Filters) -> list[dict]:
    """Counts and resolution rate per area, without geometry (the public statistics page)."""
    stats = area_stats(level=level, filters=filters)
    out = []
    for code, name, _population, _geometry in area_shapes(level):
        n, _open, done, _median, _overdue = stats.get(code, (0, 0, 0, None, 0))
        out.append({"code": code, "name": name, "count": n, "resolved": done,
                    "resolution_rate": round(done / n, 4) if n else None})
    return out


# ---------------------------------------------------------------- grid

STORED_HEX_M = 500.0


def grid_sql(*, shape: str, size_m: float, srid: int, filters: Filters) -> tuple[str, dict]:
    """Bin the stored metric x/y arithmetically into the cells of ST_HexagonGrid / ST_SquareGrid.

    ST_Hexagon(size, i, j) (origin 0,0) is flat-topped and centred at (1.5*size*i, h*j + (i odd ? h/2 : 0))
    with h = sqrt(3)*size, so the hexagon of a point is the nearer of the nearest centre in the even-column
    lattice and in the odd-column lattice. Only the non-empty cells are built as polygons.
    """
    p = _params(filters, s=float(size_m), srid=srid)
    if shape == "hex" and float(size_m) == STORED_HEX_M:
        # The default size: the cell is stored with each fact (migration 0005).
        sql = f"""
WITH g AS (
  SELECT f.hex500_i AS i, f.hex500_j AS j, count(*) AS n
    FROM analytics_complaintfact f WHERE f.hex500_i IS NOT NULL AND {filters.sql()} GROUP BY 1, 2
)
SELECT i, j, n, ST_AsGeoJSON(ST_Transform(ST_Hexagon(%(s)s::float8, i, j, ST_SetSRID(ST_MakePoint(0, 0), %(srid)s)), 4326), 6)
  FROM g"""
    elif shape == "hex":
        p.update(w=3.0 * size_m, h=math.sqrt(3.0) * size_m, hs=1.5 * size_m, hh=math.sqrt(3.0) * size_m / 2)
        sql = f"""
WITH c AS (
  SELECT CASE WHEN d1 <= d2 THEN 2 * a1 ELSE 2 * a2 + 1 END AS i, CASE WHEN d1 <= d2 THEN b1 ELSE b2 END AS j
    FROM (SELECT a1, b1, a2, b2,
                 (x - %(w)s::float8 * a1) ^ 2 + (y - %(h)s::float8 * b1) ^ 2 AS d1,
                 (x - %(hs)s::float8 - %(w)s::float8 * a2) ^ 2 + (y - %(hh)s::float8 - %(h)s::float8 * b2) ^ 2 AS d2
            FROM (SELECT f.x, f.y, round(f.x / %(w)s::float8)::int AS a1, round(f.y / %(h)s::float8)::int AS b1,
                         round((f.x - %(hs)s::float8) / %(w)s::float8)::int AS a2, round((f.y - %(hh)s::float8) / %(h)s::float8)::int AS b2
                    FROM analytics_complaintfact f
                   WHERE f.x IS NOT NULL AND {filters.sql()}) q) q
), g AS (SELECT i, j, count(*) AS n FROM c GROUP BY i, j)
SELECT i, j, n, ST_AsGeoJSON(ST_Transform(ST_Hexagon(%(s)s::float8, i, j, ST_SetSRID(ST_MakePoint(0, 0), %(srid)s)), 4326), 6)
  FROM g"""
    else:
        sql = f"""
WITH g AS (
  SELECT floor(f.x / %(s)s::float8)::int AS i, floor(f.y / %(s)s::float8)::int AS j, count(*) AS n
    FROM analytics_complaintfact f WHERE f.x IS NOT NULL AND {filters.sql()} GROUP BY 1, 2
)
SELECT i, j, n, ST_AsGeoJSON(ST_Transform(ST_Square(%(s)s::float8, i, j, ST_SetSRID(ST_MakePoint(0, 0), %(srid)s)), 4326), 6)
  FROM g"""
    return sql, p


def grid_geojson(*, shape: str, size_m: float, srid: int, filters: Filters) -> str:
    # Sorted here, not in SQL: an ORDER BY makes the planner sort a million rows to group them.
    rows = sorted(_run(*grid_sql(shape=shape, size_m=size_m, srid=srid, filters=filters)))
    feats = [
        '{"type":"Feature","geometry":' + geom + ',"properties":{"i":%d,"j":%d,"count":%d}}' % (i, j, n)
        for i, j, n, geom in rows
    ]
    return (
        '{"type":"FeatureCollection","properties":' + json.dumps({"shape": shape, "size_m": size_m, "srid": srid})
        + ',"features":[' + ",".join(feats) + "]}"
    )


# ---------------------------------------------------------------- clusters

def clusters_count_sql(*, filters: Filters, limit: int) -> tuple[str, dict]:
    return (
        f"SELECT count(*) FROM (SELECT 1 FROM analytics_complaintfact f WHERE f.x IS NOT NULL AND {filters.sql()}"
        f" LIMIT %(lim)s) s",
        _params(filters, lim=limit + 1),
    )


def clusters_sql(*, eps_m: float, min_points: int, srid: int, filters: Filters) -> tuple[str, dict]:
    sql = f"""
WITH p AS (
  SELECT f.category_id, ST_SetSRID(ST_MakePoint(f.x, f.y), %(srid)s) AS g
    FROM analytics_complaintfact f WHERE f.x IS NOT NULL AND {filters.sql()}
), c AS (
  SELECT category_id, g, ST_ClusterDBSCAN(g, eps => %(eps)s::float8, minpoints => %(minpts)s) OVER () AS cid FROM p
)
SELECT cid, count(*) AS n, mode() WITHIN GROUP (ORDER BY category_id),
       -- Points on one line (or one spot) have a degenerate hull: widen it by 10 m to stay an area.
       ST_AsGeoJSON(ST_Transform(CASE WHEN GeometryType(ST_ConvexHull(ST_Collect(g))) = 'POLYGON'
                                      THEN ST_ConvexHull(ST_Collect(g))
                                      ELSE ST_Buffer(ST_ConvexHull(ST_Collect(g)), 10, 4) END, 4326), 6),
       ST_AsGeoJSON(ST_Transform(ST_Centroid(ST_Collect(g)), 4326), 6)
  FROM c WHERE cid IS NOT NULL GROUP BY cid ORDER BY n DESC, cid LIMIT %(maxc)s"""
    return sql, _params(filters, srid=srid, eps=float(eps_m), minpts=int(min_points), maxc=2000)


def clusters_geojson(*, eps_m: float, min_points: int, srid: int, filters: Filters) -> str:
    cats = category_slugs()
    feats = []
    for cid, n, cat, hull, centroid in _run(*clusters_sql(eps_m=eps_m, min_points=min_points, srid=srid, filters=filters)):
        props = {"cluster": cid, "count": n, "dominant_category": cats.get(cat, ("",))[0],
                 "centroid": json.loads(centroid)}
        feats.append('{"type":"Feature","geometry":' + hull + ',"properties":' + json.dumps(props) + "}")
    return '{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}"


# ---------------------------------------------------------------- vector tiles

# From this zoom on, tiles carry single complaints; below it, counts per cell.
POINT_ZOOM = 15


def tile_sql(*, z: int, x: int, y: int, filters: Filters) -> tuple[str, dict]:
    p = _params(filters, z=z, x=x, y=y)
    if z >= POINT_ZOOM:
        sql = f"""
WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env),
m AS (
  SELECT ST_AsMVTGeom(f.geom, b.env, 4096, 64, true) AS geom,
         c.slug AS category, f.status
    FROM analytics_complaintfact f JOIN fieldops_category c ON c.id = f.category_id, b
   WHERE f.geom && b.env AND {filters.sql()}
)
SELECT ST_AsMVT(m, 'complaints', 4096, 'geom') FROM m WHERE geom IS NOT NULL"""
        return sql, p
    # Below POINT_ZOOM: counts per cell of 2^k z18 tiles (32 x 32 cells at z12, 16 x 16 at z14).
    # The cells are MATERIALIZED: otherwise PostgreSQL pushes the final `geom IS NOT NULL` into
    # the scan and runs ST_AsMVTGeom once per row instead of once per cell (z12: 9.7 -> 5.5 ms).
    shift = max(0, 18 - z - 5)
    p.update(shift=shift, cell=Z18_CELL_M * (1 << shift), half=HALF_WORLD_M)
    only_governments = filters.governments is not None and filters.where == [GOVERNMENT_CONDITION]
    if not filters.where or only_governments:
        # No filter, or a government scope only: read the pre-aggregated z18 counts per government
        # kept by the triggers (migration 0009). Scoped, a low-zoom tile otherwise scans every fact
        # of the tile (z9 over Kabupaten Serang at 1M: 248k facts, 105 ms p95).
        span = 1 << (18 - z)
        p.update(tx0=x * span, tx1=(x + 1) * span, ty0=y * span, ty1=(y + 1) * span)
        if only_governments:
            p["cell_governments"] = filters.governments
        government = "t.government_id = ANY(%(cell_governments)s) AND " if only_governments else ""
        sql = """
WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env),
g AS MATERIALIZED (
  SELECT t.tx >> %(shift)s AS cx, t.ty >> %(shift)s AS cy, sum(t.n)::int AS count
    FROM analytics_tilecell t
   WHERE """ + government + """t.tx >= %(tx0)s AND t.tx < %(tx1)s AND t.ty >= %(ty0)s AND t.ty < %(ty1)s AND t.n > 0
   GROUP BY 1, 2
), m AS (
  SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint((g.cx + 0.5) * %(cell)s::float8 - %(half)s::float8, %(half)s::float8 - (g.cy + 0.5) * %(cell)s::float8), 3857),
                      b.env, 4096, 64, true) AS geom, g.count
    FROM g, b
)
SELECT ST_AsMVT(m, 'complaints', 4096, 'geom') FROM m WHERE geom IS NOT NULL"""
        return sql, p
    sql = f"""
WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env),
g AS MATERIALIZED (
  SELECT floor((ST_X(f.geom) + %(half)s::float8) / %(cell)s::float8)::int AS cx, floor((%(half)s::float8 - ST_Y(f.geom)) / %(cell)s::float8)::int AS cy,
         count(*)::int AS count
    FROM analytics_complaintfact f, b WHERE f.geom && b.env AND {filters.sql()}
   GROUP BY 1, 2
), m AS (
  SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint((g.cx + 0.5) * %(cell)s::float8 - %(half)s::float8, %(half)s::float8 - (g.cy + 0.5) * %(cell)s::float8), 3857),
                      b.env, 4096, 64, true) AS geom, g.count
    FROM g, b
)
SELECT ST_AsMVT(m, 'complaints', 4096, 'geom') FROM m WHERE geom IS NOT NULL"""
    return sql, p


def tile_bytes(*, z: int, x: int, y: int, filters: Filters) -> bytes:
    rows = _run(*tile_sql(z=z, x=x, y=y, filters=filters), scan=False)
    return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""


# ---------------------------------------------------------------- time series

INTERVALS = ("day", "week", "month")


def timeseries_sql(*, interval: str, tz: str, filters: Filters) -> tuple[str, dict]:
    # Count per stored local day first (a plain column), then roll the few hundred days up.
    sql = f"""
SELECT date_trunc(%(interval)s, d.day)::date AS period, d.category_id, sum(d.n)::int
  FROM (SELECT f.created_day AS day, f.category_id, count(*) AS n
          FROM analytics_complaintfact f WHERE {filters.sql()} GROUP BY 1, 2) d
 GROUP BY 1, 2 ORDER BY 1, 2"""
    return sql, _params(filters, interval=interval, tz=tz)


def timeseries(*, interval: str, tz: str, filters: Filters) -> dict:
    cats = category_slugs()
    periods: dict[str, dict] = {}
    for period, cat, n in _run(*timeseries_sql(interval=interval, tz=tz, filters=filters)):
        row = periods.setdefault(period.isoformat(), {"period": period.isoformat(), "total": 0, "by_category": {}})
        row["total"] += n
        row["by_category"][cats.get(cat, (str(cat),))[0]] = n
    return {"interval": interval, "periods": list(periods.values())}


# ---------------------------------------------------------------- summary

def summary_sql(*, filters: Filters) -> list[tuple[str, dict]]:
    """Two statements: counts by status, agency and category in one scan; then the two hour histograms."""
    w = filters.sql()
    grouped = f"""
SELECT GROUPING(f.status, f.agency_id, f.category_id), f.status, f.agency_id, f.category_id, count(*),
       count(*) FILTER (WHERE f.status = ANY(%(done)s)),
       count(*) FILTER (WHERE f.resolved_at IS NOT NULL AND f.due_at IS NOT NULL AND f.resolved_at <= f.due_at),
       count(*) FILTER (WHERE f.resolved_at IS NOT NULL AND f.due_at IS NOT NULL),
       count(*) FILTER (WHERE {OVERDUE})
  FROM analytics_complaintfact f WHERE {w}
 GROUP BY GROUPING SETS ((f.status), (f.agency_id), (f.category_id))"""
    medians = f"""
SELECT GROUPING({BUCKET_RESPOND}, {BUCKET_RESOLVE}), {BUCKET_RESPOND}, {BUCKET_RESOLVE}, count(*)
  FROM analytics_complaintfact f WHERE {w} AND (f.first_response_at IS NOT NULL OR f.resolved_at IS NOT NULL)
 GROUP BY GROUPING SETS (({BUCKET_RESPOND}), ({BUCKET_RESOLVE}))"""
    p = _params(filters)
    return [(grouped, p), (medians, p)]


def sla_compliance(on_time: int, resolved_with_due: int, overdue: int) -> float | None:
    """The share of complaints whose deadline has come that were resolved before it: resolved on
    time / (resolved with a due time + still open past due). An open complaint not yet due
    counts neither way; one resolved late or left overdue counts against."""
    due = resolved_with_due + overdue
    return round(on_time / due, 4) if due else None


def summary(*, filters: Filters) -> dict:
    from boundaries.models import Agency

    (grouped, p), (medians, _p) = summary_sql(filters=filters)
    rows, hist_rows = run_sql([(grouped, p), (medians, p)])
    respond: dict[int, int] = {}
    resolve: dict[int, int] = {}
    # GROUPING() over (respond bucket, resolve bucket): 1 = by respond bucket, 2 = by resolve bucket.
    for g, rb, sb, n in hist_rows:
        if g == 1 and rb is not None:
            respond[rb] = n
        elif g == 2 and sb is not None:
            resolve[sb] = n
    med = (median_from_histogram(respond), median_from_histogram(resolve))
    cats = category_slugs()
    agencies = {a.id: a for a in Agency.objects.select_related("government")}
    by_status = {s: 0 for s in Status.values}
    per_agency, per_category = [], []
    total = done = overdue = sla_on_time = sla_due = 0
    # GROUPING() bitmask over (status, agency, category): 3 = by status, 5 = by agency, 6 = by category.
    for g, status, agency_id, cat, n, resolved, on_time, with_due, od in rows:
        if g == 3:
            by_status[status] = n
            total += n
            done += resolved
            overdue += od
        elif g == 5:
            ag = agencies.get(agency_id)
            per_agency.append({
                "agency": ag.code if ag else None, "name": ag.short_name if ag else None,
                "government": ag.government.code if ag else None, "count": n,
                "resolved": resolved, "resolution_rate": round(resolved / n, 4) if n else None,
                "sla_compliance": sla_compliance(on_time, with_due, od), "overdue": od,
            })
            sla_on_time += on_time
            sla_due += with_due + od
        elif g == 6:
            per_category.append({"category": cats.get(cat, ("",))[0], "count": n})
    per_agency.sort(key=lambda r: (-r["count"], r["government"] or "", r["agency"] or ""))
    per_category.sort(key=lambda r: (-r["count"], r["category"]))
    return {
        "total": total,
        "by_status": by_status,
        "open": sum(by_status[s] for s in OPEN),
        "resolved": done,
        "resolution_rate": round(done / total, 4) if total else None,
        "overdue": overdue,
        "sla_compliance": round(sla_on_time / sla_due, 4) if sla_due else None,
        "median_hours_to_first_response": round(med[0], 1) if med[0] is not None else None,
        "median_hours_to_resolve": round(med[1], 1) if med[1] is not None else None,
        "sla_by_agency": per_agency,
        "top_categories": per_category[:10],
    }


# ---------------------------------------------------------------- export

EXPORT_COLUMNS = ["tracking_code", "category", "status", "kecamatan_code", "kecamatan", "kelurahan_code", "kelurahan",
                  "agency", "government", "created_at", "due_at", "first_response_at", "resolved_at", "lon", "lat"]


def export_sql(*, filters: Filters) -> tuple[str, dict]:
    """Rows without personal data; private categories carry no coordinates."""
    sql = f"""
SELECT c.tracking_code, cat.slug AS category, f.status, kec.code AS kecamatan_code, kec.name AS kecamatan,
       kel.code AS kelurahan_code, kel.name AS kelurahan, ag.code AS agency, gov.code AS government,
       f.created_at, f.due_at, f.first_response_at, f.resolved_at,
       CASE WHEN cat.is_private THEN NULL ELSE round(ST_X(c.location)::numeric, 6) END AS lon,
       CASE WHEN cat.is_private THEN NULL ELSE round(ST_Y(c.location)::numeric, 6) END AS lat
  FROM analytics_complaintfact f
  JOIN fieldops_complaint c ON c.id = f.complaint_id
  JOIN fieldops_category cat ON cat.id = f.category_id
  JOIN boundaries_agency ag ON ag.id = f.agency_id
  JOIN boundaries_government gov ON gov.id = ag.government_id
  LEFT JOIN boundaries_adminarea kec ON kec.id = f.kecamatan_id
  LEFT JOIN boundaries_adminarea kel ON kel.id = f.kelurahan_id
 WHERE {filters.sql()}"""
    return sql, _params(filters)


# The CSV export is written by PostgreSQL (COPY ... TO STDOUT, FORMAT csv, HEADER from the
# column names above): common.copystream streams it without a Python step per row.
EXPORT_SETUP_SQL = "SET LOCAL jit = off"


def export_csv_copy_sql(*, filters: Filters) -> str:
    return copy_sql(*export_sql(filters=filters))


def export_csv_chunks(*, filters: Filters):
    """The filtered export as CSV bytes (header first), streamed from PostgreSQL's COPY."""
    return copy_stream(export_csv_copy_sql(filters=filters), setup_sql=EXPORT_SETUP_SQL)


def export_rows(*, filters: Filters, chunk: int = 5000):
    """Stream export rows through a server-side cursor."""
    sql, params = export_sql(filters=filters)
    with transaction.atomic():
        with connection.cursor() as cur:
            # A server-side cursor is planned for its first rows (cursor_tuple_fraction 0.1), which
            # picks an ordered walk over every complaint; plan for all rows instead.
            cur.execute("SET LOCAL jit = off; SET LOCAL cursor_tuple_fraction = 1")
        with connection.chunked_cursor() as cur:
            cur.execute(sql, params)
            while True:
                rows = cur.fetchmany(chunk)
                if not rows:
                    break
                yield from rows

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
# The rollups (AreaRollup, AreaStatusRollup, AreaDayRollup) have no creation time nor position:
# date and bbox filters read the facts. Without filters, with a status filter or a government scope,
# the smaller rollups by government, area and status answer (~220k hour rows, ~36k day rows at 1M
# complaints over Banten's 1,552 desa); other filters need the full one (~440k rows). A government
# scope is a set of agencies (analytics.filters.government_agencies), which the full rollup can
# also filter by.
ROLLUP_FILTERS = {"category", "status", "agency", "kecamatan", "agency_scope", "government_agencies"}
STATUS_ROLLUP_FILTERS = {"status", "government_agencies"}


def uses_rollup(filters: Filters) -> bool:
    return set(filters.params) <= ROLLUP_FILTERS


NO_BUCKET = -2147483648  # AreaRollup.NO_BUCKET: an unresolved complaint


def day_of(b: str) -> str:
    """The day of an hour bucket, rounded down (as AreaDayRollup.resolve_d, migration 0010)."""
    return f"CASE WHEN {b} = {NO_BUCKET} THEN {NO_BUCKET} ELSE floor({b} / 24.0)::int END"


# The kab/kota level (the governor's choropleth): a government counts under the kab/kota area of
# its code (the first of the generations, as for the other levels).
GOVERNMENT_AREAS = """
  SELECT g.id, min(ar.id) AS cid FROM boundaries_government g
    JOIN boundaries_adminarea ar ON ar.code = g.code AND ar.level = 'kota' GROUP BY g.id"""
AREA_IDS = "SELECT id, min(id) OVER (PARTITION BY code) AS cid FROM boundaries_adminarea"


def _areas_sql(*, counts: str, overdue: str, ids: str = AREA_IDS, rows: str | None = None,
               days: str | None = None) -> str:
    """Per area (code, count, open, resolved, median hours to resolve, overdue).

    `counts` gives rows (id, b, n, o, d, od) per area id (mapped to its code's first area by `ids`)
    and resolve-hours bucket b (NO_BUCKET: unresolved), summed or not (several rows may share a
    bucket). The median is computed here as in `median_from_histogram` (the first bucket whose
    running total reaches half, interpolated linearly in it), so only one row per area goes back to
    Python. It is found in two steps: running totals per area and day find the day that holds the
    median, then the hour buckets of that day alone are summed again from `rows` (the same rows as
    `counts`, given to read a table again instead of keeping `counts` in memory; default: `counts`).
    `days` gives the same rows summed per day (id, day, n, o, d, od) when a rollup keeps them
    (AreaDayRollup); `counts` is then not read.
    The answer is the one a running total over every hour bucket gives, but the windows run over
    ~15 days and then ~20 hours per area instead of ~100 hours: at 1,552 desa and 1M complaints
    the hour window had 151k rows and took most of the province-wide kelurahan level's 0.7 s
    (docs/BENCHMARKS.md, issue 18, province analytics). Rows are summed per raw area id before
    they meet `ids`, so the large side is never hashed for that join."""
    rows = f"({rows})" if rows else "h"
    days = days or f"""SELECT id, {day_of('b')} AS day, sum(n) AS n, sum(o) AS o, sum(d) AS d, sum(od) AS od
            FROM h GROUP BY 1, 2"""
    return f"""
WITH ids AS (
  -- Areas of older boundary generations count under the first area with their (stable) code.
  {ids}
), h AS ({counts}
), dd AS (
  SELECT ids.cid AS a, x.day, sum(x.n)::bigint AS n, sum(x.o)::bigint AS o, sum(x.d)::bigint AS d,
         sum(x.od)::bigint AS od
    FROM ({days}) x
    JOIN ids ON ids.id = x.id
   GROUP BY 1, 2
), t AS (
  SELECT a, sum(n)::int AS n, coalesce(sum(o), 0)::int AS o, coalesce(sum(d), 0)::int AS d,
         coalesce(sum(od), 0)::int AS od
    FROM dd GROUP BY a
), cd AS (
  -- (bigint sums throughout: numeric running totals cost twice as much)
  SELECT a, day, n, (sum(n) OVER (PARTITION BY a ORDER BY day))::bigint AS cum,
         (sum(n) OVER (PARTITION BY a))::bigint AS tot
    FROM dd WHERE day <> {NO_BUCKET} AND n > 0
), md AS (
  SELECT DISTINCT ON (a) a, day * 24 AS lo, day * 24 + 23 AS hi, cum - n AS before, tot
    FROM cd WHERE cum >= tot::float8 / 2 ORDER BY a, day
), w AS MATERIALIZED (
  -- Every area id of the median's areas, with that day's hour buckets.
  SELECT ids.id, md.a, md.lo, md.hi FROM ids JOIN md ON md.a = ids.cid
), c AS (
  SELECT hb.a, hb.b, hb.n, md.before + (sum(hb.n) OVER (PARTITION BY hb.a ORDER BY hb.b))::bigint AS cum, md.tot
    FROM (SELECT w.a, r.b, sum(r.n)::bigint AS n
            FROM {rows} r JOIN w ON w.id = r.id AND r.b BETWEEN w.lo AND w.hi
           GROUP BY 1, 2) hb
    JOIN md ON md.a = hb.a
   WHERE hb.n > 0
), m AS (
  SELECT DISTINCT ON (a) a, b + (tot::float8 / 2 - (cum - n)) / n AS med
    FROM c WHERE cum >= tot::float8 / 2 ORDER BY a, b
), od AS ({overdue}
)
SELECT ar.code, coalesce(t.n, 0), coalesce(t.o, 0), coalesce(t.d, 0), m.med, coalesce(t.od, 0) + coalesce(od.n, 0)
  FROM t LEFT JOIN m ON m.a = t.a FULL JOIN od ON od.a = t.a
  JOIN boundaries_adminarea ar ON ar.id = coalesce(t.a, od.a)"""


def _status_rollup_where(filters: Filters) -> tuple[str, dict] | None:
    """The filters as conditions on the rollups by government, area and status, or None when
    they name something those rollups do not keep (a government scope becomes their
    government_id, the condition the full rollup and the facts put on its agencies)."""
    if not set(filters.params) <= STATUS_ROLLUP_FILTERS:
        return None
    where = ["f.government_id = ANY(%(rollup_governments)s)" if w == GOVERNMENT_CONDITION else w
             for w in filters.where]
    params = {"rollup_governments": filters.governments} if filters.governments is not None else {}
    return " AND ".join(where) or "TRUE", params


def areas_sql(*, level: str, filters: Filters) -> tuple[str, dict]:
    """One statement giving per area code (count, open, resolved, median hours to resolve, overdue).

    Without date or bbox filters the counts per resolve-hours bucket come from the rollups, overdue
    from the open facts through their partial index; otherwise one hash-aggregated scan of the
    facts. The kab/kota level counts each government's complaints under its kab/kota area: by
    their government_id (facts and small rollups) or their agencies' government (full rollup)."""
    p = _params(filters)
    if level == AreaLevel.KOTA:
        ids, col = GOVERNMENT_AREAS, "government_id"
    else:
        ids, col = AREA_IDS, ("kelurahan_id" if level == AreaLevel.KELURAHAN else "kecamatan_id")
    key = f"f.{col}"
    overdue = f"""
  SELECT ids.cid AS a, sum(r.n)::bigint AS n
    FROM (SELECT {key} AS id, count(*) AS n
            FROM analytics_complaintfact f
           WHERE f.status IN {OPEN_LITERAL} AND f.due_at < now() AND {key} IS NOT NULL AND {filters.sql()}
           GROUP BY 1) r
    JOIN ids ON ids.id = r.id
   GROUP BY 1"""
    small = _status_rollup_where(filters)
    if small:
        # The day rollup finds each area's median day; that day's hour buckets are read through
        # the hour rollup's (area, bucket) index.
        where, extra = small
        p.update(extra)
        days = f"""
  SELECT f.{col} AS id, f.resolve_d AS day, sum(f.n) AS n,
         sum(f.n) FILTER (WHERE f.status = ANY(%(open)s)) AS o,
         sum(f.n) FILTER (WHERE f.status = ANY(%(done)s)) AS d, 0 AS od
    FROM analytics_areadayrollup f
   WHERE f.n <> 0 AND f.{col} <> 0 AND {where}
   GROUP BY 1, 2"""
        rows = f"""
  SELECT f.{col} AS id, f.resolve_b AS b, f.n FROM analytics_areastatusrollup f
   WHERE f.n <> 0 AND f.{col} <> 0 AND {where}"""
        return _areas_sql(counts=rows, overdue=overdue, ids=ids, rows=rows, days=days), p
    if uses_rollup(filters):
        # The full rollup's rows, summed per (area, bucket) once and kept for both steps.
        area = "ag.government_id" if level == AreaLevel.KOTA else key
        join = "JOIN boundaries_agency ag ON ag.id = f.agency_id" if level == AreaLevel.KOTA else ""
        counts = f"""
  SELECT {area} AS id, f.resolve_b AS b, sum(f.n) AS n,
         sum(f.n) FILTER (WHERE f.status = ANY(%(open)s)) AS o,
         sum(f.n) FILTER (WHERE f.status = ANY(%(done)s)) AS d, 0 AS od
    FROM analytics_arearollup f {join}
   WHERE f.n <> 0 AND {area} <> 0 AND {filters.sql()}
   GROUP BY 1, 2"""
        return _areas_sql(counts=counts, overdue=overdue, ids=ids), p
    counts = f"""
  SELECT {key} AS id, coalesce({BUCKET_RESOLVE}, {NO_BUCKET}) AS b, count(*) AS n,
         count(*) FILTER (WHERE f.status = ANY(%(open)s)) AS o,
         count(*) FILTER (WHERE f.status = ANY(%(done)s)) AS d,
         count(*) FILTER (WHERE {OVERDUE}) AS od
    FROM analytics_complaintfact f
   WHERE {key} IS NOT NULL AND {filters.sql()}
   GROUP BY 1, 2"""
    return _areas_sql(counts=counts, overdue="SELECT NULL::bigint AS a, 0 AS n WHERE FALSE", ids=ids), p


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
    only_governments = filters.only_governments
    if shape == "hex" and float(size_m) == STORED_HEX_M and (not filters.where or only_governments):
        # The default grid, unfiltered or for some governments: the cells counted by the triggers
        # (migration 0011), at most one row per government and cell.
        if only_governments:
            p["cell_governments"] = filters.governments
        government = "WHERE c.government_id = ANY(%(cell_governments)s)" if only_governments else ""
        sql = f"""
WITH g AS (
  SELECT c.i, c.j, sum(c.n) AS n FROM analytics_hexcell c {government} GROUP BY 1, 2 HAVING sum(c.n) > 0
)
SELECT i, j, n, ST_AsGeoJSON(ST_Transform(ST_Hexagon(%(s)s::float8, i, j, ST_SetSRID(ST_MakePoint(0, 0), %(srid)s)), 4326), 6)
  FROM g"""
    elif shape == "hex" and float(size_m) == STORED_HEX_M:
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
    only_governments = filters.only_governments
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
                "government": ag.government.code if ag else None,
                "government_name": ag.government.name if ag else None, "count": n,
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

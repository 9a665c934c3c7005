"""Reads over boundaries: where is this point, and who handles a complaint there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.gis.db.models.functions import Envelope, PointOnSurface
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import OuterRef, Q, Subquery

from boundaries.models import AdminArea, AreaLevel, BoundaryGeneration, Place
from boundaries.geo import utm_srid_for


@dataclass(frozen=True)
class AreaRef:
    id: int
    code: str
    name: str
    # kabupaten/kota, desa/kelurahan (AdminArea.jenis); empty where unknown.
    jenis: str = ""


@dataclass
class Route:
    """Where a point lies and which agency a complaint there goes to."""

    generation_id: int | None
    in_service_area: bool
    kota: AreaRef | None = None
    # The government (pemda) of this deployment whose kab/kota covers the point; None when the
    # point is in no kab/kota of the current boundaries, or in one that is not set up here.
    government: AreaRef | None = None
    kecamatan: AreaRef | None = None
    kelurahan: AreaRef | None = None
    # The province of the current boundaries covering the point (setup_province loads one).
    province: AreaRef | None = None
    # The rule's agency (None: no rule matched).
    agency_id: int | None = None
    # The row (AGENCY_ROW_FIELDS) of the agency that gets the complaint: the rule's, else the
    # government's default for the category (`government_defaults`), else its command center.
    # The caller needs no second query for the agency.
    agency_row: tuple | None = None
    # For points outside the city: the nearest kecamatan and the distance to it.
    nearest_kecamatan: AreaRef | None = None
    distance_m: float | None = None
    # Not served here: who is (the kab/kota and province of the national layer, or of the current
    # boundaries when they have one that is not set up as a government).
    responsible: AreaRef | None = None
    responsible_province: AreaRef | None = None
    # The national layer is loaded and no province of Indonesia covers the point.
    outside_indonesia: bool = False
    notes: list[str] = field(default_factory=list)
    # The value of the caller's `also` expression (see route_point).
    also: object = None


# One round trip, the intake's routing inside its transaction:
# - `hit`: the covering pieces of the current generation, at most one area per level (ties on a
#   shared border broken by the lowest code), each with its parent and grandparent;
# - `near`: only when no desa/kelurahan covers the point but a kab/kota or the province does (a
#   sliver between source polygons, a few metres wide): the nearest desa/kelurahan within
#   SLIVER_TOLERANCE_M (lowest code on a tie);
# - `chain`: desa/kelurahan → its kecamatan → its kab/kota, so the three always nest and the
#   government is the desa's (a point in one desa polygon goes to that desa's government even
#   where two kab/kota outlines overlap); without a desa, the kecamatan hit and its kab/kota;
# - `gov`: the active government with the kab/kota's code; `rule`: its highest-priority rule
#   matching the category and the chain's codes;
# - the agency row: the rule's, else the government's default for the category, else its command
#   center. The per-government defaults come from the caller (`government_defaults`, the
#   category's GovernmentCategory map that fieldops reads with the category in one statement):
#   boundaries does not read fieldops' tables, and the intake pays no extra round trip;
# - `nat`: only when no government serves the point, the national layer's province and
#   kab/kota covering it (who is responsible), and whether that layer is loaded at all.
AGENCY_ROW_FIELDS = ["id", "code", "name", "short_name", "kind", "area_code", "email", "phone", "address", "active"]
_ROUTE_SQL = """
WITH g AS (
    SELECT id FROM boundaries_boundarygeneration WHERE active ORDER BY id DESC LIMIT 1
), pt AS (
    SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS geom
), hit AS MATERIALIZED (
    SELECT DISTINCT ON (p.level) p.level, a.id, a.code, a.name, a.jenis,
           pa.id AS pid, pa.code AS pcode, pa.name AS pname, pa.jenis AS pjenis,
           ga.id AS gid, ga.code AS gcode, ga.name AS gname, ga.jenis AS gjenis
    FROM boundaries_areapiece p
    JOIN boundaries_adminarea a ON a.id = p.area_id
    LEFT JOIN boundaries_adminarea pa ON pa.id = a.parent_id
    LEFT JOIN boundaries_adminarea ga ON ga.id = pa.parent_id
    CROSS JOIN pt CROSS JOIN g
    WHERE p.generation_id = g.id AND ST_Covers(p.geom, pt.geom)
    ORDER BY p.level, a.code
), near AS MATERIALIZED (
    SELECT 'kelurahan'::text AS level, a.id, a.code, a.name, a.jenis,
           pa.id AS pid, pa.code AS pcode, pa.name AS pname, pa.jenis AS pjenis,
           ga.id AS gid, ga.code AS gcode, ga.name AS gname, ga.jenis AS gjenis
    FROM (SELECT p.area_id, MIN(ST_Distance(p.geom::geography, pt.geom::geography)) AS d
            FROM boundaries_areapiece p CROSS JOIN pt CROSS JOIN g
           WHERE NOT EXISTS (SELECT 1 FROM hit WHERE level = 'kelurahan')
             AND EXISTS (SELECT 1 FROM hit WHERE level IN ('kota', 'provinsi'))
             AND p.generation_id = g.id AND p.level = 'kelurahan'
             AND p.geom && ST_Expand(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(sliver_deg)s)
             AND ST_DWithin(p.geom::geography, pt.geom::geography, %(sliver_m)s)
           GROUP BY p.area_id) n
    JOIN boundaries_adminarea a ON a.id = n.area_id
    LEFT JOIN boundaries_adminarea pa ON pa.id = a.parent_id
    LEFT JOIN boundaries_adminarea ga ON ga.id = pa.parent_id
    ORDER BY n.d, a.code LIMIT 1
), kel AS (
    SELECT * FROM hit WHERE level = 'kelurahan' UNION ALL SELECT * FROM near
), chain AS (
    SELECT (SELECT json_build_array(id, code, name, jenis) FROM kel) AS kel,
           COALESCE((SELECT json_build_array(pid, pcode, pname, pjenis) FROM kel WHERE pid IS NOT NULL),
                    (SELECT json_build_array(id, code, name, jenis) FROM hit WHERE level = 'kecamatan')) AS kec,
           COALESCE((SELECT json_build_array(gid, gcode, gname, gjenis) FROM kel WHERE gid IS NOT NULL),
                    (SELECT json_build_array(pid, pcode, pname, pjenis) FROM hit
                      WHERE level = 'kecamatan' AND pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM kel)),
                    (SELECT json_build_array(id, code, name, jenis) FROM hit WHERE level = 'kota')) AS kota,
           EXISTS (SELECT 1 FROM near) AS nearest
), gov AS (
    SELECT gv.id, gv.code, gv.name, gv.province_code, gv.province_name FROM boundaries_government gv
     WHERE gv.active AND gv.code = (SELECT kota ->> 1 FROM chain)
), rule AS (
    SELECT r.agency_id FROM boundaries_routingrule r
      JOIN boundaries_agency ag ON ag.id = r.agency_id AND ag.active
     WHERE r.active AND r.government_id = (SELECT id FROM gov)
       AND (r.category_slug = %(category)s OR r.category_slug = '')
       AND (r.area_code = '' OR r.area_code IN (SELECT kel ->> 1 FROM chain UNION ALL SELECT kec ->> 1 FROM chain
                                                UNION ALL SELECT kota ->> 1 FROM chain))
     ORDER BY r.priority DESC, r.id LIMIT 1
), nat AS (
    SELECT DISTINCT ON (n.level) n.level, n.code, n.name, n.jenis
      FROM boundaries_nationalarea n CROSS JOIN pt
     WHERE NOT EXISTS (SELECT 1 FROM gov) AND ST_Covers(n.geom, pt.geom)
     ORDER BY n.level, n.code
)
SELECT (SELECT id FROM g),
       (SELECT row_to_json(chain) FROM chain),
       (SELECT agency_id FROM rule),
       (SELECT json_build_array(id, code, name, province_code, province_name) FROM gov),
       (SELECT json_build_array(a.id, a.code, a.name, a.short_name, a.kind, a.area_code, a.email, a.phone,
                                a.address, a.active)
          FROM boundaries_agency a
         WHERE a.government_id = (SELECT id FROM gov) AND a.id = COALESCE(
               (SELECT agency_id FROM rule),
               (%(defaults)s::jsonb ->> (SELECT id FROM gov)::text)::bigint,
               %(default_agency)s,
               (SELECT c.id FROM boundaries_agency c WHERE c.government_id = (SELECT id FROM gov)
                   AND c.kind = 'command_center' AND c.active))),
       (SELECT json_build_array(id, code, name, jenis) FROM hit WHERE level = 'provinsi'),
       (SELECT json_agg(json_build_array(level, code, name, jenis)) FROM nat),
       (SELECT NOT EXISTS (SELECT 1 FROM gov) AND EXISTS (SELECT 1 FROM boundaries_nationalarea))
"""

_NEAREST_SQL = """
SELECT a.id, a.code, a.name, ST_Distance(a.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography)
  FROM boundaries_adminarea a
 WHERE a.generation_id = %(gen)s AND a.level = %(level)s
 ORDER BY a.geom <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), a.code
 LIMIT 1
"""

# Points in the city but in a sliver between two kelurahan (the source polygons leave gaps of a
# few metres along some borders) go to the nearest area, if it is this close.
SLIVER_TOLERANCE_M = 250.0
# The same distance as a bounding-box margin in degrees, generous (a degree of latitude is
# 110.6 km; of longitude at most 111.3 km), so the index finds every candidate piece.
_SLIVER_DEG = SLIVER_TOLERANCE_M / 100_000


def _ref(value) -> AreaRef | None:
    return AreaRef(value[0], value[1], value[2], value[3] or "") if value and value[0] is not None else None


def route_point(*, lon: float, lat: float, category_slug: str = "", default_agency_id: int | None = None,
                government_defaults: dict[int, int] | None = None,
                also: tuple[str, dict] | None = None) -> Route:
    """Resolve the areas covering lon/lat, the government serving them and the agency that
    routing rules pick for it, in one round trip.

    `government_defaults` maps a government's id to its agency for the category (its
    GovernmentCategory); `default_agency_id` is used only when it belongs to that government.
    `also` is one more SQL expression of the caller's, with its parameters (the names lon, lat,
    category, defaults, default_agency, sliver_m and sliver_deg are routing's), evaluated in the
    same round trip: its value is `route.also`. The intake uses it for its duplicate hints."""
    import json

    params = {"lon": lon, "lat": lat, "category": category_slug or "", "default_agency": default_agency_id,
              "defaults": json.dumps({str(k): v for k, v in (government_defaults or {}).items()}),
              "sliver_m": SLIVER_TOLERANCE_M, "sliver_deg": _SLIVER_DEG}
    sql = _ROUTE_SQL
    if also is not None:
        expression, extra = also
        if set(extra) & {"category", "default_agency", "defaults", "sliver_m", "sliver_deg"} or any(
                extra[k] != params[k] for k in set(extra) & {"lon", "lat"}):
            raise ValueError("route_point: `also` may not redefine routing's parameters")
        sql, params = f"{_ROUTE_SQL.rstrip()},\n       {expression}\n", {**extra, **params}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        generation_id, chain, agency_id, government, agency_row, province, national, outside, *rest = cur.fetchone()
    if generation_id is None:
        return Route(generation_id=None, in_service_area=False)
    chain = chain or {}
    route = Route(generation_id=generation_id, in_service_area=government is not None, agency_id=agency_id,
                  agency_row=tuple(agency_row) if agency_row else None, also=rest[0] if rest else None,
                  government=AreaRef(*government[:3]) if government else None,
                  kelurahan=_ref(chain.get("kel")), kecamatan=_ref(chain.get("kec")), kota=_ref(chain.get("kota")),
                  province=_ref(province), outside_indonesia=bool(outside) and not national)
    if chain.get("nearest"):
        route.notes.append("kelurahan_nearest")
    if route.province is None and government and government[3]:
        route.province = AreaRef(None, government[3], government[4] or government[3], AreaLevel.PROVINSI)
    if route.in_service_area:
        return route
    # Not served here: who is. A kab/kota of the current boundaries that is not (or no longer)
    # a government of this deployment, else the national layer.
    by_level = {n[0]: AreaRef(None, n[1], n[2], n[3] or "") for n in (national or [])}
    route.responsible = route.kota or by_level.get(AreaLevel.KOTA)
    route.responsible_province = route.province or by_level.get(AreaLevel.PROVINSI)
    if route.kota is not None or route.kecamatan is not None:
        route.kecamatan = route.kelurahan = None  # areas of a government not set up here
    near = _nearest(generation_id, AreaLevel.KECAMATAN, lon, lat)
    if near:
        route.nearest_kecamatan, route.distance_m = near
    return route


_GOVERNMENTS_NEAR_SQL = """
SELECT DISTINCT gv.code, gv.name
  FROM boundaries_areapiece p
  JOIN boundaries_adminarea a ON a.id = p.area_id
  JOIN boundaries_government gv ON gv.code = a.code AND gv.active
 WHERE p.generation_id = (SELECT id FROM boundaries_boundarygeneration WHERE active ORDER BY id DESC LIMIT 1)
   AND p.level = 'kota'
   AND p.geom && ST_Expand(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(deg)s)
   AND ST_DWithin(p.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(m)s)
 ORDER BY gv.code
"""


def governments_near(*, lon: float, lat: float, within_m: float) -> list[tuple[str, str]]:
    """(code, name) of the active governments whose kab/kota area is within `within_m` meters of
    the point (the accuracy circle of a pin near a border reaches them), by code."""
    if within_m <= 0:
        return []
    with connection.cursor() as cur:
        cur.execute(_GOVERNMENTS_NEAR_SQL, {"lon": lon, "lat": lat, "m": within_m, "deg": within_m / 100_000})
        return [tuple(row) for row in cur.fetchall()]


def _nearest(generation_id: int, level: str, lon: float, lat: float) -> tuple[AreaRef, float] | None:
    with connection.cursor() as cur:
        cur.execute(_NEAREST_SQL, {"gen": generation_id, "level": level, "lon": lon, "lat": lat})
        row = cur.fetchone()
    if not row:
        return None
    return AreaRef(row[0], row[1], row[2]), float(row[3])


def service_area_name(generation_id: int | None = None) -> str:
    """The name of the city this deployment serves (its kota area), for messages."""
    qs = AdminArea.objects.filter(level=AreaLevel.KOTA)
    if generation_id:
        qs = qs.filter(generation_id=generation_id)
    else:
        qs = qs.filter(generation=BoundaryGeneration.current())
    return qs.values_list("name", flat=True).first() or "the city"


def _city_outline(select: str, generation_id: int | None) -> tuple | None:
    """`select` (SQL over `g`, the city's kota and kecamatan areas collected) for a generation."""
    gen = generation_id or getattr(BoundaryGeneration.current(), "pk", None)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {select} FROM (SELECT ST_Collect(geom) g FROM boundaries_adminarea"
            " WHERE generation_id = %s AND level IN ('kota', 'kecamatan')) s",
            [gen],
        )
        row = cur.fetchone()
    return row if row and row[0] is not None else None


def city_metric_srid(generation_id: int | None = None) -> int:
    """The UTM zone of the city's centroid: the projection for grids and metric buffers."""
    row = _city_outline("ST_X(ST_Centroid(g)), ST_Y(ST_Centroid(g))", generation_id)
    return utm_srid_for(row[0], row[1]) if row else 3857


def city_extent(generation_id: int | None = None) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of the city's kota and kecamatan areas."""
    row = _city_outline("ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)", generation_id)  # stored in lon/lat
    return tuple(row) if row else None


def areas_for_level(*, level: str, generation_id: int | None = None, government_codes=None):
    """The areas of one level in the current (or a given) generation; with `government_codes`,
    only those inside these kab/kota (Kemendagri codes: 36.71.07 lies in 36.71)."""
    gen = generation_id or getattr(BoundaryGeneration.current(), "pk", None)
    qs = AdminArea.objects.filter(generation_id=gen, level=level).select_related("parent").order_by("code")
    if government_codes is not None:
        inside = Q(pk__in=[])
        for code in government_codes:
            inside |= Q(code__startswith=f"{code}.")
        qs = qs.filter(inside)
    return qs


def locate_address(address: str) -> tuple[float, float] | None:
    """A point for a free-text address: inside the most specific area of this city it names.

    There is no street geocoder; the address is matched against kelurahan and kecamatan names
    (longest name first, so "Karawaci Baru" wins over "Karawaci").
    """
    text = f" {address.lower()} "
    gen = BoundaryGeneration.current()
    if gen is None:
        return None
    areas = AdminArea.objects.filter(generation=gen, level__in=[AreaLevel.KELURAHAN, AreaLevel.KECAMATAN]).values_list(
        "id", "name", "level"
    )
    best = None
    for area_id, name, level in areas:
        needle = name.lower().strip()
        if needle and needle in text:
            rank = (level == AreaLevel.KELURAHAN, len(needle))
            if best is None or rank > best[0]:
                best = (rank, area_id)
    if best is None:
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM boundaries_adminarea WHERE id = %s) s",
                    [best[1]])
        x, y = cur.fetchone()
    return x, y


# ---------------------------------------------------------------- place search (the gazetteer)

# "kantor kelurahan sukarasa", "kel. sukarasa", "kecamatan karawaci": the area's own name is searched.
AREA_WORDS = re.compile(r"^\s*(kantor\s+)?(kelurahan|kel\.?|kecamatan|kec\.?|desa)\s+", re.IGNORECASE)
PLACE_SEARCH_LIMIT = 8


@dataclass(frozen=True)
class PlaceHit:
    """A place a citizen can centre the map on: a gazetteer place, a kelurahan or a kecamatan."""

    name: str
    kind: str  # a PlaceKind value, or "kelurahan" / "kecamatan"
    lon: float
    lat: float
    score: float
    kelurahan: str = ""
    kecamatan: str = ""
    bbox: tuple[float, float, float, float] | None = None  # areas: the map fits it


def _matching(qs, text: str):
    """Names like `text` (pg_trgm word similarity, or containing it), best first."""
    return (
        qs.filter(Q(name__trigram_word_similar=text) | Q(name__icontains=text))
        .annotate(score=TrigramWordSimilarity(text, "name"))
        .order_by("-score", "name")
    )


def places_search(*, q: str, limit: int = PLACE_SEARCH_LIMIT) -> list[PlaceHit]:
    """Gazetteer places and the current generation's kelurahan and kecamatan whose names match
    `q` fuzzily (typos, missing words: pg_trgm, indexed), best first.

    An area stands at a point inside its polygon (ST_PointOnSurface), with its bounding box."""
    text = q.strip()
    area_text = AREA_WORDS.sub("", text).strip() or text
    gen = BoundaryGeneration.current()
    hits: list[PlaceHit] = []
    if gen is not None:
        areas = _matching(
            AdminArea.objects.filter(generation=gen, level__in=[AreaLevel.KELURAHAN, AreaLevel.KECAMATAN]), area_text
        ).annotate(inner=PointOnSurface("geom"), box=Envelope("geom")).select_related("parent")[:limit]
        for a in areas:
            is_kel = a.level == AreaLevel.KELURAHAN
            hits.append(PlaceHit(
                name=a.name, kind=a.level, lon=a.inner.x, lat=a.inner.y, score=a.score,
                kelurahan=a.name if is_kel else "", kecamatan=(a.parent.name if is_kel and a.parent else a.name),
                bbox=a.box.extent,
            ))
        covering = AdminArea.objects.filter(generation=gen, level=AreaLevel.KELURAHAN, geom__covers=OuterRef("point"))
        places = _matching(Place.objects.all(), text).annotate(
            kel=Subquery(covering.values("name")[:1]), kec=Subquery(covering.values("parent__name")[:1]))
    else:
        places = _matching(Place.objects.all(), text)
    for p in places[:limit]:
        hits.append(PlaceHit(name=p.name, kind=p.kind, lon=p.point.x, lat=p.point.y, score=p.score,
                             kelurahan=getattr(p, "kel", "") or "", kecamatan=getattr(p, "kec", "") or ""))
    hits.sort(key=lambda h: (-h.score, h.kind not in (AreaLevel.KELURAHAN, AreaLevel.KECAMATAN), h.name))
    return hits[:limit]

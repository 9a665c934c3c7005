"""A whole province in one deployment (issue 18): `setup_province` with fixtures/banten and
`load_national_areas` with fixtures/indonesia, in their OWN fresh database (the shared test
database holds only Kota Tangerang), then 20,000 random points, the slivers and the borders of
Kota Tangerang, through the routing the intake uses and through the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.citysetup.test_replication import ROOT, own_database  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow

POINTS = 20_000

SCRIPT = r"""
import io, json, time
from django.core.management import call_command
from django.db import connection
t0 = time.monotonic()
timings = {}
call_command("migrate", verbosity=0, skip_checks=True)
# What `make run` does first: Kota Tangerang with its agencies, rules and a complaint.
call_command("load_city_fixtures", stdout=io.StringIO(), skip_checks=True)
from django.contrib.gis.geos import Point
from boundaries.models import AdminArea, Agency, BoundaryGeneration, Government, NationalArea, RoutingRule
from fieldops.models import Category, Complaint, GovernmentCategory
from fieldops.selectors import category_active
from fieldops.services import FieldError, complaint_create
old = complaint_create(category=category_active("roads"), location=Point(106.6400, -6.1780, srid=4326),
                       description="sebelum provinsi").complaint
old_generation = old.generation_id
tangerang_agencies = sorted(Agency.objects.filter(government__code="36.71").values_list("code", flat=True))
tangerang_rules = RoutingRule.objects.filter(government__code="36.71").count()
timings["city"] = time.monotonic() - t0

dry = io.StringIO()
args = ["--name", "Banten", "--kabkota", "fixtures/banten/kabkota.geojson", "--kecamatan",
        "fixtures/banten/kecamatan.geojson", "--desa", "fixtures/banten/desa.geojson"]
call_command("setup_province", *args, "--dry-run", stdout=dry, stderr=io.StringIO(), skip_checks=True)
after_dry = [Government.objects.count(), BoundaryGeneration.objects.count()]
t = time.monotonic()
out = io.StringIO()
call_command("setup_province", *args, "--provinsi", "fixtures/banten/provinsi.geojson", stdout=out,
             stderr=io.StringIO(), skip_checks=True)
timings["setup_province"] = time.monotonic() - t
t = time.monotonic()
nat = io.StringIO()
call_command("load_national_areas", stdout=nat, stderr=io.StringIO(), skip_checks=True)
call_command("load_national_areas", stdout=io.StringIO(), stderr=io.StringIO(), skip_checks=True)  # idempotent
timings["load_national_areas x2"] = time.monotonic() - t

gen = BoundaryGeneration.current()
r = {"dry": dry.getvalue(), "after_dry": after_dry, "summary": out.getvalue(), "national": nat.getvalue(),
     "national_count": NationalArea.objects.count()}
r["governments"] = sorted(Government.objects.values_list("code", flat=True))
r["levels"] = {lvl: AdminArea.objects.filter(generation=gen, level=lvl).count()
               for lvl in ("provinsi", "kota", "kecamatan", "kelurahan")}
r["jenis"] = {j: AdminArea.objects.filter(generation=gen, level="kelurahan", jenis=j).count() for j in ("desa", "kelurahan")}
r["orphans"] = AdminArea.objects.filter(generation=gen).exclude(level="provinsi").filter(parent__isnull=True).count()
r["badparents"] = sum(1 for a in AdminArea.objects.filter(generation=gen).exclude(level="provinsi").select_related("parent")
                      if not a.code.startswith(a.parent.code + "."))
r["tangerang_kept"] = [sorted(Agency.objects.filter(government__code="36.71").values_list("code", flat=True)) == tangerang_agencies,
                       RoutingRule.objects.filter(government__code="36.71").count() == tangerang_rules]
old.refresh_from_db()
r["old_generation_kept"] = old.generation_id == old_generation != gen.pk
serang = Government.objects.get(code="36.04")
r["serang"] = {
    "name": serang.name, "jenis": serang.jenis, "province": [serang.province_code, serang.province_name],
    "command_center": Agency.command_center(serang).code,
    "offices": Agency.objects.filter(government=serang, kind="kecamatan").count(),
    "categories": GovernmentCategory.objects.filter(government=serang).count(),
    "rules": RoutingRule.objects.filter(government=serang).count(),
    "foreign_agencies": GovernmentCategory.objects.filter(government=serang).exclude(agency__government=serang).count(),
}

# ---- 20,000 random points, uniform in the province, and the desa polygons covering each.
from boundaries.selectors import SLIVER_TOLERANCE_M, route_point
with connection.cursor() as cur:
    cur.execute("CREATE TEMP TABLE pts AS SELECT row_number() OVER () AS id, p.geom FROM ("
                " SELECT (ST_Dump(ST_GeneratePoints(geom, %s, 36))).geom FROM boundaries_adminarea"
                " WHERE generation_id = %s AND level = 'provinsi') p", [__POINTS__, gen.pk])
    # Slivers made on purpose: a point in the overlap of two desa, and in the gap inside a kecamatan.
    cur.execute("INSERT INTO pts SELECT 100000 + row_number() OVER (), ST_PointOnSurface(ST_Intersection(a.geom, b.geom))"
                " FROM boundaries_adminarea a JOIN boundaries_adminarea b ON b.generation_id = a.generation_id"
                " AND b.level = a.level AND a.code < b.code AND ST_Intersects(a.geom, b.geom)"
                " WHERE a.generation_id = %s AND a.level = 'kelurahan'"
                " AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1000 LIMIT 40", [gen.pk])
    cur.execute("INSERT INTO pts SELECT 200000 + row_number() OVER (), ST_PointOnSurface(h.geom) FROM ("
                " SELECT (ST_Dump(ST_Difference(k.geom, ST_Union(d.geom)))).geom FROM boundaries_adminarea k"
                " JOIN boundaries_adminarea d ON d.parent_id = k.id WHERE k.generation_id = %s AND k.level = 'kecamatan'"
                " AND k.code LIKE '36.71.%%' GROUP BY k.id) h WHERE ST_Area(h.geom::geography) > 200 LIMIT 40", [gen.pk])
    cur.execute("ANALYZE pts")
    # The truth, set-based: every desa piece covering each point (`+ 0`: the spatial index alone
    # finds the pieces, see bench/routing.py).
    cur.execute("SELECT t.id, ST_X(t.geom), ST_Y(t.geom), COALESCE(array_agg(DISTINCT a.code ORDER BY a.code)"
                " FILTER (WHERE a.code IS NOT NULL), '{}'), NULL FROM pts t"
                " LEFT JOIN boundaries_areapiece p ON ST_Covers(p.geom, t.geom) AND p.generation_id + 0 = %s"
                " AND p.level || '' = 'kelurahan' LEFT JOIN boundaries_adminarea a ON a.id = p.area_id"
                " GROUP BY t.id, t.geom ORDER BY t.id", [gen.pk])
    points = [list(p) for p in cur.fetchall()]
    # Points in no desa: the nearest one within 250 m, measured on the whole polygons.
    for p in points:
        if not p[3]:
            cur.execute("SELECT a.code, ST_Distance(a.geom::geography, pt::geography) d FROM boundaries_adminarea a,"
                        " ST_SetSRID(ST_MakePoint(%s, %s), 4326) pt WHERE a.generation_id = %s AND a.level = 'kelurahan'"
                        " AND a.geom && ST_Expand(pt, 0.003) AND ST_DWithin(a.geom::geography, pt::geography, %s)"
                        " ORDER BY d, a.code LIMIT 1", [p[1], p[2], gen.pk, SLIVER_TOLERANCE_M])
            p[4] = cur.fetchone()
kinds = {"one": 0, "two": 0, "none": 0, "none_near": 0}
wrong = []
t = time.monotonic()
for pid, lon, lat, codes, near in points:
    route = route_point(lon=lon, lat=lat, category_slug="roads")
    got = (route.kelurahan.code if route.kelurahan else None, route.kecamatan.code if route.kecamatan else None,
           route.government.code if route.government else None)
    if len(codes) == 1:
        kinds["one"] += 1
        want = (codes[0], codes[0][:8], codes[0][:5])
    elif codes:
        kinds["two"] += 1
        want = (codes[0], codes[0][:8], codes[0][:5])  # the tie rule: the lowest code
    elif near:
        kinds["none_near"] += 1
        want = (near[0], near[0][:8], near[0][:5])  # the sliver rule: the nearest within 250 m
    else:
        kinds["none"] += 1
        want = got if route.kelurahan is None else None
    if got != want or (route.kelurahan and route.agency_row is None):
        wrong.append([pid, lon, lat, codes, near, got])
timings["route %d points" % len(points)] = time.monotonic() - t
r["kinds"], r["wrong"], r["points"] = kinds, wrong[:20], len(points)

# ---- the borders of Kota Tangerang: 150 m inside each side of a shared line.
def inside_near_border(a, b, side):
    with connection.cursor() as cur:
        cur.execute(
            "WITH x AS (SELECT (SELECT geom FROM boundaries_adminarea WHERE generation_id = %(g)s AND level = 'kota' AND code = %(a)s) ga,"
            " (SELECT geom FROM boundaries_adminarea WHERE generation_id = %(g)s AND level = 'kota' AND code = %(b)s) gb),"
            " line AS (SELECT ST_PointOnSurface(ST_Intersection(ST_Buffer(ga::geography, 5)::geometry, ST_Buffer(gb::geography, 5)::geometry)) p FROM x)"
            " SELECT ST_X(q), ST_Y(q) FROM (SELECT ST_PointOnSurface(ST_Difference(ST_Intersection("
            "   ST_Buffer(line.p::geography, 300)::geometry, CASE WHEN %(side)s = %(a)s THEN ga ELSE gb END),"
            "   ST_Buffer(ST_Boundary(CASE WHEN %(side)s = %(a)s THEN ga ELSE gb END)::geography, 100)::geometry)) q FROM x, line) s",
            {"g": gen.pk, "a": a, "b": b, "side": side})
        return cur.fetchone()
borders = {}
for a, b in (("36.71", "36.03"), ("36.71", "36.74"), ("36.03", "36.74")):
    for side in (a, b):
        lon, lat = inside_near_border(a, b, side)
        route = route_point(lon=lon, lat=lat)
        borders[f"{a}|{b}|{side}"] = [route.in_service_area, route.government.code if route.government else None,
                                      route.kelurahan.code[:5] if route.kelurahan else None, lon, lat]
r["borders"] = borders

# DKI Jakarta: Jakarta Barat, beyond the sliver distance from Kota Tangerang's eastern line.
with connection.cursor() as cur:
    cur.execute(
        "SELECT ST_X(q), ST_Y(q) FROM (SELECT ST_PointOnSurface(ST_Difference(ST_Intersection(n.geom,"
        " ST_Buffer(t.geom::geography, 1500)::geometry), ST_Buffer(t.geom::geography, 400)::geometry)) q"
        " FROM boundaries_nationalarea n, boundaries_adminarea t WHERE n.code = '31.73' AND t.generation_id = %s"
        " AND t.level = 'provinsi') s", [gen.pk])
    dki = cur.fetchone()
route = route_point(lon=dki[0], lat=dki[1])
r["dki"] = [route.in_service_area, route.responsible.code if route.responsible else None,
            route.responsible.name if route.responsible else None,
            route.responsible_province.code if route.responsible_province else None, route.outside_indonesia]
route = route_point(lon=151.21, lat=-33.86)  # Sydney
r["abroad"] = [route.in_service_area, route.responsible, route.outside_indonesia]

# ---- the API: locate, the refusal naming who is responsible, the LAPOR! handoff.
from rest_framework.test import APIClient
from procrastinate.contrib.django.models import ProcrastinateJob
api = APIClient()
kt = borders["36.71|36.03|36.71"]
r["locate_tangerang"] = api.get("/api/v1/locate/", {"lat": kt[4], "lon": kt[3], "category": "roads", "accuracy_m": 600}).json()
serang_pt = route_point(lon=106.15, lat=-6.12, category_slug="roads")
r["locate_serang"] = api.get("/api/v1/locate/", {"lat": -6.12, "lon": 106.15, "category": "roads"}).json()
r["locate_dki"] = api.get("/api/v1/locate/", {"lat": dki[1], "lon": dki[0], "category": "roads"}).json()
r["locate_abroad"] = [api.get("/api/v1/locate/", {"lat": -33.86, "lon": 151.21}).status_code]
body = {"category": "roads", "description": "Jalan berlubang", "location": {"lat": dki[1], "lon": dki[0]}}
refused = api.post("/api/v1/complaints/", body, format="json", HTTP_ACCEPT_LANGUAGE="id")
r["create_dki"] = [refused.status_code, refused.json()]
jobs_before = ProcrastinateJob.objects.filter(task_name__endswith="lapor_handoff_deliver").count()
handed = api.post("/api/v1/complaints/", {**body, "lapor_handoff": True}, format="json")
r["handoff"] = [handed.status_code, handed.json(),
                ProcrastinateJob.objects.filter(task_name__endswith="lapor_handoff_deliver").count() - jobs_before,
                Complaint.objects.filter(description="Jalan berlubang").count()]
private = api.post("/api/v1/complaints/", {**body, "category": "adminduk", "lapor_handoff": True}, format="json")
r["handoff_private"] = [private.status_code, private.json()]
created = api.post("/api/v1/complaints/", {"category": "roads", "description": "Jalan rusak di Serang",
                                            "location": {"lat": -6.12, "lon": 106.15}}, format="json")
c = Complaint.objects.select_related("government", "agency", "kelurahan").get(tracking_code=created.json()["tracking_code"])
r["create_serang"] = [created.status_code, c.government.code, c.agency.code, c.agency.government.code, c.kelurahan.code,
                      c.generation_id == gen.pk]
r["timings"] = {k: round(v, 1) for k, v in timings.items()}
r["total"] = round(time.monotonic() - t0, 1)
print("RESULT" + json.dumps(r, default=str))
"""


def run(url: str, script: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "LAKSA_ENV": "local", "REDIS_URL": ""}
    env.pop("LAKSA_TEST_DB", None)
    proc = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return json.loads(proc.stdout.split("RESULT", 1)[1])


def test_banten_in_one_deployment_routes_every_point_to_its_desa(own_database):  # noqa: F811
    started = time.monotonic()
    r = run(own_database, SCRIPT.replace("__POINTS__", str(POINTS)))
    print(json.dumps({"timings": r["timings"], "total": r["total"], "wall": round(time.monotonic() - started, 1),
                      "kinds": r["kinds"]}))
    # --dry-run wrote nothing.
    assert "dry run: nothing written" in r["dry"] and r["after_dry"] == [1, 1]
    # 8 governments, 155 kecamatan, every desa and kelurahan, one tree.
    assert r["governments"] == ["36.01", "36.02", "36.03", "36.04", "36.71", "36.72", "36.73", "36.74"]
    assert r["levels"] == {"provinsi": 1, "kota": 8, "kecamatan": 155, "kelurahan": 1552}
    assert r["jenis"] == {"desa": 1238, "kelurahan": 314}
    assert r["orphans"] == 0 and r["badparents"] == 0
    assert "7 governments new, 1 kept" in r["summary"] and "36.71 Kota Tangerang: kept" in r["summary"]
    assert "38 provinsi, 514 kab/kota" in r["national"] and r["national_count"] == 552
    # Kota Tangerang keeps what it had; its old complaint keeps its generation.
    assert r["tangerang_kept"] == [True, True] and r["old_generation_kept"]
    s = r["serang"]
    assert s["name"] == "Kabupaten Serang" and s["jenis"] == "kabupaten" and s["province"] == ["36", "Banten"]
    assert s["command_center"] == "diskominfo" and s["offices"] == 29 and s["categories"] == 12
    assert s["rules"] == 29 and s["foreign_agencies"] == 0
    # Every point routes as its desa polygons say: 100%.
    assert r["points"] >= POINTS and r["kinds"]["one"] > 0.99 * POINTS
    assert r["kinds"]["two"] >= 40 and r["kinds"]["none_near"] >= 10  # the slivers made on purpose were reached
    assert r["wrong"] == []
    # Borders: each side goes to its own government.
    for key, (served, government, desa_kota, _lon, _lat) in r["borders"].items():
        side = key.split("|")[2]
        assert served and government == side and desa_kota == side, key
    # DKI Jakarta: served false, the responsible kab/kota from the national layer.
    assert r["dki"][:2] == [False, "31.73"] and r["dki"][3] == "31" and r["dki"][4] is False
    assert r["abroad"] == [False, None, True] and r["locate_abroad"] == [400]
    lt = r["locate_tangerang"]
    assert lt["served"] and lt["government"] == {"code": "36.71", "name": "Kota Tangerang"}
    assert lt["province"]["code"] == "36" and lt["kelurahan"]["jenis"] == "kelurahan"
    assert {"code": "36.03", "name": "Kabupaten Tangerang"} in lt["alternatives"]  # the accuracy circle crosses
    ls = r["locate_serang"]
    assert ls["served"] and ls["government"]["code"] == "36.73" and ls["agency"]["code"] == "dpupr"
    assert ls["kelurahan"]["code"].startswith("36.73.") and ls["alternatives"] == []
    ld = r["locate_dki"]
    assert ld["served"] is False and ld["lapor_handoff"] is True and ld["government"]["code"] == "31.73"
    assert ld["province"]["code"] == "31" and ld["kecamatan"] is None and ld["agency"] is None
    status, err = r["create_dki"]
    assert status == 400 and "Jakarta Barat" in " ".join(err["location"]) and "lapor_handoff" in " ".join(err["location"])
    status, body, jobs, stored = r["handoff"]
    assert status == 202 and body["served"] is False and body["government"]["code"] == "31.73"
    assert jobs == 1 and stored == 0  # forwarded, not stored here
    assert r["handoff_private"][0] == 400 and "lapor_handoff" in r["handoff_private"][1]
    status, government, agency, agency_government, desa, current = r["create_serang"]
    assert status == 201 and government == "36.73" == agency_government and agency == "dpupr"
    assert desa.startswith("36.73.") and current


@pytest.mark.django_db
def test_setup_province_names_the_missing_field_and_writes_nothing(city):
    from django.core.management import CommandError, call_command

    from boundaries.models import BoundaryGeneration, Government

    before = (BoundaryGeneration.objects.count(), Government.objects.count())
    banten = ROOT / "fixtures" / "banten"
    with pytest.raises(CommandError, match="'kode_bps'.*kode, nama"):
        call_command("setup_province", "--name", "Banten", "--provinsi", str(banten / "provinsi.geojson"),
                     "--kabkota", str(banten / "kabkota.geojson"), "--kecamatan", str(banten / "kecamatan.geojson"),
                     "--desa", str(banten / "desa.geojson"), "--code-field", "kode_bps")
    with pytest.raises(CommandError, match="--name"):
        call_command("setup_province", "--name", " ", "--kabkota", "x", "--kecamatan", "x", "--desa", "x")
    assert (BoundaryGeneration.objects.count(), Government.objects.count()) == before

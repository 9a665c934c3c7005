"""Hotspot analytics: counts agree with the complaints, grids add up, DBSCAN finds planted
hotspots, tiles decode, exports open in GDAL, and nobody sees personal data or gets in uninvited."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
from datetime import timedelta

import mapbox_vector_tile
import pytest
from django.db.models import Sum
from django.utils import timezone

from fieldops.models import Complaint, Status
from tests.conftest import CITY_HALL, KARAWACI, login, make_complaint

PHONE = "+62 812 5550 7788"
EMAIL = "pelapor.rahasia@example.id"
NAME = "Siti Pelapor Rahasia"

A = "/api/v1/analytics/"


def offset(lonlat, dx_m, dy_m):
    """A point dx/dy meters east/north of lonlat."""
    lon, lat = lonlat
    return (lon + dx_m / (111320 * math.cos(math.radians(lat))), lat + dy_m / 110574)


def tile_for(lonlat, z):
    lon, lat = lonlat
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture
def data(city):
    """Two planted hotspots (roads at the city hall, garbage in Karawaci) and scattered complaints."""
    made = []
    for k in range(7):
        made.append(make_complaint(lonlat=offset(CITY_HALL, 8 * k, 5 * k), category="roads",
                                   reporter_phone=PHONE, reporter_email=EMAIL, reporter_name=NAME).complaint)
    for k in range(6):
        made.append(make_complaint(lonlat=offset(KARAWACI, -6 * k, 7 * k), category="garbage").complaint)
    # Scattered: each more than a kilometre from the others, so DBSCAN calls them noise.
    for k, (dx, dy) in enumerate([(1500, 1200), (-1600, 1300), (1400, -1500), (-2500, -900)]):
        made.append(make_complaint(lonlat=offset(CITY_HALL, dx, dy), category="drainage").complaint)
    # A private category (adminduk): its exact location must never be shown.
    made.append(make_complaint(lonlat=offset(KARAWACI, 2000, 200), category="adminduk").complaint)
    now = timezone.now()
    # Resolve three, let one go overdue.
    ids = [c.id for c in made[:3]]
    Complaint.objects.filter(id__in=ids).update(status=Status.RESOLVED, first_response_at=now - timedelta(hours=30),
                                                resolved_at=now, created_at=now - timedelta(hours=48))
    Complaint.objects.filter(id=made[7].id).update(due_at=now - timedelta(hours=1), status=Status.IN_PROGRESS)
    return made


def planner(api):
    login(api, "planner")
    return api


def test_area_counts_equal_direct_counts(data, api):
    planner(api)
    for level, field in (("kecamatan", "kecamatan__code"), ("kelurahan", "kelurahan__code")):
        r = api.get(A + "areas/", {"level": level})
        assert r.status_code == 200, r.content
        feats = json.loads(r.content)["features"]
        assert sum(f["properties"]["count"] for f in feats) == Complaint.objects.count() == len(data)
        for f in feats:
            p = f["properties"]
            qs = Complaint.objects.filter(**{field: p["code"]})
            assert p["count"] == qs.count(), p
            assert p["resolved"] == qs.filter(status=Status.RESOLVED).count()
            if p["population"]:
                assert p["per_1000"] == pytest.approx(p["count"] * 1000 / p["population"], abs=1e-3)
            else:
                assert p["per_1000"] is None
            assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    kec = {f["properties"]["code"]: f["properties"] for f in feats}
    hall = Complaint.objects.get(id=data[0].id).kelurahan.code
    # Medians come from an hour histogram: within the hour.
    assert kec[hall]["median_hours_to_resolve"] == pytest.approx(48.0, abs=1)
    assert sum(f["properties"]["overdue"] for f in feats) == 1
    # Filters apply: only roads.
    r = api.get(A + "areas/", {"level": "kecamatan", "category": "roads"})
    assert sum(f["properties"]["count"] for f in json.loads(r.content)["features"]) == 7


@pytest.mark.parametrize("shape", ["hex", "square"])
def test_grid_cells_sum_to_the_total(data, api, shape):
    planner(api)
    r = api.get(A + "grid/", {"shape": shape, "size_m": 500})
    assert r.status_code == 200, r.content
    body = json.loads(r.content)
    assert body["properties"]["srid"] == 32748  # UTM 48S, derived from the city's location
    cells = body["features"]
    assert sum(c["properties"]["count"] for c in cells) == len(data)
    # The planted hotspot of 7 lies within ~60 m: a single 500 m cell holds at least 6 of them.
    assert max(c["properties"]["count"] for c in cells) >= 6
    # Each complaint lies inside the cell that counted it (a private one by its snapped point).
    from django.contrib.gis.geos import GEOSGeometry, Point

    from fieldops.privacy import public_point

    points = [Point(p.x, p.y) for p in Complaint.objects.annotate(p=public_point()).values_list("p", flat=True)]
    polys = [(GEOSGeometry(json.dumps(c["geometry"])), c["properties"]["count"]) for c in cells]
    for poly, n in polys:
        inside = sum(1 for p in points if poly.buffer(1e-9).covers(p))
        assert inside == n
    r = api.get(A + "grid/", {"shape": shape, "size_m": 1000, "category": "garbage"})
    assert sum(c["properties"]["count"] for c in json.loads(r.content)["features"]) == 6


def test_dbscan_finds_the_planted_clusters(data, api):
    planner(api)
    r = api.get(A + "clusters/", {"eps_m": 100, "min_points": 5})
    assert r.status_code == 200, r.content
    feats = json.loads(r.content)["features"]
    assert sorted((f["properties"]["count"], f["properties"]["dominant_category"]) for f in feats) == [
        (6, "garbage"), (7, "roads")]
    roads = next(f for f in feats if f["properties"]["dominant_category"] == "roads")
    lon, lat = roads["properties"]["centroid"]["coordinates"]
    assert abs(lon - CITY_HALL[0]) < 0.001 and abs(lat - CITY_HALL[1]) < 0.001
    assert roads["geometry"]["type"] == "Polygon"
    # Stricter: no cluster has 8 points.
    r = api.get(A + "clusters/", {"eps_m": 100, "min_points": 8})
    assert json.loads(r.content)["features"] == []


def test_vector_tile_decodes_with_expected_features(data, api):
    planner(api)
    x, y = tile_for(CITY_HALL, 16)
    r = api.get(f"/api/v1/tiles/complaints/16/{x}/{y}.pbf")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert "max-age" in r["Cache-Control"]
    layer = mapbox_vector_tile.decode(r.content)["complaints"]
    feats = layer["features"]
    assert len(feats) == 7
    assert {f["properties"]["category"] for f in feats} == {"roads"}
    assert set(feats[0]["properties"]) == {"category", "status"}
    # Low zoom: counts per cell add up to every complaint in the tile.
    x, y = tile_for(CITY_HALL, 12)
    in_tile = [c for c in data if tile_for((c.location.x, c.location.y), 12) == (x, y)]
    assert len(in_tile) >= 8
    r = api.get(f"/api/v1/tiles/complaints/12/{x}/{y}.pbf")
    total = sum(f["properties"]["count"] for f in mapbox_vector_tile.decode(r.content)["complaints"]["features"])
    assert total == len(in_tile)
    # The same with a filter (computed from the points, not the pre-aggregated cells).
    r = api.get(f"/api/v1/tiles/complaints/12/{x}/{y}.pbf", {"category": "roads"})
    assert sum(f["properties"]["count"] for f in mapbox_vector_tile.decode(r.content)["complaints"]["features"]) == 7
    assert api.get("/api/v1/tiles/complaints/3/9/1.pbf").status_code == 400


def test_private_category_location_is_not_exact_in_tiles(data, api):
    """A report about a person (adminduk) is drawn on a 500 m grid node, never at its own point."""
    from pyproj import Transformer

    planner(api)
    private = data[-1]
    to3857 = Transformer.from_crs(4326, 3857, always_xy=True)
    to4326 = Transformer.from_crs(3857, 4326, always_xy=True)
    ex, ey = to3857.transform(private.location.x, private.location.y)
    node = (round(ex / 500) * 500, round(ey / 500) * 500)
    z = 16
    x, y = tile_for(to4326.transform(*node), z)
    r = api.get(f"/api/v1/tiles/complaints/{z}/{x}/{y}.pbf")
    feats = [f for f in mapbox_vector_tile.decode(r.content)["complaints"]["features"]
             if f["properties"]["category"] == "adminduk"]
    assert len(feats) == 1
    px, py = feats[0]["geometry"]["coordinates"]
    # Tile pixels (4096 per tile, y up in the decoded tile) back to Web Mercator meters.
    size = 40075016.685578488 / 2**z
    mx = -20037508.342789244 + (x + px / 4096) * size
    my = 20037508.342789244 - (y + 1 - py / 4096) * size
    assert math.hypot(mx - node[0], my - node[1]) < 2 * size / 4096
    assert math.hypot(mx - ex, my - ey) > 1 or node == (ex, ey)


def _ogr_fields(path):
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True).stdout
    return out


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_exports_open_in_gdal_without_contact_columns(data, api, tmp_path, fmt):
    planner(api)
    r = api.get(A + "export/", {"format": fmt})
    assert r.status_code == 200, getattr(r, "content", b"")
    body = b"".join(r.streaming_content) if r.streaming else r.content
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(body)
    info = _ogr_fields(path)
    assert f"Feature Count: {len(data)}" in info
    fields = set(re.findall(r"^(\w+): (?:String|Integer|Integer64|Real|Date|DateTime)", info, re.M))
    assert {"tracking_code", "category", "status", "kecamatan", "kelurahan", "agency", "created_at"} <= fields, info
    for field in fields:
        assert not any(w in field for w in ("reporter", "phone", "email", "description", "token", "address")), field
    assert PHONE.encode() not in body and EMAIL.encode() not in body and NAME.encode() not in body
    assert b"tracking_code" in body or fmt == "gpkg"
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        private = [row for row in rows if row["category"] == "adminduk"]
        assert private and private[0]["lon"] == "" and private[0]["lat"] == ""


def test_planner_responses_hold_no_personal_data(data, api):
    planner(api)
    x, y = tile_for(CITY_HALL, 16)
    urls = [A + "areas/?level=kelurahan", A + "grid/", A + "clusters/", A + "timeseries/?interval=day",
            A + "summary/", A + "export/?format=csv", A + "export/?format=geojson", f"/api/v1/tiles/complaints/16/{x}/{y}.pbf"]
    for url in urls:
        r = api.get(url)
        assert r.status_code == 200, url
        body = b"".join(r.streaming_content) if r.streaming else r.content
        for secret in (PHONE, EMAIL, NAME):
            assert secret.encode() not in body, (url, secret)


def test_summary_and_timeseries(data, api):
    planner(api)
    s = api.get(A + "summary/").json()
    assert s["total"] == len(data)
    assert s["by_status"]["resolved"] == 3 and s["resolved"] == 3
    assert s["resolution_rate"] == pytest.approx(3 / len(data), abs=1e-4)
    assert s["median_hours_to_first_response"] == pytest.approx(18.0, abs=1)
    assert s["median_hours_to_resolve"] == pytest.approx(48.0, abs=1)
    assert s["overdue"] == 1
    assert s["top_categories"][0] == {"category": "roads", "count": 7}
    assert sum(a["count"] for a in s["sla_by_agency"]) == len(data)
    t = api.get(A + "timeseries/", {"interval": "month"}).json()
    assert sum(p["total"] for p in t["periods"]) == len(data)
    assert sum(p["by_category"].get("garbage", 0) for p in t["periods"]) == 6


def test_bad_filters_get_400_naming_the_field(data, api):
    planner(api)
    for params, field in [({"level": "provinsi"}, "level"), ({"status": "bogus"}, "status"), ({"category": "nope"}, "category"),
                          ({"agency": "nope"}, "agency"), ({"kecamatan": "Atlantis"}, "kecamatan"),
                          ({"created_after": "yesterday"}, "created_after"), ({"category": "roads\x00"}, "category")]:
        r = api.get(A + "areas/", params)
        assert r.status_code == 400 and field in r.json(), (params, r.content)
    assert "size_m" in api.get(A + "grid/", {"size_m": "-3"}).json()
    assert "shape" in api.get(A + "grid/", {"shape": "tri"}).json()
    assert "bbox" in api.get(A + "grid/", {"bbox": "1,2,3"}).json()
    assert "interval" in api.get(A + "timeseries/", {"interval": "year"}).json()
    assert "format" in api.get(A + "export/", {"format": "xls"}).json()
    assert "min_points" in api.get(A + "clusters/", {"min_points": "x"}).json()


def test_crew_member_and_anonymous_are_refused(data, api):
    urls = [A + "areas/", A + "grid/", A + "clusters/", A + "timeseries/", A + "summary/", A + "export/",
            "/api/v1/tiles/complaints/12/3263/2118.pbf"]
    for url in urls:
        assert api.get(url).status_code == 403, url
    login(api, "sigap1")
    for url in urls:
        assert api.get(url).status_code == 403, url


def test_agency_staff_see_their_agency_only(data, api):
    login(api, "pupr")
    s = api.get(A + "summary/").json()
    from boundaries.models import Agency

    dpupr = Agency.objects.get(code="dpupr")
    assert s["total"] == Complaint.objects.filter(agency=dpupr).count()
    assert {a["agency"] for a in s["sla_by_agency"]} <= {"dpupr"}


def test_dashboard_and_public_statistics_pages(data, client):
    assert client.get("/dasbor/").status_code == 302  # to the login page
    login(client, "sigap1")
    assert client.get("/dasbor/").status_code == 403
    login(client, "leader")
    r = client.get("/dasbor/")
    assert r.status_code == 200
    from django.templatetags.static import static

    assert static("analytics/dashboard.js").encode() in r.content  # its hashed name
    client.logout()
    r = client.get("/statistik/")
    assert r.status_code == 200
    assert str(len(data)).encode() in r.content
    assert PHONE.encode() not in r.content


def test_facts_follow_updates_and_deletes(data, api):
    """The triggers keep the facts in step with any write path (here: bulk ORM update and delete)."""
    from analytics.models import ComplaintFact, TileCell

    planner(api)
    Complaint.objects.filter(category__slug="garbage").update(status=Status.CLOSED, resolved_at=timezone.now())
    s = api.get(A + "summary/").json()
    assert s["by_status"]["closed"] == 6 and s["resolved"] == 9
    moved = data[0]
    Complaint.objects.filter(id=moved.id).update(location=data[8].location)  # onto the garbage hotspot
    assert ComplaintFact.objects.count() == TileCell.objects.aggregate(n=Sum("n"))["n"] == len(data)
    Complaint.objects.filter(category__slug="drainage").delete()
    assert ComplaintFact.objects.count() == len(data) - 4
    assert TileCell.objects.aggregate(n=Sum("n"))["n"] == len(data) - 4
    r = api.get(A + "clusters/", {"eps_m": 100, "min_points": 5})
    counts = sorted(f["properties"]["count"] for f in json.loads(r.content)["features"])
    assert counts == [6, 7]  # the moved roads complaint joined the garbage hotspot


def test_rollup_areas_equal_direct_counts_after_writes(data, api):
    """The areas endpoint reads the rollup (no date filter): after inserts, status updates and deletes
    it still equals direct counts over the complaints, and equals the facts scan (date filter path)."""
    from analytics import selectors
    from analytics.filters import parse_filters
    from analytics.models import AreaRollup, AreaStatusRollup

    planner(api)
    now = timezone.now()
    for k in range(3):
        make_complaint(lonlat=offset(KARAWACI, 40 * k, -30 * k), category="roads")
    Complaint.objects.filter(category__slug="garbage").update(
        status=Status.CLOSED, created_at=now - timedelta(hours=10), resolved_at=now)
    Complaint.objects.filter(category__slug="adminduk").update(status=Status.ON_HOLD, due_at=now - timedelta(hours=2))
    Complaint.objects.filter(category__slug="drainage").delete()
    assert selectors.uses_rollup(parse_filters({"category": "roads,garbage"}))
    assert AreaRollup.objects.aggregate(n=Sum("n"))["n"] == Complaint.objects.count() == len(data) + 3 - 4
    assert AreaStatusRollup.objects.aggregate(n=Sum("n"))["n"] == len(data) + 3 - 4
    open_ = [s.value for s in selectors.OPEN_STATUSES]
    for level, field in (("kecamatan", "kecamatan__code"), ("kelurahan", "kelurahan__code")):
        for params in ({}, {"category": "garbage,roads"}, {"status": "closed"}):
            r = api.get(A + "areas/", {"level": level, **params})
            assert r.status_code == 200, r.content
            props = {f["properties"]["code"]: f["properties"] for f in json.loads(r.content)["features"]}
            # The same request through the facts (a date filter that every complaint passes).
            r2 = api.get(A + "areas/", {"level": level, "created_after": "2000-01-01", **params})
            assert {c: p for c, p in props.items()} == {
                f["properties"]["code"]: f["properties"] for f in json.loads(r2.content)["features"]}
            base = Complaint.objects.all()
            if "category" in params:
                base = base.filter(category__slug__in=params["category"].split(","))
            if "status" in params:
                base = base.filter(status=params["status"])
            for code, p in props.items():
                qs = base.filter(**{field: code})
                assert p["count"] == qs.count(), (level, params, p)
                assert p["open"] == qs.filter(status__in=open_).count()
                assert p["resolved"] == qs.filter(status__in=[Status.RESOLVED, Status.CLOSED]).count()
                assert p["overdue"] == qs.filter(status__in=open_, due_at__lt=now).count()
    kel = {f["properties"]["code"]: f["properties"]
           for f in api.get(A + "areas/", {"level": "kelurahan", "category": "garbage"}).json()["features"]}
    garbage_kel = Complaint.objects.filter(category__slug="garbage").first().kelurahan.code
    assert kel[garbage_kel]["median_hours_to_resolve"] == pytest.approx(10.0, abs=1)
    assert sum(p["overdue"] for p in kel.values()) == 0
    Complaint.objects.all().delete()
    assert not AreaRollup.objects.exclude(n=0).exists() and not AreaStatusRollup.objects.exclude(n=0).exists()


def test_median_from_histogram():
    from analytics.selectors import median_from_histogram

    assert median_from_histogram({}) is None
    assert median_from_histogram({10: 1, 20: 1, 30: 1}) == pytest.approx(20.5)
    assert median_from_histogram({0: 50, 100: 50}) == pytest.approx(1.0)

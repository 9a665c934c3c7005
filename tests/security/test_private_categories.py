"""Reports about a person (private categories: population documents, social aid) must not be
placed finer than their snapped point: the node of the 500 m Web Mercator grid nearest to them,
the point the analytics tiles already draw them at.

Each test is the penetration test's attack, as the attacker sent it: halving the public list's
`bbox` (anonymous), triangulating with locate's and the create response's similar reports
(anonymous), intersecting the planner's grid cells of many sizes, and reading DBSCAN clusters.
The true points below lie about 240 m from their grid node, so an attack that recovers anything
finer than the snapping lands far from the node and near the true point.
"""

from __future__ import annotations

import json
import math

import pytest
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.db import connection
from pyproj import Transformer

from fieldops.models import Category, Complaint
from tests.conftest import login, make_complaint

SNAP_M = 500.0  # the snapping of private categories, in Web Mercator units
TO_3857 = Transformer.from_crs(4326, 3857, always_xy=True)
TO_4326 = Transformer.from_crs(3857, 4326, always_xy=True)
TO_UTM = Transformer.from_crs(3857, 32748, always_xy=True)
HALF_WORLD = 20037508.342789244
Z18_CELL = 40075016.685578488 / 2**18

# A grid node in Karawaci and precise points in its snapping cell (offsets in Web Mercator units,
# each under 250 so the points snap to the node).
NODE_3857 = (11868000.0, -689500.0)


def near_node(dx: float, dy: float) -> tuple[float, float]:
    lon, lat = TO_4326.transform(NODE_3857[0] + dx, NODE_3857[1] + dy)
    return round(lon, 7), round(lat, 7)


P1 = near_node(180, -160)
P2 = near_node(-200, 120)
NODE = TO_4326.transform(*NODE_3857)


def snapped(lonlat) -> tuple[float, float]:
    """The snapped point (lon, lat) of a private report, computed independently of the app."""
    x, y = TO_3857.transform(*lonlat)
    return TO_4326.transform(round(x / SNAP_M) * SNAP_M, round(y / SNAP_M) * SNAP_M)


def meters(a, b) -> float:
    """Ground distance between two (lon, lat) points a few hundred meters apart."""
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111320 * math.cos(lat), (a[1] - b[1]) * 110574)


def test_the_test_points_share_one_snapping_cell_far_from_it():
    assert snapped(P1) == pytest.approx(NODE, abs=1e-9) and snapped(P2) == pytest.approx(NODE, abs=1e-9)
    assert meters(P1, NODE) > 200 and meters(P2, NODE) > 200 and meters(P1, P2) > 400


# ---------------------------------------------------------------- the halving attack (anonymous)


def _listed(client, code: str, box) -> bool:
    r = client.get("/api/v1/complaints/", {"category": "adminduk", "bbox": ",".join(repr(v) for v in box)})
    assert r.status_code == 200, r.content
    return code in {f["id"] for f in r.json()["features"]}


def halving_attack(client, code: str, box, steps: int = 48):
    """Halve the box (longer side first) and keep the half that still lists the complaint."""
    for _ in range(steps):
        x1, y1, x2, y2 = box
        if x2 - x1 >= y2 - y1:
            mid = (x1 + x2) / 2
            halves = [(x1, y1, mid, y2), (mid, y1, x2, y2)]
        else:
            mid = (y1 + y2) / 2
            halves = [(x1, y1, x2, mid), (x1, mid, x2, y2)]
        if not (x1 < mid < x2 or y1 < mid < y2):
            break  # the box stopped shrinking (float precision)
        for half in halves:
            if _listed(client, code, half):
                box = half
                break
        else:
            break
    return box


@pytest.mark.django_db
def test_halving_the_public_bbox_recovers_only_the_snapped_point(city, api):
    first = make_complaint(lonlat=P1, category="adminduk").complaint
    second = make_complaint(lonlat=P2, category="adminduk", description="KK belum dicetak").complaint
    start = (106.55, -6.25, 106.70, -6.10)
    assert _listed(api, first.tracking_code, start) and _listed(api, second.tracking_code, start)
    assert _listed(api, first.tracking_code, (-180.0, -90.0, 180.0, 90.0))

    boxes = [halving_attack(api, c.tracking_code, start) for c in (first, second)]
    for box, true_point in zip(boxes, (P1, P2)):
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        # The attacker ends at the snapped point, never near the report's own point.
        assert meters(centre, NODE) < 1.0, (box, NODE)
        assert meters(centre, true_point) > 200
        assert not Polygon.from_bbox(box).covers(Point(*true_point))
    # Two reports at different points of one cell answer every box alike: the set of boxes that
    # list a private report is determined by its snapped point alone.
    assert boxes[0] == boxes[1]
    # A box around the true point that leaves the node out lists nothing.
    around = (P1[0] - 0.0005, P1[1] - 0.0005, P1[0] + 0.0005, P1[1] + 0.0005)
    assert not _listed(api, first.tracking_code, around)


@pytest.mark.django_db
def test_staff_who_see_the_row_keep_the_exact_bbox(city, api):
    """The operator handles the report and sees its exact point: the staff list's bbox stays exact."""
    c = make_complaint(lonlat=P1, category="adminduk").complaint
    around = ",".join(repr(v) for v in (P1[0] - 0.0005, P1[1] - 0.0005, P1[0] + 0.0005, P1[1] + 0.0005))
    login(api, "operator")
    r = api.get("/api/v1/ops/complaints/", {"bbox": around})
    assert r.status_code == 200, r.content
    assert [row["tracking_code"] for row in r.json()["results"]] == [c.tracking_code]
    assert r.json()["results"][0]["location"]["coordinates"] == [P1[0], P1[1]]


# ---------------------------------------------------------------- triangulation by distance (anonymous)


@pytest.mark.django_db
def test_locate_names_no_distance_nor_description_of_private_reports(city, api):
    secret = "Bantuan PKH belum cair untuk keluarga Bu Sri"
    c = make_complaint(lonlat=P1, category="social-aid", description=secret).complaint
    lat0 = P1[1]
    for dx, dy in [(0, 0), (15, 0), (0, 15), (-20, -20), (30, 10), (0, -40)]:
        lon = round(P1[0] + dx / (111320 * math.cos(math.radians(lat0))), 7)
        lat = round(P1[1] + dy / 110574, 7)
        r = api.get("/api/v1/locate/", {"lat": lat, "lon": lon, "category": "social-aid"})
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["in_service_area"] is True
        assert body["similar_nearby"] == []
        text = r.content.decode()
        assert c.tracking_code not in text and secret[:40] not in text and "distance_m" not in text


@pytest.mark.django_db
def test_the_create_response_names_no_nearby_private_report(city, api):
    """Posting a report at a guessed point must not tell whether a private report lies within 50 m."""
    c = make_complaint(lonlat=P1, category="adminduk").complaint
    r = api.post("/api/v1/complaints/", {"category": "adminduk", "description": "Akta kelahiran belum jadi",
                                         "location": {"lat": P1[1], "lon": P1[0]}}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["similar_nearby"] == []
    assert c.tracking_code not in r.content.decode()


# ---------------------------------------------------------------- the planner's grid intersection


def grid_intersection(api, shape: str):
    """Intersect the non-empty cells of 16 grids, 50 m to 107 m: where the report must lie."""
    area = None
    for i in range(16):
        size = round(50 + i * 57 / 15, 2)
        r = api.get("/api/v1/analytics/grid/", {"shape": shape, "size_m": size, "category": "adminduk"})
        assert r.status_code == 200, r.content
        cells = [GEOSGeometry(json.dumps(f["geometry"])) for f in json.loads(r.content)["features"]
                 if f["properties"]["count"]]
        assert len(cells) == 1
        area = cells[0] if area is None else area.intersection(cells[0])
    return area


@pytest.mark.django_db
@pytest.mark.parametrize("shape", ["square", "hex"])
def test_planner_grid_intersection_recovers_only_the_snapped_point(city, api, shape):
    c = make_complaint(lonlat=P1, category="adminduk").complaint
    login(api, "planner")
    first = grid_intersection(api, shape)
    assert not first.empty
    assert first.buffer(1e-7).covers(Point(*NODE))
    assert not first.buffer(1e-6).covers(Point(*P1))
    assert meters(first.centroid.coords, P1) > 200
    # The report moved within its cell: the planner's answers do not change.
    Complaint.objects.filter(pk=c.pk).update(location=Point(*P2, srid=4326))
    second = grid_intersection(api, shape)
    assert second.equals_exact(first, 1e-9)


@pytest.mark.django_db
def test_analytics_facts_of_private_reports_hold_only_snapped_places(city):
    from analytics.models import ComplaintFact, TileCell
    from analytics.services import analytics_settings_sync, metric_srid

    srid = metric_srid()
    assert srid == 32748
    c = make_complaint(lonlat=P1, category="adminduk").complaint
    public = make_complaint(lonlat=P2, category="garbage").complaint
    ux, uy = TO_UTM.transform(*NODE_3857)

    def assert_snapped(fact):
        assert (fact.geom.x, fact.geom.y) == pytest.approx(NODE_3857, abs=1e-6)
        assert (fact.x, fact.y) == pytest.approx((ux, uy), abs=1e-3)
        with connection.cursor() as cur:
            cur.execute("SELECT analytics_hex_ij(%s, %s, 500)", [ux, uy])
            assert [fact.hex500_i, fact.hex500_j] == cur.fetchone()[0]

    assert_snapped(ComplaintFact.objects.get(complaint_id=c.pk))
    tx = math.floor((NODE_3857[0] + HALF_WORLD) / Z18_CELL)
    ty = math.floor((HALF_WORLD - NODE_3857[1]) / Z18_CELL)
    assert TileCell.objects.get(tx=tx, ty=ty).n == 1
    ex, ey = TO_3857.transform(*P1)
    true_cell = (math.floor((ex + HALF_WORLD) / Z18_CELL), math.floor((HALF_WORLD - ey) / Z18_CELL))
    assert true_cell != (tx, ty)
    assert not TileCell.objects.filter(tx=true_cell[0], ty=true_cell[1], n__gt=0).exists()

    # Re-deriving the metric coordinates (a new SRID or time zone) keeps them snapped.
    analytics_settings_sync(srid=32749)
    analytics_settings_sync(srid=32748)
    assert_snapped(ComplaintFact.objects.get(complaint_id=c.pk))
    # A moved report and a report moved into a private category are snapped too.
    Complaint.objects.filter(pk=c.pk).update(location=Point(*P2, srid=4326))
    assert_snapped(ComplaintFact.objects.get(complaint_id=c.pk))
    Complaint.objects.filter(pk=public.pk).update(category=Category.objects.get(slug="social-aid"))
    assert_snapped(ComplaintFact.objects.get(complaint_id=public.pk))
    assert TileCell.objects.get(tx=tx, ty=ty).n == 2


@pytest.mark.django_db
def test_a_category_made_private_snaps_its_facts_and_back(city):
    from analytics.models import ComplaintFact, TileCell
    from analytics.services import metric_srid

    assert metric_srid() == 32748
    c = make_complaint(lonlat=P1, category="garbage").complaint
    ex, ey = TO_3857.transform(*P1)
    fact = ComplaintFact.objects.get(complaint_id=c.pk)
    assert (fact.geom.x, fact.geom.y) == pytest.approx((ex, ey), abs=1e-3)
    Category.objects.filter(slug="garbage").update(is_private=True)
    fact = ComplaintFact.objects.get(complaint_id=c.pk)
    assert (fact.geom.x, fact.geom.y) == pytest.approx(NODE_3857, abs=1e-6)
    assert (fact.x, fact.y) == pytest.approx(TO_UTM.transform(*NODE_3857), abs=1e-3)
    tx = math.floor((NODE_3857[0] + HALF_WORLD) / Z18_CELL)
    ty = math.floor((HALF_WORLD - NODE_3857[1]) / Z18_CELL)
    assert TileCell.objects.get(tx=tx, ty=ty).n == 1
    assert sum(TileCell.objects.values_list("n", flat=True)) == 1
    Category.objects.filter(slug="garbage").update(is_private=False)
    fact = ComplaintFact.objects.get(complaint_id=c.pk)
    assert (fact.geom.x, fact.geom.y) == pytest.approx((ex, ey), abs=1e-3)
    assert (fact.x, fact.y) == pytest.approx(Transformer.from_crs(4326, 32748, always_xy=True).transform(*P1), abs=1e-3)
    assert TileCell.objects.get(tx=tx, ty=ty).n == 0
    assert sum(TileCell.objects.values_list("n", flat=True)) == 1


# ---------------------------------------------------------------- clusters


@pytest.mark.django_db
def test_clusters_place_private_reports_only_at_their_snapped_point(city, api):
    points = [near_node(150, 150), near_node(200, 100), near_node(120, 200)]
    for p in points:
        make_complaint(lonlat=p, category="adminduk")
    login(api, "planner")
    for eps in (100, 150):
        r = api.get("/api/v1/analytics/clusters/", {"eps_m": eps, "min_points": 3, "category": "adminduk"})
        assert r.status_code == 200, r.content
        feats = json.loads(r.content)["features"]
        assert len(feats) == 1 and feats[0]["properties"]["count"] == 3
        centroid = feats[0]["properties"]["centroid"]["coordinates"]
        assert meters(centroid, NODE) < 1.0
        hull = GEOSGeometry(json.dumps(feats[0]["geometry"]))
        for vertex in hull.coords[0]:
            assert meters(vertex, NODE) < 12
        for p in points:
            assert meters(centroid, p) > 200 and not hull.covers(Point(*p))


@pytest.mark.django_db(transaction=True)
def test_the_migration_snaps_private_facts_the_old_triggers_stored_exactly(city):
    """Facts written before migration 0007 (exact x/y, hex cell) are re-placed by it."""
    from django.db.migrations.executor import MigrationExecutor

    from analytics.models import ComplaintFact
    from analytics.services import metric_srid

    def migrate(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([target])

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("analytics")[0]
    assert metric_srid() == 32748
    migrate(("analytics", "0006_area_rollup"))
    try:
        c = make_complaint(lonlat=P1, category="adminduk").complaint
        # Only the columns 0006 had (later migrations add others, such as government_id).
        old = ComplaintFact.objects.only("x", "y").get(complaint_id=c.pk)
        assert (old.x, old.y) == pytest.approx(Transformer.from_crs(4326, 32748, always_xy=True).transform(*P1),
                                               abs=1e-3)
    finally:
        migrate(latest)
    fact = ComplaintFact.objects.get(complaint_id=c.pk)
    ux, uy = TO_UTM.transform(*NODE_3857)
    assert (fact.x, fact.y) == pytest.approx((ux, uy), abs=1e-3)
    assert (fact.geom.x, fact.geom.y) == pytest.approx(NODE_3857, abs=1e-6)
    with connection.cursor() as cur:
        cur.execute("SELECT analytics_hex_ij(%s, %s, 500)", [ux, uy])
        assert [fact.hex500_i, fact.hex500_j] == cur.fetchone()[0]

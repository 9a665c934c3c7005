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

import math

import pytest
from django.contrib.gis.geos import Point, Polygon
from pyproj import Transformer

from tests.conftest import login, make_complaint

SNAP_M = 500.0  # the snapping of private categories, in Web Mercator units
TO_3857 = Transformer.from_crs(4326, 3857, always_xy=True)
TO_4326 = Transformer.from_crs(3857, 4326, always_xy=True)

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

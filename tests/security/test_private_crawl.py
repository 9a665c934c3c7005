"""Crawl every public face for one private-category complaint: nothing finer than its snapping.

The complaint of tests/hardening/test_privacy_crawl.py about population documents (adminduk) is
crawled through the REST list (with bbox filters), detail and events, locate, Open311 JSON and
XML, the public pages, its public socket and its photo, and as a planner through grids, clusters,
tiles and exports. Then it is moved to another precise point of the same snapping cell and the
crawl is repeated: every answer must be the same, because a face that places a private report
by anything finer than its snapped point answers differently for two points of one cell. Neither
point's coordinates may appear anywhere.
"""

from __future__ import annotations

import difflib
import io
import json
import math
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.test import Client
from PIL import Image

from fieldops import proof
from fieldops.models import Complaint
from tests.hardening.test_privacy_crawl import PRIVATE_LONLAT, _exif_jpeg, lived_complaints  # noqa: F401 (fixture)
from tests.support.sockets import public_socket_messages
from tests.support.worker import media_jobs_run

# The same snapping cell as PRIVATE_LONLAT (node 106.6120579, -6.1818550), about 360 m away:
# its mirror image through the node in Web Mercator.
MOVED_LONLAT = (106.6117701, -6.1802532)
NODE = (106.6120579193048, -6.181854974022757)


def meters(a, b) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111320 * math.cos(lat), (a[1] - b[1]) * 110574)


def box(lonlat, half_deg):
    return ",".join(f"{v:.7f}" for v in (lonlat[0] - half_deg, lonlat[1] - half_deg,
                                          lonlat[0] + half_deg, lonlat[1] + half_deg))


def coordinate_patterns(lonlat) -> list[re.Pattern]:
    """The point's coordinates as a response could print them, rounded or cut to 7 or 6 decimals.

    Coarser prints collide with boundary vertices (the areas are drawn to 5 decimals); the
    moved-point comparison catches a coarser leak instead."""
    out = []
    for digits in (7, 6):
        for v in lonlat:
            for text in {f"{v:.{digits}f}", f"{math.trunc(v * 10**digits) / 10**digits:.{digits}f}"}:
                out.append(re.compile(r"(?<![\d.])" + re.escape(text) + r"(?!\d)"))
    return out


# Per-request tokens in pages and TileJSON, not about the complaint.
VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken" value="-"'),
    (re.compile(r'nonce="[^"]+"'), 'nonce="-"'),
    (re.compile(r'"csrfToken":\s*"[^"]+"'), '"csrfToken": "-"'),
    # When /statistik/'s figures were counted (its cache is cleared between the two crawls).
    (re.compile(r'<p class="an-asof">.*?</p>', re.S), '<p class="an-asof">-</p>'),
]


def _normal(text: str) -> str:
    for pattern, repl in VOLATILE:
        text = pattern.sub(repl, text)
    return text


def _faces(private: Complaint) -> list[str]:
    code = private.tracking_code
    split = f"{min(PRIVATE_LONLAT[0], MOVED_LONLAT[0]) - 0.001:.7f},{-6.19:.7f}," \
            f"{(PRIVATE_LONLAT[0] + MOVED_LONLAT[0]) / 2:.7f},{-6.17:.7f}"
    urls = [
        "/api/v1/complaints/", "/api/v1/complaints/?category=adminduk",
        f"/api/v1/complaints/{code}/", f"/api/v1/complaints/{code}/events/",
        "/api/v1/complaints/?category=adminduk&bbox=106.55,-6.25,106.70,-6.10",
        f"/api/v1/complaints/?category=adminduk&bbox={box(PRIVATE_LONLAT, 0.0004)}",
        f"/api/v1/complaints/?category=adminduk&bbox={box(MOVED_LONLAT, 0.0004)}",
        f"/api/v1/complaints/?category=adminduk&bbox={box(NODE, 0.0004)}",
        f"/api/v1/complaints/?category=adminduk&bbox={split}",
        "/open311/v2/requests.json?extensions=true", "/open311/v2/requests.xml?extensions=true",
        f"/open311/v2/requests/{code}.json?extensions=true", f"/open311/v2/requests/{code}.xml?extensions=true",
        "/", f"/lacak/{code}/", f"/lacak/{code}/?fragment=1", "/peta/", "/transparansi/", "/statistik/",
    ]
    # Around the points (locate echoes the point asked about), within 50 m of them.
    for lonlat in (PRIVATE_LONLAT, MOVED_LONLAT, NODE):
        for dx, dy in ((0.0001, 0.0001), (0.0003, -0.0002)):
            urls.append(f"/api/v1/locate/?lat={lonlat[1] + dy:.7f}&lon={lonlat[0] + dx:.7f}&category=adminduk")
    return urls


PLANNER_FACES = [
    "/api/v1/analytics/areas/?level=kelurahan", "/api/v1/analytics/summary/", "/api/v1/analytics/timeseries/",
    "/api/v1/analytics/grid/?shape=hex&size_m=500", "/api/v1/analytics/grid/?shape=square&size_m=50",
    "/api/v1/analytics/grid/?shape=hex&size_m=73&category=adminduk",
    "/api/v1/analytics/grid/?shape=square&size_m=107&category=adminduk",
    "/api/v1/analytics/clusters/?eps_m=100&min_points=3",
    "/api/v1/analytics/clusters/?eps_m=1&min_points=3&category=adminduk",
    "/api/v1/analytics/export/?format=csv", "/api/v1/analytics/export/?format=geojson",
    f"/api/v1/analytics/export/?format=csv&bbox={box(PRIVATE_LONLAT, 0.0004)}",
    f"/api/v1/analytics/grid/?shape=square&size_m=50&bbox={box(NODE, 0.0004)}",
]


def _tile_faces() -> list[str]:
    urls = []
    for lonlat in (PRIVATE_LONLAT, MOVED_LONLAT, NODE):
        for z in (12, 14, 16, 18):
            x = int((lonlat[0] + 180) / 360 * 2**z)
            y = int((1 - math.asinh(math.tan(math.radians(lonlat[1]))) / math.pi) / 2 * 2**z)
            urls += [f"/api/v1/tiles/complaints/{z}/{x}/{y}.pbf", f"/api/v1/tiles/complaints/{z}/{x}/{y}.pbf?category=adminduk"]
    return urls


def _body(r) -> bytes:
    return b"".join(r.streaming_content) if r.streaming else r.content


def crawl(private: Complaint) -> dict[str, str]:
    """Every public face (and the planner's) of the private complaint, as text."""
    import mapbox_vector_tile
    from django.core.cache import caches

    for alias in ("default", "tiles"):
        caches[alias].clear()  # answers are cached for a minute: read them fresh
    out: dict[str, str] = {}
    anon = Client()
    for url in _faces(private):
        r = anon.get(url)
        assert r.status_code == 200, (url, r.status_code)
        out[url] = _normal(_body(r).decode())
    planner = Client()
    planner.force_login(get_user_model().objects.get(username="planner"))
    for url in PLANNER_FACES:
        r = planner.get(url)
        assert r.status_code == 200, (url, r.status_code)
        out["planner " + url] = _body(r).decode()
    for url in _tile_faces():
        r = planner.get(url)
        assert r.status_code == 200, (url, r.status_code)
        out["planner " + url] = json.dumps(mapbox_vector_tile.decode(r.content) if r.content else {}, sort_keys=True)

    messages = public_socket_messages(private.tracking_code)
    assert messages, "the public socket replays the complaint's public events"
    out["public socket"] = "\n".join(messages)

    # Media: the public copies of the report's photo (taken with GPS at the report's point).
    detail = anon.get(f"/api/v1/complaints/{private.tracking_code}/").json()
    assert detail["photos"]
    for photo in private.photos.all():
        for f in (photo.public, photo.thumb):
            assert f.name in json.dumps(detail["photos"])
            with f.open("rb") as fh:
                data = fh.read()
            img = Image.open(io.BytesIO(data))
            assert not img.getexif(), f"public photo {f.name} carries EXIF"
            out["media " + f.name] = data.hex()
    return out


@pytest.mark.django_db(transaction=True)
def test_no_public_face_places_a_private_report_finer_than_its_snapping(lived_complaints):
    public, private = lived_complaints
    operator = get_user_model().objects.get(username="operator")
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("laporan.jpg", _exif_jpeg(*PRIVATE_LONLAT), "image/jpeg")
    proof.photo_add(complaint=private, kind="report", image=image, actor=operator)
    media_jobs_run()  # the worker makes the public copy the crawl reads
    private = Complaint.objects.get(pk=private.pk)
    assert meters(PRIVATE_LONLAT, MOVED_LONLAT) > 300 and meters(PRIVATE_LONLAT, NODE) > 150

    before = crawl(private)
    Complaint.objects.filter(pk=private.pk).update(location=Point(*MOVED_LONLAT, srid=4326))
    after = crawl(private)

    assert before.keys() == after.keys()
    changed = [face for face in before if before[face] != after[face]]
    assert not changed, (
        "These faces changed when the private report moved within its snapping cell:\n" + "\n".join(changed)
        + "\n\nThe first one:\n"
        + "\n".join(difflib.unified_diff(before[changed[0]].splitlines(), after[changed[0]].splitlines(),
                                         lineterm="", n=1))[:3000]
    )
    leaks = coordinate_patterns(PRIVATE_LONLAT) + coordinate_patterns(MOVED_LONLAT)
    for face in before:
        for text in (before[face], after[face]):
            for coord in leaks:
                assert not coord.search(text), f"{face} shows {coord.pattern}, a coordinate of the private report"

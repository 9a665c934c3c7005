"""Crawl every public face for the test reporter's contact and a private category's location.

A complaint goes through its whole life (with photos carrying EXIF GPS), then every public
response — REST, Open311 JSON and XML, vector tiles, exports and analytics as a planner, the
public web pages and the public socket — is searched for the reporter's name, phone and email.
"""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from PIL import Image

from fieldops import proof, workflow
from fieldops.models import Complaint, Crew
from tests.conftest import CITY_HALL, make_complaint
from tests.support.sockets import public_socket_messages
from tests.support.worker import media_jobs_run

NAME, PHONE, EMAIL = "Rahasia Wijayakusuma", "081377788899", "rahasia.pelapor@example.id"
SECRETS = [NAME, PHONE, EMAIL, PHONE[1:], "Wijayakusuma"]
# A private-category report (population documents) at a precise spot.
PRIVATE_LONLAT = (106.6123457, -6.1834567)


def _exif_jpeg(lon, lat) -> bytes:
    img = Image.new("RGB", (64, 48), (90, 90, 90))
    exif = Image.Exif()
    gps = {1: "S" if lat < 0 else "N", 2: _dms(abs(lat)), 3: "E", 4: _dms(abs(lon))}
    exif[0x8825] = gps
    exif[0x0110] = "Pelapor Phone Model X"
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _dms(value):
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (d, m, s)


def _assert_clean(label: str, text: str, *, private_coords: bool = True):
    for secret in SECRETS:
        assert secret not in text, f"{label} leaks {secret!r}"
    if private_coords:
        for coord in ("106.6123457", "-6.1834567", "106.612345", "-6.183456"):
            assert coord not in text, f"{label} leaks the private complaint's exact location"


@pytest.fixture
def lived_complaints(city, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    User = get_user_model()
    operator, crew_member = User.objects.get(username="operator"), User.objects.get(username="sigap1")
    crew = Crew.objects.get(name="Tim Sigap PUPR 1")
    kw = dict(reporter_name=NAME, reporter_phone=PHONE, reporter_email=EMAIL)
    public = make_complaint(lonlat=CITY_HALL, category="roads", **kw).complaint
    private = make_complaint(lonlat=PRIVATE_LONLAT, category="adminduk", description="KTP belum jadi", **kw).complaint
    workflow.complaint_verify(complaint=public, actor=operator)
    workflow.complaint_assign(complaint=public, actor=operator, crew=crew)
    workflow.complaint_start(complaint=public, actor=crew_member)
    for kind in ("before", "after"):
        image = SimpleUploadedFile(f"{kind}.jpg", _exif_jpeg(CITY_HALL[0] + 0.0001, CITY_HALL[1]), "image/jpeg")
        proof.photo_add(complaint=public, kind=kind, image=image, actor=crew_member)
    workflow.complaint_resolve(complaint=public, actor=crew_member, note="Sudah ditambal")
    media_jobs_run()  # the worker makes the public copies the crawl reads
    return Complaint.objects.get(pk=public.pk), Complaint.objects.get(pk=private.pk)


@pytest.mark.django_db(transaction=True)
def test_no_public_face_leaks_reporter_contact_or_private_locations(lived_complaints, api):
    public, private = lived_complaints
    anon = Client()
    urls = [
        "/api/v1/complaints/", f"/api/v1/complaints/{public.tracking_code}/", f"/api/v1/complaints/{private.tracking_code}/",
        f"/api/v1/complaints/{public.tracking_code}/events/", f"/api/v1/complaints/{private.tracking_code}/events/",
        "/api/v1/complaints/?category=adminduk",
        f"/api/v1/locate/?lat={CITY_HALL[1]}&lon={CITY_HALL[0]}&category=roads",
        "/open311/v2/requests.json?extensions=true", "/open311/v2/requests.xml?extensions=true",
        f"/open311/v2/requests/{public.tracking_code}.json", f"/open311/v2/requests/{private.tracking_code}.xml",
        "/", f"/lacak/{public.tracking_code}/", f"/lacak/{private.tracking_code}/", "/peta/", "/transparansi/",
        "/statistik/",
    ]
    for url in urls:
        r = anon.get(url)
        assert r.status_code == 200, (url, r.status_code)
        _assert_clean(url, r.content.decode(errors="replace"))

    # Public photos carry no EXIF (GPS or phone model).
    detail = anon.get(f"/api/v1/complaints/{public.tracking_code}/").json()
    kinds = {p["kind"] for p in detail["photos"]}
    assert {"before", "after"} <= kinds
    for photo in public.photos.all():
        for f in (photo.public, photo.thumb):
            with f.open("rb") as fh:
                img = Image.open(io.BytesIO(fh.read()))
                assert not img.getexif(), f"public photo {f.name} carries EXIF"
                assert b"Pelapor Phone Model" not in fh.read()

    # A planner sees aggregates, tiles and exports, never contact or private exact points.
    planner = Client()
    planner.force_login(get_user_model().objects.get(username="planner"))
    for url in ["/api/v1/analytics/areas/?level=kelurahan", "/api/v1/analytics/summary/", "/api/v1/analytics/timeseries/",
                "/api/v1/analytics/clusters/?eps_m=100&min_points=3", "/api/v1/analytics/grid/?shape=hex&size_m=500",
                "/api/v1/analytics/export/?format=csv", "/api/v1/analytics/export/?format=geojson"]:
        r = planner.get(url)
        assert r.status_code == 200, (url, r.status_code)
        body = b"".join(r.streaming_content) if r.streaming else r.content
        _assert_clean(url, body.decode(errors="replace"))
    import math

    import mapbox_vector_tile

    for z in (12, 14, 16):
        lon, lat = PRIVATE_LONLAT
        x = int((lon + 180) / 360 * 2**z)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
        r = planner.get(f"/api/v1/tiles/complaints/{z}/{x}/{y}.pbf")
        assert r.status_code in (200, 204)
        if r.status_code == 200 and r.content:
            tile = mapbox_vector_tile.decode(r.content)
            _assert_clean(f"tile {z}", json.dumps(tile, default=str))

    # The public socket of the complaint never carries contact.
    messages = public_socket_messages(public.tracking_code, quiet_s=1.5)
    assert any('"resolved"' in m or '"status"' in m for m in messages)
    _assert_clean("public socket", "\n".join(messages))

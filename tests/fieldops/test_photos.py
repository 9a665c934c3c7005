"""Photo uploads with real JPEGs: EXIF GPS first, the 100 m rule, orientation, EXIF stripping, bad files.

The public copy and thumbnail are made by the media job after the upload (answered `processing`):
these tests run it as a worker would (`media_jobs_run`)."""

import io
import struct
import zlib
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from fieldops.models import ComplaintEvent, Photo
from tests.conftest import CITY_HALL
from tests.fieldops.wf_helpers import act, as_user, complaint_in, gps_jpeg, offset, upload
from tests.support.worker import media_jobs_run

pytestmark = pytest.mark.django_db


def public_image(photo: Photo) -> Image.Image:
    with photo.public.open("rb") as f:
        return Image.open(io.BytesIO(f.read()))


def png_bomb(width=30000, height=30000) -> bytes:
    """A tiny PNG whose header claims 900 million pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_exif_gps_inside_the_radius_is_accepted_with_its_distance(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    # The browser says somewhere else: EXIF GPS wins.
    far_browser = offset(CITY_HALL, north_m=900)
    r = upload(api, c.tracking_code, "before", gps_jpeg(offset(CITY_HALL, north_m=40)),
               lon=far_browser[0], lat=far_browser[1], accuracy=8, client_id="cam-1")
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["location_source"] == "exif" and 35 <= d["distance_m"] <= 45 and d["within_radius"] is True
    assert (d["tracking_code"], d["status"], d["status_color"]) == (c.tracking_code, "in_progress", "yellow")
    photo = Photo.objects.get(pk=d["id"])
    assert photo.accuracy_m == 8 and photo.uploaded_by.username == "sigap1"
    ev = ComplaintEvent.objects.filter(complaint=c).last()
    assert ev.type == "photo" and ev.data["kind"] == "before" and ev.location is not None


def test_exif_gps_500_m_away_is_refused_with_the_distance(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    r = upload(api, c.tracking_code, "after", gps_jpeg(offset(CITY_HALL, north_m=500)))
    assert r.status_code == 400
    body = r.json()
    assert 490 <= body["distance_m"] <= 510
    msg = body["image"][0]
    assert msg.startswith(f"The after photo was taken {round(body['distance_m'])} m from the complaint")
    assert "the limit is 100 m" in msg
    assert not Photo.objects.filter(complaint=c).exists()
    assert act(api, c.tracking_code, "resolve").json()["after"] == ["A after photo is required."]


def test_no_exif_but_browser_coordinates_are_accepted(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    near = offset(CITY_HALL, east_m=20)
    r = upload(api, c.tracking_code, "after", gps_jpeg(None), lon=near[0], lat=near[1])
    assert r.status_code == 201, r.content
    assert r.json()["location_source"] == "browser" and 15 <= r.json()["distance_m"] <= 25
    # Without any location a site photo proves nothing.
    r = upload(api, c.tracking_code, "before", gps_jpeg(None))
    assert r.status_code == 400 and "no location" in r.json()["image"][0]


def test_photo_taken_before_the_complaint_is_refused(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    old = timezone.localtime(c.created_at - timedelta(days=3)).replace(tzinfo=None)
    r = upload(api, c.tracking_code, "before", gps_jpeg(CITY_HALL, taken=old))
    assert r.status_code == 400 and "before the complaint was created" in r.json()["image"][0]
    fresh = timezone.localtime(timezone.now()).replace(tzinfo=None)
    assert upload(api, c.tracking_code, "before", gps_jpeg(CITY_HALL, taken=fresh)).status_code == 201


def test_portrait_with_exif_orientation_is_upright_in_public_copy_without_exif(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    # Stored landscape 80x40 with orientation 6 (rotate 90° clockwise to view): a portrait photo.
    # The stored left edge (green) becomes the top when displayed upright.
    raw = Image.new("RGB", (80, 40), (200, 30, 30))
    for x in range(16):
        for y in range(40):
            raw.putpixel((x, y), (0, 200, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (6.0, 10.0, 40.8), "E", (106.0, 38.0, 24.0)
    buf = io.BytesIO()
    raw.save(buf, format="JPEG", exif=exif, quality=95)
    r = upload(api, c.tracking_code, "before", buf.getvalue())
    assert r.status_code == 201, r.content
    # Answered before the copies exist: no public file yet, the upright size already known.
    d = r.json()
    assert (d["state"], d["url"], d["thumb_url"], d["width"], d["height"]) == ("processing", None, None, 40, 80)
    assert not Photo.objects.get(pk=d["id"]).public
    assert media_jobs_run() == ["ready"]
    photo = Photo.objects.get(pk=r.json()["id"])
    assert (photo.state, photo.width, photo.height) == ("ready", 40, 80)
    pub = public_image(photo)
    assert pub.size == (40, 80)  # portrait
    top = pub.getpixel((20, 3))
    bottom = pub.getpixel((20, 76))
    assert top[1] > 150 and top[0] < 80, top  # green on top: upright
    assert bottom[0] > 150 and bottom[1] < 80, bottom
    assert len(pub.getexif()) == 0 and "exif" not in pub.info
    with photo.thumb.open("rb") as f:
        thumb = Image.open(io.BytesIO(f.read()))
    assert len(thumb.getexif()) == 0 and thumb.height > thumb.width
    # The private original keeps its EXIF (evidence), and the API never links it.
    with photo.original.open("rb") as f:
        assert Image.open(io.BytesIO(f.read())).getexif().get_ifd(0x8825)
    assert "private" not in r.content.decode()


def test_decompression_bomb_and_text_named_jpg_are_refused(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    r = upload(api, c.tracking_code, "before", png_bomb(), name="bomb.png", lon=CITY_HALL[0], lat=CITY_HALL[1])
    assert r.status_code == 400 and "too many pixels" in r.json()["image"][0]
    r = upload(api, c.tracking_code, "before", b"this is not a photo\n" * 50, name="foto.jpg",
               lon=CITY_HALL[0], lat=CITY_HALL[1])
    assert r.status_code == 400
    assert r.json() == {"image": ["The file is not a photo (JPEG, PNG, WebP) or a video (MP4, MOV, WebM)."]}
    assert not Photo.objects.filter(complaint=c).exists()


def test_files_over_the_size_limit_are_refused(city, api, settings):
    settings.PHOTO_MAX_BYTES = 2000
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    big = gps_jpeg(CITY_HALL, size=(400, 400))
    assert len(big) > 2000
    r = upload(api, c.tracking_code, "before", big)
    assert r.status_code == 400 and "larger than" in r.json()["image"][0]


def test_repeated_client_id_returns_the_first_photo(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    first = upload(api, c.tracking_code, "before", gps_jpeg(CITY_HALL), client_id="retry-7")
    again = upload(api, c.tracking_code, "before", gps_jpeg(offset(CITY_HALL, north_m=30)), client_id="retry-7")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["url"] == first.json()["url"]
    assert Photo.objects.filter(complaint=c).count() == 1
    assert ComplaintEvent.objects.filter(complaint=c, type="photo").count() == 1


def test_reporter_adds_report_photos_with_the_token_only(city, api):
    c, token = complaint_in("verified", crew_name=None)
    r = upload(api, c.tracking_code, "report", gps_jpeg(None), reporter_token=token)
    assert r.status_code == 201, r.content
    assert "location" not in r.json()
    r = upload(api, c.tracking_code, "after", gps_jpeg(CITY_HALL), reporter_token=token)
    assert r.status_code == 400 and r.json() == {"kind": ["Reporters may only add photos of kind 'report'."]}
    r = upload(api, c.tracking_code, "report", gps_jpeg(None), reporter_token="wrong")
    assert r.status_code == 403
    assert Photo.objects.filter(complaint=c).count() == 1


def test_resolved_complaint_shows_public_before_after_without_exif_or_crew_names(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    upload(api, c.tracking_code, "before", gps_jpeg(offset(CITY_HALL, north_m=10)))
    upload(api, c.tracking_code, "after", gps_jpeg(offset(CITY_HALL, north_m=12)))
    # A photo proves the work while its copies are made (its place was read at upload).
    assert act(api, c.tracking_code, "resolve", note="Sudah ditambal").json()["status"] == "resolved"
    api.force_authenticate(user=None)
    waiting = api.get(f"/api/v1/complaints/{c.tracking_code}/").json()
    assert {(p["state"], p["url"]) for p in waiting["photos"]} == {("processing", None)}
    page = api.get(f"/lacak/{c.tracking_code}/").content.decode()
    proof = page.split('id="lk-proof"')[1].split("</section>")[0]
    assert proof.count('data-media-state="processing"') == 2 and "<img" not in proof
    assert media_jobs_run() == ["ready", "ready"]
    detail = api.get(f"/api/v1/complaints/{c.tracking_code}/")
    body = detail.json()
    assert body["status_color"] == "green" and body["agency"]["code"] == "dpupr"
    urls = {p["kind"]: p["url"] for p in body["photos"]}
    assert set(urls) == {"before", "after"}
    text = detail.content.decode()
    for secret in ("sigap1", "Sigap Satu", "Tim Sigap", "original"):
        assert secret not in text
    for photo in Photo.objects.filter(complaint=c):
        assert len(public_image(photo).getexif()) == 0
        assert urls[photo.kind].endswith(photo.public.url)

"""Helpers for the field-operations tests: real JPEGs with EXIF GPS, actions, photo uploads."""

from __future__ import annotations

import io
import math
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.conftest import CITY_HALL, login, make_complaint

ROLE_USERS = {
    "operator": "operator",
    "agency_staff": "pupr",
    "supervisor": "spv-pupr",
    "crew_member": "sigap1",
    "leader": "leader",
    "planner": "planner",
    "admin": "admin",
}
CREW1 = "Tim Sigap PUPR 1"
CREW2 = "Tim Sigap PUPR 2"


def _dms(value: float):
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return (float(d), float(m), round(s, 4))


def gps_jpeg(lonlat=None, *, taken: datetime | None = None, orientation: int | None = None, size=(64, 48),
             color=(200, 30, 30), draw_top=None) -> bytes:
    """A real JPEG, optionally with EXIF GPS, DateTimeOriginal and an orientation tag."""
    img = Image.new("RGB", size, color)
    if draw_top is not None:  # paint the top fifth in another color to check rotation
        for x in range(size[0]):
            for y in range(size[1] // 5):
                img.putpixel((x, y), draw_top)
    exif = Image.Exif()
    if lonlat is not None:
        gps = exif.get_ifd(0x8825)
        lon, lat = lonlat
        gps[1] = "S" if lat < 0 else "N"
        gps[2] = _dms(lat)
        gps[3] = "W" if lon < 0 else "E"
        gps[4] = _dms(lon)
    if taken is not None:
        exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def offset(lonlat, *, north_m: float = 0.0, east_m: float = 0.0):
    """A point about north_m/east_m meters away (good to a few meters at Tangerang's latitude)."""
    lon, lat = lonlat
    dlat = north_m / 110_574.0
    dlon = east_m / (111_320.0 * math.cos(math.radians(lat)))
    return (lon + dlon, lat + dlat)


def act(api, code: str, action: str, **data):
    return api.post(f"/api/v1/complaints/{code}/{action}/", data=data, format="json")


def upload(api, code: str, kind: str, content: bytes | None = None, name: str = "foto.jpg", **fields):
    content = gps_jpeg(CITY_HALL) if content is None else content
    data = {"kind": kind, "image": SimpleUploadedFile(name, content, content_type="image/jpeg"), **fields}
    return api.post(f"/api/v1/complaints/{code}/photos/", data=data, format="multipart")


def as_user(api, role_or_username: str):
    api.force_authenticate(user=None)
    return login(api, ROLE_USERS.get(role_or_username, role_or_username))


def crew(name: str):
    from fieldops.models import Crew

    return Crew.objects.get(name=name)


def complaint_in(status: str, *, crew_name: str | None = CREW1, lonlat=CITY_HALL, category="roads", **kwargs):
    """A fresh complaint forced into a status (for permission tests, not for workflow tests)."""
    from fieldops.models import Complaint

    created = make_complaint(lonlat=lonlat, category=category, reporter_name="Siti Rahayu",
                             reporter_phone="081211112222", reporter_email="siti.rahasia@example.id", **kwargs)
    c = created.complaint
    Complaint.objects.filter(pk=c.pk).update(status=status, crew=crew(crew_name) if crew_name else None)
    c.refresh_from_db()
    return c, created.reporter_token


def add_site_photos(c, actor=None):
    """Valid before and after photos (browser coordinates at the complaint point)."""
    from fieldops.proof import photo_add

    for kind in ("before", "after"):
        photo_add(complaint=c, kind=kind, image=io.BytesIO(gps_jpeg()), actor=actor,
                  location=c.location)

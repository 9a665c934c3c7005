"""Resumable uploads (tus 1.0) of a real clip: pieces, offsets, resume, attach, expiry and cleanup."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fieldops.models import Photo, Upload
from fieldops.uploads import upload_path
from tests.conftest import CITY_HALL
from tests.fieldops.test_videos import make_clip
from tests.fieldops.wf_helpers import as_user, complaint_in, offset

pytestmark = pytest.mark.django_db
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def meta(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def create(api, length: int, **metadata):
    return api.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH=str(length), HTTP_UPLOAD_METADATA=meta(**metadata), **TUS)


def patch(api, location: str, at: int, piece: bytes):
    return api.generic("PATCH", location, piece, content_type="application/offset+octet-stream",
                       HTTP_UPLOAD_OFFSET=str(at), **TUS)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("tus") / "near.mp4", lonlat=offset(CITY_HALL, east_m=20)).read_bytes()


def test_pieces_resume_from_the_acknowledged_offset_and_attach_byte_identical(city, api, clip):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    opts = api.options("/api/v1/uploads/")
    assert opts["Tus-Version"] == "1.0.0" and "termination" in opts["Tus-Extension"]
    r = create(api, len(clip), filename="VID.mp4", filetype="video/mp4")
    assert r.status_code == 201 and r["Tus-Resumable"] == "1.0.0" and r["Upload-Expires"]
    location = r["Location"]
    third = len(clip) // 3
    assert patch(api, location, 0, clip[:third]).status_code == 204
    # A retry of the first piece, or a jump ahead: 409 with where it stands.
    for wrong in (0, 2 * third):
        conflict = patch(api, location, wrong, clip[third:2 * third])
        assert conflict.status_code == 409 and conflict.json()["upload_offset"] == third
    head = api.head(location, **TUS)
    assert head.status_code == 200 and head["Upload-Offset"] == str(third) and head["Upload-Length"] == str(len(clip))
    assert head["Cache-Control"] == "no-store"
    assert patch(api, location, third, clip[third:]).status_code == 204
    upload = Upload.objects.get()
    assert upload.complete and upload_path(upload).read_bytes() == clip
    # Not past the end; no other version; another user's upload does not exist for them.
    assert patch(api, location, len(clip), b"x").status_code == 400
    assert api.head(location, HTTP_TUS_RESUMABLE="0.2.2").status_code == 412
    as_user(api, "operator")
    assert api.head(location, **TUS).status_code == 404
    as_user(api, "crew_member")
    r = api.post(f"/api/v1/complaints/{c.tracking_code}/photos/", {"kind": "after", "upload_id": upload.pk},
                 format="multipart")
    assert r.status_code == 201, r.content
    photo = Photo.objects.get(pk=r.json()["id"])
    assert photo.media_type == "video" and photo.original.open("rb").read() == clip
    assert not Upload.objects.exists() and not upload_path(upload).exists()


def test_reporter_uploads_with_the_token_and_unknown_or_incomplete_ids_are_refused(city, api, clip):
    c, token = complaint_in("received")
    assert create(api, 10).status_code in (401, 403)  # no login (session auth answers 403)
    assert create(api, 10, complaint=c.tracking_code, reporter_token="wrong").status_code == 403
    r = create(api, len(clip), complaint=c.tracking_code, reporter_token=token)
    assert r.status_code == 201
    upload = Upload.objects.get()
    assert "reporter_token" not in upload.metadata and upload.complaint_id == c.pk
    assert patch(api, r["Location"], 0, clip[:100]).status_code == 204
    attach = api.post(f"/api/v1/complaints/{c.tracking_code}/photos/",
                      {"kind": "report", "upload_id": upload.pk, "reporter_token": token}, format="multipart")
    assert attach.status_code == 400 and attach.json() == {"upload_id": ["No completed upload with this id."]}
    assert api.head("/api/v1/uploads/00000000-0000-4000-8000-000000000000/", **TUS).status_code == 404
    assert create(api, 10 ** 12, complaint=c.tracking_code, reporter_token=token).status_code == 400
    assert api.delete(r["Location"], **TUS).status_code == 204
    assert not Upload.objects.exists() and not upload_path(upload).exists()


def test_an_abandoned_partial_upload_expires_and_is_purged(city, api, clip):
    as_user(api, "crew_member")
    r = create(api, len(clip))
    assert patch(api, r["Location"], 0, clip[:1000]).status_code == 204
    upload = Upload.objects.get()
    kept = create(api, 5)
    Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert api.head(r["Location"], **TUS).status_code == 410
    assert patch(api, r["Location"], 1000, clip[1000:]).status_code == 410
    call_command("purge_uploads")
    assert not Upload.objects.filter(pk=upload.pk).exists() and not upload_path(upload).exists()
    assert api.head(kept["Location"], **TUS).status_code == 200

"""Open311's media_url of a report whose photo is still being processed (its public copy is made by
the media job after the upload): none until the copy exists, then the copy's URL; never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import jpeg_bytes, make_complaint
from tests.support.worker import media_jobs_run

pytestmark = pytest.mark.django_db


def test_media_url_waits_for_the_public_copy(city, client):
    code = make_complaint(photo=SimpleUploadedFile("foto.jpg", jpeg_bytes(), content_type="image/jpeg")
                          ).complaint.tracking_code
    r = client.get(f"/open311/v2/requests/{code}.json")
    assert r.status_code == 200, r.content
    assert r.json()[0]["media_url"] is None
    assert media_jobs_run() == ["ready"]
    r = client.get(f"/open311/v2/requests/{code}.json")
    assert "/media/public/photos/" in r.json()[0]["media_url"]

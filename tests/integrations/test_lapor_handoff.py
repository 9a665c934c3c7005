"""A report at a pin no government of this deployment serves, handed to SP4N-LAPOR! (issue 18):
the create endpoint answers 202 and stores no complaint; the delivery job reaches a real local
LAPOR! server exactly once despite failures, with the responsible kab/kota and no contact."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from boundaries.models import NationalArea
from fieldops.models import Complaint
from tests.integrations.fake_lapor import FakeLapor
from tests.support.worker import drain

HANDOFF = "integrations.tasks.lapor_handoff_deliver"
MONAS = (106.8272, -6.1754)  # Jakarta, east of Kota Tangerang


def box(x1, y1, x2, y2):
    return MultiPolygon(Polygon(((x1, y1), (x2, y1), (x2, y2), (x1, y2), (x1, y1))), srid=4326)


@pytest.fixture
def jakarta(city):
    NationalArea.objects.create(level="provinsi", code="31", name="Daerah Khusus Ibukota Jakarta", jenis="provinsi",
                                geom=box(106.75, -6.25, 106.95, -6.10))
    NationalArea.objects.create(level="kota", code="31.71", name="Kota Administrasi Jakarta Pusat", jenis="kota",
                                parent_code="31", geom=box(106.80, -6.20, 106.86, -6.15))


def post(api, **over):
    body = {"category": "roads", "description": "Jalan berlubang dekat Monas", "reporter_email": "rahasia@example.id",
            "location": {"type": "Point", "coordinates": list(MONAS)}, **over}
    return api.post("/api/v1/complaints/", data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_an_unserved_pin_is_refused_naming_who_is_responsible_or_handed_to_lapor(jakarta, api, settings):
    settings.LAPOR_API_TOKEN, settings.LAPOR_BACKOFF_BASE_S = "test-token", 0
    located = api.get("/api/v1/locate/", {"lat": MONAS[1], "lon": MONAS[0], "category": "roads"}).json()
    assert located["served"] is False and located["lapor_handoff"] is True
    assert located["government"]["code"] == "31.71" and located["province"]["code"] == "31"

    refused = post(api)
    assert refused.status_code == 400
    assert "Jakarta Pusat" in " ".join(refused.json()["location"])

    handed = post(api, lapor_handoff=True)
    assert handed.status_code == 202, handed.content
    answer = handed.json()
    assert answer["served"] is False and answer["government"]["code"] == "31.71"
    assert not Complaint.objects.filter(description__startswith="Jalan berlubang dekat Monas").exists()

    with FakeLapor(seed=3, fail_before=0.5) as server:
        settings.LAPOR_API_URL = server.url
        drain(HANDOFF, rounds=50)
    assert server.created == {answer["handoff_id"]: 1}  # retried through the failures, created once
    sent = next(iter(server.bodies.values()))
    assert sent["kabkota"] == {"code": "31.71", "name": "Kota Administrasi Jakarta Pusat"} and sent["handoff"] is True
    assert "rahasia@example.id" not in json.dumps(sent)  # the contact stays here

    private = post(api, category="adminduk", lapor_handoff=True)
    assert private.status_code == 400 and "lapor_handoff" in private.json()

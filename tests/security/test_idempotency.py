"""Issue 13, finding "an Idempotency-Key leaks another reporter's token".

The attack: a reporter creates a complaint with `Idempotency-Key: K`; anyone else who sends `{}`
with the same key got the first answer back, reporter_token and exact location included. A key
now belongs to the client that sent it (the user, else its device id and address as the
throttles see them) and to the one request it was sent with; and it is forgotten after
IDEMPOTENCY_KEY_TTL_HOURS.
"""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test.client import encode_multipart
from django.utils import timezone
from rest_framework.test import APIClient

from fieldops.models import Complaint, IdempotencyKey
from tests.conftest import CITY_HALL, jpeg_bytes, login

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"
KEY = "retry-7f3a"
# The reporter's exact point: it must not reach anyone else.
SECRET_POINT = (106.6403217, -6.1781234)


def report(**over) -> dict:
    data = {"category": "roads", "description": "Jalan berlubang di depan sekolah",
            "location": {"type": "Point", "coordinates": list(SECRET_POINT)},
            "reporter_name": "Budi Santoso", "reporter_phone": "081299990000"}
    data.update(over)
    return data


def send(client, data, *, key=KEY, **extra):
    return client.post(URL, data=json.dumps(data), content_type="application/json",
                       headers={"Idempotency-Key": key}, **extra)


def _no_leak(answer, victim: dict) -> None:
    assert victim["reporter_token"] not in answer.content.decode()
    assert str(SECRET_POINT[0]) not in answer.content.decode()
    assert answer.json().get("tracking_code") != victim["tracking_code"]


# (how the victim sends, how the attacker sends): each pair differs in one part of the client.
CLIENTS = {
    "another-device": ({"HTTP_X_DEVICE_ID": "hp-budi"}, {"HTTP_X_DEVICE_ID": "hp-penyerang"}),
    "another-address": ({"REMOTE_ADDR": "36.72.10.1"}, {"REMOTE_ADDR": "36.72.10.2"}),
    "user-then-anonymous": ({"as_user": "operator"}, {}),
    "anonymous-then-user": ({}, {"as_user": "operator"}),
}


def _client(spec: dict):
    spec = dict(spec)
    client = APIClient()
    if spec.pop("as_user", None):
        login(client, "operator")
    return client, spec


@pytest.mark.parametrize("pair", list(CLIENTS), ids=list(CLIENTS))
def test_another_client_replaying_the_key_with_an_empty_body_gets_nothing_of_the_victim(city, pair):
    victim_spec, attacker_spec = CLIENTS[pair]
    victim, victim_extra = _client(victim_spec)
    attacker, attacker_extra = _client(attacker_spec)
    first = send(victim, report(), **victim_extra)
    assert first.status_code == 201, first.content
    stolen = send(attacker, {}, **attacker_extra)
    # The attacker's own (empty) request is processed: a 400 about its missing fields.
    assert stolen.status_code == 400, stolen.content
    _no_leak(stolen, first.json())
    assert Complaint.objects.count() == 1


def test_behind_a_proxy_clients_are_told_apart_by_the_forwarded_address(city, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    first = send(APIClient(), report(), HTTP_X_FORWARDED_FOR="36.72.10.1", **proxy)
    assert first.status_code == 201
    stolen = send(APIClient(), {}, HTTP_X_FORWARDED_FOR="36.72.10.9", **proxy)
    assert stolen.status_code == 400
    _no_leak(stolen, first.json())
    # The same citizen retrying through the proxy still gets its answer.
    again = send(APIClient(), report(), HTTP_X_FORWARDED_FOR="36.72.10.1", **proxy)
    assert again.json() == first.json()


def test_same_client_same_key_other_body_is_422_naming_the_header(city, api):
    first = send(api, report())
    assert first.status_code == 201
    other = send(api, report(description="Laporan yang lain sama sekali"))
    assert other.status_code == 422, other.content
    assert list(other.json()) == ["Idempotency-Key"]
    assert "Idempotency-Key" in other.json()["Idempotency-Key"][0]
    assert first.json()["reporter_token"] not in other.content.decode()
    empty = send(api, {})
    assert empty.status_code == 422
    assert Complaint.objects.count() == 1


def test_the_422_speaks_indonesian_first_and_english_on_request(city, api):
    api.defaults.pop("HTTP_ACCEPT_LANGUAGE", None)  # a client that names no language
    send(api, report())
    indonesian = send(api, report(description="Lain"))
    english = send(api, report(description="Lain"), HTTP_ACCEPT_LANGUAGE="en")
    assert indonesian.status_code == english.status_code == 422
    assert "permintaan lain" in indonesian.json()["Idempotency-Key"][0]
    assert "another request" in english.json()["Idempotency-Key"][0]


def test_same_client_same_key_same_body_gets_the_stored_answer(city, api):
    first = send(api, report())
    again = send(api, report())
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Complaint.objects.count() == 1


def test_a_multipart_retry_with_a_new_boundary_is_the_same_request(city, api):
    """Browsers pick a new multipart boundary on every send; the payload decides, not the bytes."""
    fields = {"category": "drainage", "description": "Got mampet", "lat": str(CITY_HALL[1]), "lon": str(CITY_HALL[0])}
    answers = []
    for boundary in ("----WebKitFormBoundaryAAAA", "----WebKitFormBoundaryBBBB"):
        photo = SimpleUploadedFile("got.jpg", jpeg_bytes(), content_type="image/jpeg")
        payload = encode_multipart(boundary, {**fields, "photo": photo})
        answers.append(api.post(URL, data=payload, content_type=f"multipart/form-data; boundary={boundary}",
                                headers={"Idempotency-Key": "form-1"}))
    assert [a.status_code for a in answers] == [201, 201], answers[-1].content
    assert answers[0].json() == answers[1].json()
    assert Complaint.objects.count() == 1
    # Another photo under the same key is another request.
    photo = SimpleUploadedFile("got.jpg", jpeg_bytes(color=(0, 90, 200)), content_type="image/jpeg")
    third = api.post(URL, {**fields, "photo": photo}, format="multipart", headers={"Idempotency-Key": "form-1"})
    assert third.status_code == 422


def test_an_expired_key_is_processed_anew(city, api, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    first = send(api, report())
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = send(api, report())
    assert again.status_code == 201
    assert again.json()["tracking_code"] != first.json()["tracking_code"]
    assert Complaint.objects.count() == 2
    # And the renewed key now answers with the new complaint.
    assert send(api, report()).json() == again.json()


def test_the_purge_command_deletes_expired_keys_only(city, api, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    send(api, report(), key="old")
    send(api, report(description="Sampah menumpuk"), key="fresh")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    assert "1" in out.getvalue()

"""Web Push to crews: an assignment (and a reroute away, a reopen, an escalation) becomes a push
job; the server encrypts for each subscription (RFC 8291 aes128gcm, VAPID), a local push
endpoint decrypts it with the subscription's keys and finds the ticket and no reporter contact;
a subscription the push service calls gone (410) is removed."""

from __future__ import annotations

import base64
import json
import os

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth import get_user_model
from django.core.management import call_command

from fieldops import workflow
from fieldops.models import Crew
from integrations.models import PushSubscription
from tests.conftest import login, make_complaint
from tests.support.fake_services import PushEndpoint
from tests.support.worker import run_deferred

PUSH = "integrations.tasks.push_event"
pytestmark = pytest.mark.django_db


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def vapid(settings, capsys):
    call_command("generate_vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    settings.WEBPUSH_VAPID_PUBLIC_KEY = lines["WEBPUSH_VAPID_PUBLIC_KEY"]
    settings.WEBPUSH_VAPID_PRIVATE_KEY = lines["WEBPUSH_VAPID_PRIVATE_KEY"]
    settings.WEBPUSH_SUBJECT = "mailto:ops@example.id"
    return settings


def browser_keys():
    """A subscription's keys as a browser makes them: a P-256 pair and a 16-byte auth secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    return private, public, os.urandom(16)


def _crew_member_and_crew():
    crew = Crew.objects.filter(members__isnull=False).select_related("agency").first()
    return crew.members.first(), crew


def test_an_assignment_reaches_the_crew_encrypted_and_without_reporter_contact(city, vapid, api):
    member, crew = _crew_member_and_crew()
    private, public, secret = browser_keys()
    with PushEndpoint() as endpoint:
        login(api, member.username)
        r = api.post("/api/v1/push/subscription/", {"endpoint": endpoint.url,
                                                    "keys": {"p256dh": b64(public), "auth": b64(secret)}},
                     format="json")
        assert r.status_code == 201, r.content
        assert api.get("/api/v1/push/subscription/").json()["public_key"] == vapid.WEBPUSH_VAPID_PUBLIC_KEY
        c = make_complaint(reporter_phone="081299998888", reporter_email="rahasia@example.id",
                           reporter_name="Nama Rahasia").complaint
        supervisor = get_user_model().objects.get(username="operator")
        c.agency = crew.agency
        c.save(update_fields=["agency"])
        workflow.complaint_assign(complaint=c, actor=supervisor, crew=crew)
        assert run_deferred(PUSH) == [{"sent": 1, "removed": 0}]
    headers, body = endpoint.received[0]
    assert headers["content-encoding"] == "aes128gcm" and headers["authorization"].startswith("vapid t=")
    assert headers["topic"].startswith("laksa-event-") and headers["ttl"]
    plain = http_ece.decrypt(body, private_key=private, auth_secret=secret, version="aes128gcm")
    payload = json.loads(plain)
    assert payload["code"] == c.tracking_code and payload["url"] == f"/sigap/?ticket={c.tracking_code}"
    assert payload["event"] == "assigned"
    for secret_text in ("081299998888", "rahasia@example.id", "Nama Rahasia"):
        assert secret_text not in plain.decode()


def test_a_gone_subscription_is_removed(city, vapid):
    member, crew = _crew_member_and_crew()
    _private, public, secret = browser_keys()
    with PushEndpoint(status=410) as endpoint:
        PushSubscription.objects.create(user=member, endpoint=endpoint.url, p256dh=b64(public), auth=b64(secret))
        c = make_complaint().complaint
        c.agency = crew.agency
        c.save(update_fields=["agency"])
        workflow.complaint_assign(complaint=c, actor=get_user_model().objects.get(username="operator"), crew=crew)
        assert run_deferred(PUSH) == [{"sent": 0, "removed": 1}]
    assert not PushSubscription.objects.exists()


def test_only_crew_members_subscribe(city, vapid, api):
    login(api, "operator")
    r = api.post("/api/v1/push/subscription/", {"endpoint": "http://127.0.0.1:9/x",
                                                "keys": {"p256dh": "a", "auth": "b"}}, format="json")
    assert r.status_code == 403

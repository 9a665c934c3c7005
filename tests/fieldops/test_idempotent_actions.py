"""A retried action with the same Idempotency-Key happens once (the offline outbox relies on it)."""

import pytest

from fieldops.models import ComplaintEvent
from tests.fieldops.wf_helpers import as_user, complaint_in

pytestmark = pytest.mark.django_db


def test_same_key_same_answer_and_one_event(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "sigap1")
    url = f"/api/v1/complaints/{c.tracking_code}/note/"
    first = api.post(url, {"note": "Material sudah dipesan"}, format="json", headers={"Idempotency-Key": "n-1"})
    again = api.post(url, {"note": "Material sudah dipesan"}, format="json", headers={"Idempotency-Key": "n-1"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert ComplaintEvent.objects.filter(complaint=c, type="note").count() == 1
    other = api.post(url, {"note": "Material sudah dipesan"}, format="json", headers={"Idempotency-Key": "n-2"})
    assert other.status_code == 200
    assert ComplaintEvent.objects.filter(complaint=c, type="note").count() == 2


def test_a_refused_action_is_not_remembered(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "sigap1")
    url = f"/api/v1/complaints/{c.tracking_code}/note/"
    assert api.post(url, {"note": ""}, format="json", headers={"Idempotency-Key": "n-3"}).status_code == 400
    r = api.post(url, {"note": "Sekarang dengan isi"}, format="json", headers={"Idempotency-Key": "n-3"})
    assert r.status_code == 200


def test_keys_of_different_users_do_not_collide(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "sigap1")
    api.post(f"/api/v1/complaints/{c.tracking_code}/note/", {"note": "a"}, format="json", headers={"Idempotency-Key": "k"})
    as_user(api, "operator")
    r = api.post(f"/api/v1/complaints/{c.tracking_code}/note/", {"note": "b"}, format="json", headers={"Idempotency-Key": "k"})
    assert r.status_code == 200
    assert ComplaintEvent.objects.filter(complaint=c, type="note").count() == 2

"""Issue 13, finding "Open311 POST has no rate limit and no bound on custom attributes".

The attack: 25 POSTs from one device_id were all accepted, and 900 attributes of 10 KB each were
stored. Open311 POST now passes the REST create's throttles (per address, per device) and
attributes are bounded by OPEN311_MAX_ATTRIBUTES and OPEN311_ATTRIBUTE_MAX_CHARS.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from fieldops.models import Complaint
from open311.models import Open311Request
from open311.services import api_client_create
from tests.conftest import CITY_HALL

pytestmark = pytest.mark.django_db
# The production defaults of laksa_gis/settings.py (tests/conftest.py raises them).
PRODUCTION_RATES = {"login": "10/min", "complaint_create": "120/min", "complaint_create_device": "20/min"}


@pytest.fixture
def key(city):
    return api_client_create(name="Attacker's app")[1]


@pytest.fixture
def rates(settings, monkeypatch):
    """Set throttle rates as a deployment does. SimpleRateThrottle keeps its own copy of them
    from import time; monkeypatch puts it back after the test."""
    from rest_framework.throttling import SimpleRateThrottle

    def set_rates(values: dict) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": values}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", values)

    return set_rates


@pytest.fixture
def production_rates(rates):
    rates(PRODUCTION_RATES)


def fields(key, **over):
    data = {"api_key": key, "service_code": "roads", "lat": str(CITY_HALL[1]), "long": str(CITY_HALL[0]),
            "description": "Jalan berlubang", "device_id": "dev-flood"}
    data.update(over)
    return data


def post(client, key, fmt="json", **over):
    return client.post(f"/open311/v2/requests.{fmt}", data=fields(key, **over))


def error_text(r, fmt="json") -> str:
    if fmt == "xml":
        return ET.fromstring(r.content)[0].find("description").text
    return r.json()[0]["description"]


# ---------------------------------------------------------------- rate limits


def test_25_posts_from_one_device_id_are_throttled_after_the_device_rate(key, client, production_rates):
    answers = [post(client, key, description=f"Laporan ke-{i}").status_code for i in range(25)]
    assert answers[:20] == [200] * 20
    assert answers[20:] == [429] * 5
    assert Complaint.objects.count() == 20


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_429_is_an_open311_error_with_retry_after(key, client, production_rates, fmt):
    for i in range(20):
        assert post(client, key, fmt, description=f"Laporan ke-{i}").status_code == 200
    r = post(client, key, fmt)
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 0
    assert "device_id" in error_text(r, fmt) or "many" in error_text(r, fmt)


def test_another_device_id_has_its_own_allowance_but_the_address_limit_holds(key, client, rates):
    rates({**PRODUCTION_RATES, "complaint_create": "6/min", "complaint_create_device": "3/min"})
    codes = [post(client, key, device_id=f"dev-{i % 3}", description=f"L{i}").status_code for i in range(8)]
    # Three devices at three each would be 9; the address allows 6.
    assert codes == [200] * 6 + [429] * 2


def test_open311_and_the_rest_create_share_one_allowance_per_device(key, client, api, production_rates):
    for i in range(15):
        r = api.post("/api/v1/complaints/", data=json.dumps({
            "category": "roads", "description": f"REST ke-{i}", "location": {"lat": CITY_HALL[1], "lon": CITY_HALL[0]}}),
            content_type="application/json", headers={"X-Device-Id": "dev-flood"})
        assert r.status_code == 201
    codes = [post(client, key, description=f"Open311 ke-{i}").status_code for i in range(10)]
    assert codes == [200] * 5 + [429] * 5


def test_the_limit_is_checked_before_the_api_key(city, client, production_rates):
    """Guessing api keys counts against the same allowance."""
    codes = [post(client, f"guess-{i}").status_code for i in range(22)]
    assert codes[:20] == [403] * 20 and codes[20:] == [429] * 2


# ---------------------------------------------------------------- attribute bounds


def test_900_attributes_of_10_kb_are_refused_and_nothing_is_stored(key, client):
    flood = {f"attribute[a{i}]": "x" * 10_000 for i in range(900)}
    r = post(client, key, **flood)
    assert r.status_code == 400, r.content[:300]
    assert error_text(r).startswith("attribute[...]:")
    assert not Complaint.objects.exists() and not Open311Request.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_21_attributes_are_refused_20_accepted(key, client, settings, fmt):
    settings.OPEN311_MAX_ATTRIBUTES = 20
    r = post(client, key, fmt, **{f"attribute[a{i}]": "ok" for i in range(21)})
    assert r.status_code == 400
    assert "attribute[...]" in error_text(r, fmt) and "20" in error_text(r, fmt)
    assert not Complaint.objects.exists()
    ok = post(client, key, fmt, **{f"attribute[a{i}]": "ok" for i in range(20)})
    assert ok.status_code == 200
    assert len(Open311Request.objects.get().attributes) == 20


def test_an_attribute_value_over_the_limit_is_refused_naming_it(key, client, settings):
    settings.OPEN311_ATTRIBUTE_MAX_CHARS = 1000
    r = post(client, key, **{"attribute[catatan]": "y" * 1001})
    assert r.status_code == 400
    assert error_text(r).startswith("attribute[catatan]:") and "1000" in error_text(r)
    assert post(client, key, **{"attribute[catatan]": "y" * 1000}).status_code == 200


def test_a_multivalued_attribute_counts_each_value(key, client, settings):
    settings.OPEN311_MAX_ATTRIBUTES = 20
    r = client.post("/open311/v2/requests.json", data={**fields(key), "attribute[tags][]": ["v"] * 21})
    assert r.status_code == 400
    assert error_text(r).startswith("attribute[tags]:")
    assert not Complaint.objects.exists()


def test_an_overlong_attribute_code_is_refused(key, client):
    r = post(client, key, **{f"attribute[{'k' * 101}]": "1"})
    assert r.status_code == 400
    assert error_text(r).startswith("attribute[...]:")

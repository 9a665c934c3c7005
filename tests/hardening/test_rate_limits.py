"""Public complaint creation is rate-limited per IP and per device, and login failures lock out."""

import json

import pytest

from tests.conftest import CITY_HALL

pytestmark = pytest.mark.django_db
BODY = {"category": "roads", "description": "Spam?", "location": {"type": "Point", "coordinates": list(CITY_HALL)}}


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "complaint_create": "1000/min", "complaint_create_device": "1000/min", **rates}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


@pytest.fixture(autouse=True)
def _reset_throttles():
    # Put back the rates the class had: reloading here would read this test's override, which
    # the settings fixture only undoes after this teardown, and leak "3/min" to later tests.
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    yield
    SimpleRateThrottle.THROTTLE_RATES = original


def post(api, **headers):
    return api.post("/api/v1/complaints/", data=json.dumps(BODY), content_type="application/json", headers=headers)


def test_per_ip_limit(city, api, settings):
    _rates(settings, complaint_create="3/min")
    assert [post(api).status_code for _ in range(4)] == [201, 201, 201, 429]
    assert api.get("/api/v1/complaints/").status_code == 200  # reads are not limited


def test_per_device_limit_is_independent_of_ip(city, api, settings):
    _rates(settings, complaint_create_device="2/min")
    codes = [post(api, **{"X-Device-Id": "hp-andi"}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert post(api, **{"X-Device-Id": "hp-budi"}).status_code == 201


def test_login_is_throttled(city, api, settings):
    # Failed logins lock the client out (django-axes, the same counter as the login pages).
    settings.AXES_FAILURE_LIMIT = 3
    codes = [api.post("/api/v1/auth/token/", {"username": "operator", "password": "nope"}, format="json").status_code
             for _ in range(4)]
    assert codes == [400, 400, 429, 429]
    r = api.post("/api/v1/auth/token/", {"username": "operator", "password": "laksa-demo"}, format="json")
    assert r.status_code == 429 and 0 < int(r["Retry-After"]) <= settings.AXES_COOLOFF_TIME.total_seconds()


def test_per_ip_limit_with_the_redis_counter_shared_by_processes(city, api, settings):
    import uuid

    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "common.cache.ResilientRedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/9", "KEY_PREFIX": f"t-{uuid.uuid4().hex[:8]}"}}
    caches._settings = caches.settings = settings.CACHES
    try:
        del caches._connections.default
    except AttributeError:
        pass
    _rates(settings, complaint_create="3/min")
    responses = [post(api) for _ in range(4)]
    assert [r.status_code for r in responses] == [201, 201, 201, 429]
    assert 0 < int(responses[-1]["Retry-After"]) <= 60
    # The window's counter expires by itself (set atomically with the first hit of the window).
    client = caches["default"]._cache.get_client(write=True)
    keys = client.keys(f"*{settings.CACHES['default']['KEY_PREFIX']}*complaint_create*")
    assert keys and all(0 < client.ttl(k) <= 61 for k in keys)
    assert [int(client.get(k)) for k in keys] == [4]


def test_the_429s_speak_the_language_of_the_request(city, api, settings):
    _rates(settings, complaint_create="1/min")
    assert post(api).status_code == 201
    english, indonesian = post(api), post(api, **{"Accept-Language": "id"})
    assert english.status_code == indonesian.status_code == 429
    assert english.json()["detail"].startswith("Too many requests; please try again in ")
    assert indonesian.json()["detail"].startswith("Terlalu banyak permintaan; silakan coba lagi dalam ")
    assert indonesian.json()["detail"].endswith(" detik.")
    # The login lockout of the token endpoint, too.
    settings.AXES_FAILURE_LIMIT = 1
    api.post("/api/v1/auth/token/", {"username": "operator", "password": "nope"}, format="json")
    r = api.post("/api/v1/auth/token/", {"username": "operator", "password": "nope"}, format="json",
                 headers={"Accept-Language": "id"})
    assert r.status_code == 429 and r.json()["detail"].startswith("Terlalu banyak percobaan masuk yang gagal")

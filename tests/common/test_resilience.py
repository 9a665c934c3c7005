"""Redis and PostgreSQL trouble must not turn a citizen's report into a 500."""

import json

import pytest
from django.db import OperationalError
from django.test import override_settings

from fieldops.models import Complaint
from common.cache import ResilientRedisCache
from common.middleware import DB_UNAVAILABLE
from tests.conftest import CITY_HALL

DEAD_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


def test_resilient_cache_misses_and_drops_writes_while_redis_is_down():
    cache = ResilientRedisCache(DEAD_REDIS, {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}})
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.add("k", 1) is False
    assert cache.get_many(["a", "b"]) == {}


@pytest.mark.django_db
def test_create_succeeds_with_the_cache_down_and_throttles_failing_open(city, api, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    from django.core.cache import caches

    caches._settings = caches.settings = settings.CACHES
    try:
        del caches._connections.default
    except AttributeError:
        pass
    body = {"category": "roads", "description": "Lampu mati", "location": {"type": "Point", "coordinates": list(CITY_HALL)}}
    r = api.post("/api/v1/complaints/", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    assert Complaint.objects.filter(tracking_code=r.json()["tracking_code"]).exists()


@pytest.mark.django_db
def test_lost_database_connection_is_a_503_with_a_clear_message(city, api, monkeypatch):
    from fieldops import apis

    def boom(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(apis, "complaint_create", boom)
    body = {"category": "roads", "description": "x", "location": {"type": "Point", "coordinates": list(CITY_HALL)}}
    r = api.post("/api/v1/complaints/", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 503
    assert r.json()["detail"] == DB_UNAVAILABLE
    assert r["Retry-After"] == "5"

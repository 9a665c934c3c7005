"""Signed tile URLs: the TileJSON hands them out to those who may see analytics, tiles fetched with
them need no session (and read no user from the database), keep the agency scope they were issued
with, and stop working when tampered with or expired."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import mapbox_vector_tile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from boundaries.models import Agency
from fieldops.models import Complaint
from tests.analytics.test_analytics import data, tile_for  # noqa: F401 (fixture)
from tests.conftest import CITY_HALL, login

TILEJSON = "/api/v1/tiles/complaints.json"


def tile_url(template: str, z: int, lonlat=CITY_HALL) -> str:
    x, y = tile_for(lonlat, z)
    return template.removeprefix("http://testserver").format(z=z, x=x, y=y)


def total(response) -> int:
    return sum(f["properties"]["count"] for f in mapbox_vector_tile.decode(response.content)["complaints"]["features"])


def test_tilejson_describes_the_tiles_and_signs_their_urls(data, api):
    login(api, "planner")
    r = api.get(TILEJSON, {"category": "roads"})
    assert r.status_code == 200
    tj = r.json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["vector_layers"][0]["id"] == "complaints"
    assert "private" in r["Cache-Control"]
    (template,) = tj["tiles"]
    assert "/api/v1/tiles/complaints/{z}/{x}/{y}.pbf?" in template
    query = parse_qs(urlsplit(template).query)
    assert query["category"] == ["roads"] and len(query["token"]) == 1
    west, south, east, north = tj["bounds"]
    assert west < CITY_HALL[0] < east and south < CITY_HALL[1] < north
    # Bad filters are refused here, naming the field, not later on every tile.
    r = api.get(TILEJSON, {"category": "nope"})
    assert r.status_code == 400 and "category" in r.json()


def test_a_signed_tile_needs_no_session_and_reads_no_user(data, api):
    login(api, "planner")
    template = api.get(TILEJSON).json()["tiles"][0]
    anonymous = Client()
    with CaptureQueriesContext(connection) as queries:
        r = anonymous.get(tile_url(template, 12))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.mapbox-vector-tile"
    x, y = tile_for(CITY_HALL, 12)
    assert total(r) == sum(1 for c in data if tile_for((c.location.x, c.location.y), 12) == (x, y))
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "django_session" not in sql and "auth_user" not in sql


def test_a_token_keeps_the_agency_scope_it_was_issued_with(data, api):
    login(api, "pupr")
    template = api.get(TILEJSON).json()["tiles"][0]
    r = Client().get(tile_url(template, 12))
    assert r.status_code == 200
    x, y = tile_for(CITY_HALL, 12)
    dpupr = Agency.objects.get(code="dpupr")
    mine = [c for c in Complaint.objects.filter(agency=dpupr) if tile_for((c.location.x, c.location.y), 12) == (x, y)]
    everyone = [c for c in data if tile_for((c.location.x, c.location.y), 12) == (x, y)]
    assert total(r) == len(mine) < len(everyone)


def test_tampered_or_expired_tokens_and_the_uninvited_are_refused(data, api, settings, monkeypatch):
    login(api, "planner")
    template = api.get(TILEJSON).json()["tiles"][0]
    url = tile_url(template, 14)
    head, token = url.split("token=")
    tampered = head + "token=" + token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    r = Client().get(tampered)
    assert r.status_code == 403 and "token" in r.json()
    # An hour and a bit later the same URL no longer works.
    import django.core.signing as signing

    later = signing.time.time() + settings.TILE_TOKEN_MAX_AGE + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    r = Client().get(url)
    assert r.status_code == 403 and "token" in r.json()
    monkeypatch.undo()
    assert Client().get(url).status_code == 200
    # No TileJSON (so no token) for crews or anonymous visitors.
    assert Client().get(TILEJSON).status_code == 403
    login(api, "sigap1")
    assert api.get(TILEJSON).status_code == 403

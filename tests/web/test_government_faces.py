"""Faces per government (issue 18): request.government by host name or /<kode>/ path, each
government's pages with its site name, colours, map extent and categories, the province
landing page, the governor's page."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.test import RequestFactory
from django.urls import reverse, set_script_prefix

from boundaries.middleware import GovernmentMiddleware
from boundaries.models import Government
from tests.conftest import login, make_complaint
from tests.support.neighbour import CODE, neighbour_ensure, outside_point

HOST = "laksa.kabtangerang.test"


@pytest.fixture
def two(city, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    return neighbour_ensure(hosts=[HOST])


@pytest.fixture(autouse=True)
def _script_prefix():
    yield
    set_script_prefix("/")  # a test request under /36.03/ leaves it set in this thread


def config(resp) -> dict:
    m = re.search(r'<script id="lk-config" type="application/json">(.*?)</script>', resp.content.decode(), re.S)
    return json.loads(m.group(1))


def options(resp) -> list[str]:
    """The option values of the page's selects but the language switch's (id, en)."""
    return [v for v in re.findall(r'<option value="([a-z0-9-]+)"', resp.content.decode()) if v not in ("id", "en")]


def test_middleware_by_host_by_path_and_default(two, settings):
    factory = RequestFactory()
    seen = {}

    def view(request):
        seen["government"], seen["source"] = request.government, request.government_source
        seen["path_info"], seen["path"] = request.path_info, request.path
        seen["reverse"] = reverse("web-map")
        return None

    middleware = GovernmentMiddleware(view)
    middleware(factory.get("/peta/", HTTP_HOST=HOST))
    assert seen["government"].code == CODE and seen["source"] == "host" and seen["reverse"] == "/peta/"
    for prefix in ("/36.03", "/3603"):
        middleware(factory.get(f"{prefix}/peta/"))
        assert seen["government"].code == CODE and seen["source"] == "path"
        assert seen["path_info"] == "/peta/" and seen["path"] == f"{prefix}/peta/"
        assert seen["reverse"] == f"{prefix}/peta/"
        set_script_prefix("/")
    middleware(factory.get("/36.71"))
    assert seen["government"].code == "36.71" and seen["path_info"] == "/"
    set_script_prefix("/")
    # Two governments, no host or path, no default: none (the province landing).
    middleware(factory.get("/peta/"))
    assert seen["government"] is None and seen["source"] is None and seen["path_info"] == "/peta/"
    settings.LAKSA_DEFAULT_GOVERNMENT = "3671"
    middleware(factory.get("/peta/"))
    assert seen["government"].code == "36.71" and seen["source"] == "default"
    # A code of no active government is no prefix: the path stays as it is (and 404s).
    Government.objects.filter(code=CODE).update(active=False)
    middleware(factory.get("/36.03/peta/"))
    assert seen["path_info"] == "/36.03/peta/" and seen["government"].code == "36.71"


def test_one_government_is_the_default_everywhere(city, client):
    r = client.get("/")
    assert r.status_code == 200 and 'id="lk-report"' in r.content.decode()
    assert config(r)["here"]["code"] == "36.71"


def test_pages_by_host_show_the_governments_name_colours_extent_and_categories(two, client):
    r = client.get("/", HTTP_HOST=HOST)
    body = r.content.decode()
    assert r.status_code == 200
    assert "<title>" in body and "· LAKSA Kabupaten Tangerang</title>" in body
    assert "--blue: #0f7b3c" in body and "--accent: #ffcc00" in body and 'content="#0f7b3c"' in body
    assert options(r) == ["roads", "drainage"]
    cfg = config(r)
    assert cfg["here"] == {"code": CODE, "name": "Kabupaten Tangerang"}
    # Where the border question sends a citizen: each government's page (Kota Tangerang's host
    # is not served here, so its path).
    assert cfg["governmentPages"]["36.71"]["url"] == "/36.71/" and cfg["governmentPages"][CODE]["url"] == "/"
    (south, west), (north, east) = cfg["bounds"]
    tangerang = config(client.get("/36.71/"))["bounds"]
    # The neighbour's band reaches about 0.05 degrees beyond the city on every side.
    assert west < tangerang[0][1] - 0.04 and east > tangerang[1][1] + 0.04
    # The map page: its kecamatan and categories only.
    r = client.get("/peta/", HTTP_HOST=HOST)
    assert "Batas Kota" in r.content.decode() and "Karawaci" not in r.content.decode()
    assert config(r)["bounds"] == cfg["bounds"]


def test_pages_by_path_keep_the_prefix_in_their_links(two, client):
    for prefix in ("/36.03", "/3603"):
        r = client.get(f"{prefix}/")
        body = r.content.decode()
        assert r.status_code == 200 and "LAKSA Kabupaten Tangerang" in body
        assert f'href="{prefix}/peta/"' in body and f'href="{prefix}/transparansi/"' in body
        assert f'action="{prefix}/lacak/"' in body
        assert options(r) == ["roads", "drainage"]
        assert client.get(f"{prefix}/peta/").status_code == 200
        assert client.get(f"{prefix}/transparansi/").status_code == 200
    r = client.get("/36.71/")
    assert "adminduk" in options(r) and "--blue: #0b5cab" in r.content.decode()
    assert client.get("/99.99/").status_code == 404


def test_province_landing_lists_the_governments_where_none_is_chosen(two, client, settings):
    for path in ("/", "/provinsi/", "/36.71/provinsi/"):
        r = client.get(path)
        body = r.content.decode()
        assert r.status_code == 200, path
        assert 'id="lk-governments"' in body and "Kota Tangerang" in body and "Kabupaten Tangerang" in body
        cfg = config(r)
        assert cfg["page"] == "province"
        urls = {g["code"]: g["url"] for g in cfg["governmentList"]}
        # Its own host is in ALLOWED_HOSTS: linked there; Kota Tangerang's is not here: its path.
        assert urls == {"36.03": f"http://{HOST}/", "36.71": "/36.71/"}
    assert "LAKSA Banten" in client.get("/provinsi/").content.decode()
    settings.LAKSA_DEFAULT_GOVERNMENT = "36.71"
    assert 'id="lk-report"' in client.get("/").content.decode()
    assert 'id="lk-governments"' in client.get("/provinsi/").content.decode()


def test_tracking_page_wears_the_complaints_government(two, client):
    lon, lat = outside_point()
    complaint = make_complaint(lonlat=(lon, lat)).complaint
    assert complaint.government.code == CODE
    for path in (f"/lacak/{complaint.tracking_code}/", f"/36.71/lacak/{complaint.tracking_code}/"):
        body = client.get(path).content.decode()
        assert "· LAKSA Kabupaten Tangerang</title>" in body and "--blue: #0f7b3c" in body, path


def test_ops_page_shows_the_staff_governments_categories(two, client):
    login(client, "operator")
    r = client.get("/ops/", HTTP_HOST=HOST)
    assert r.status_code == 200
    # The operator works for Kota Tangerang: its face and categories, whichever host.
    assert "· LAKSA Kota Tangerang</title>" in r.content.decode()
    assert "adminduk" in options(r)
    assert config(r)["bounds"] == config(client.get("/36.71/"))["bounds"]


def test_governor_page_is_for_the_province_wide_only(two, client):
    login(client, "admin")
    r = client.get("/provinsi/dasbor/")
    assert r.status_code == 200 and config(r)["areasUrl"] == "/api/v1/analytics/areas/?level=kota"
    client.logout()
    login(client, "operator")
    assert client.get("/provinsi/dasbor/").status_code == 403


def test_check_warns_about_a_government_host_not_in_allowed_hosts(two, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    found = [m for m in run_checks(include_deployment_checks=False, databases=["default"]) if m.id == "boundaries.W001"]
    assert len(found) == 1 and HOST in found[0].msg
    settings.ALLOWED_HOSTS = ["localhost", ".kabtangerang.test", "laksa.tangerangkota.go.id"]
    assert not [m for m in run_checks(databases=["default"]) if m.id == "boundaries.W001"]


def test_the_crew_page_lives_at_sigap_whatever_the_path(two, client):
    """The service worker that opens the crew page offline controls /sigap/: a crew member who
    reaches /<kode>/sigap/ (the links of a page opened by its path) is sent to /sigap/, query
    kept, and sees their own government's page there; a user without a government of their own
    keeps the path's government."""
    login(client, "sigap1")
    for prefix in ("/36.03", "/36.71", "/3671"):
        r = client.get(f"{prefix}/sigap/?ticket=LKS-1")
        assert r.status_code == 302 and r["Location"] == "/sigap/?ticket=LKS-1", prefix
    r = client.get("/sigap/")
    assert r.status_code == 200 and config(r)["crew"]["name"] == "Tim Sigap PUPR 1"
    assert "LAKSA Kota Tangerang" in r.content.decode()
    client.force_login(get_user_model().objects.create_superuser("root-sigap", password="x-123456789"))
    r = client.get("/36.03/sigap/")
    assert r.status_code == 200 and "LAKSA Kabupaten Tangerang" in r.content.decode()

"""Server side of the web pages: who may open what, what the first paint carries, the
service worker and manifest, and the language rules (Bahasa Indonesia first)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import KARAWACI, login, make_complaint


@pytest.fixture
def client():
    return Client()


def config_of(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="lk-config" type="application/json">') + len('<script id="lk-config" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def test_public_pages_render_in_indonesian_even_for_english_browsers(city, client):
    for path in ("/", "/peta/", "/transparansi/", "/accounts/login/"):
        r = client.get(path, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        assert r.status_code == 200, path
        assert '<html lang="id">' in r.content.decode(), path
    assert "Kirim laporan" in client.get("/").content.decode()


def test_language_switch_sets_english(city, client):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert "Send report" in r.content.decode()
    assert '<html lang="en">' in r.content.decode()


def test_api_keeps_accept_language_for_api_clients(city, client):
    r = client.get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="en")
    assert any(c["name"] == "Damaged roads" for c in r.json())
    # The same request from one of our pages speaks the page's language.
    r = client.get("/api/v1/categories/", HTTP_ACCEPT_LANGUAGE="en", HTTP_SEC_FETCH_SITE="same-origin")
    assert any(c["name"] == "Jalan rusak" for c in r.json())


def test_pages_carry_no_inline_scripts(city, client):
    html = client.get("/").content.decode()
    scripts = [chunk.split(">", 1)[0] for chunk in html.split("<script")[1:]]
    for tag in scripts:
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "tile.openstreetmap.org" in config_of(client.get("/"))["tileUrl"]


def test_map_tile_url_is_a_setting(city, client, settings):
    settings.MAP_TILE_URL = ""
    assert config_of(client.get("/peta/"))["tileUrl"] == ""


def test_tracking_page_and_fragment(city, client):
    c = make_complaint(lonlat=KARAWACI).complaint
    r = client.get(f"/lacak/{c.tracking_code.lower()}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert c.tracking_code in html and 'data-color="red"' in html and "Laporan diterima" in html
    assert config_of(r)["code"] == c.tracking_code
    frag = client.get(f"/lacak/{c.tracking_code}/?fragment=1").content.decode()
    assert frag.lstrip().startswith('<div id="lk-track-body"')
    missing = client.get("/lacak/LKS-NOPE-NOPE/")
    assert missing.status_code == 404 and "tidak ditemukan" in missing.content.decode()


def test_tracking_page_hides_reporter_contact(city, client):
    c = make_complaint(lonlat=KARAWACI, reporter_name="Siti Rahma", reporter_phone="0812999888").complaint
    html = client.get(f"/lacak/{c.tracking_code}/").content.decode()
    assert "Siti Rahma" not in html and "0812999888" not in html


def test_staff_pages_need_login_and_a_role(city, client):
    assert client.get("/sigap/")["Location"].startswith("/accounts/login/?next=/sigap/")
    assert client.get("/ops/")["Location"].startswith("/accounts/login/?next=/ops/")
    login(client, "sigap1")
    r = client.get("/sigap/")
    assert r.status_code == 200 and config_of(r)["crew"]["name"] == "Tim Sigap PUPR 1"
    assert client.get("/ops/")["Location"] == "/sigap/"  # a crew member belongs on the crew page


def test_ops_page_scopes_and_read_only(city, client):
    make_complaint(lonlat=KARAWACI, category="roads")
    make_complaint(lonlat=KARAWACI, category="garbage")
    login(client, "dlh")
    r = client.get("/ops/")
    assert r.status_code == 200
    assert config_of(r)["canAct"] is True and config_of(r)["citywide"] is False
    assert r.context["stats"]["total"] == 1  # only the DLH report
    client.logout()
    login(client, "leader")
    r = client.get("/ops/")
    assert config_of(r)["canAct"] is False and "lk-readonly" in r.content.decode()
    assert r.context["stats"]["total"] == 2
    assert client.get("/ops/stats/").status_code == 200


def test_service_worker_and_manifest(city, client):
    r = client.get("/sw.js")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/javascript")
    body = r.content.decode()
    assert body.startswith("const LAKSA_SW = ")
    config = json.loads(body.split("const LAKSA_SW = ", 1)[1].split(";\n", 1)[0])
    assert "/sigap/" in config["pages"] and any(u.startswith("/static/web/sigap.") for u in config["shell"])
    import re

    from django.contrib.staticfiles.storage import staticfiles_storage

    # The shell names the collected files the pages load: hashed names (the page's module
    # imports are rewritten to the same names), each present in STATIC_ROOT.
    for url in config["shell"]:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), url
        assert staticfiles_storage.exists(url.removeprefix("/static/")), url
    assert staticfiles_storage.exists(config["icon"].removeprefix("/static/")), "the push notification's icon"
    assert "LAKSA_SW.icon" in body and '"/static/web/' not in body.split(";\n", 1)[1], "no unhashed static name"
    m = client.get("/manifest.webmanifest")
    assert m["Content-Type"].startswith("application/manifest+json")
    data = m.json()
    assert data["start_url"] == "/sigap/" and data["display"] == "standalone"
    for icon in data["icons"]:
        assert staticfiles_storage.exists(icon["src"].removeprefix("/static/")), icon

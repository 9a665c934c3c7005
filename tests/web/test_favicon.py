"""A favicon on every page (issue 15): the pages, the admin, the API docs and /favicon.ico."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

from tests.conftest import login

ICON_SVG = static("web/icons/favicon.svg")


@pytest.mark.django_db
def test_every_kind_of_page_links_the_favicon(city):
    client = Client()
    pages = ["/", "/peta/", "/transparansi/", "/statistik/", "/accounts/login/", "/admin/login/", "/no-such-page/"]
    for path in pages:
        r = client.get(path)
        assert f'rel="icon" href="{ICON_SVG}"' in r.content.decode() or 'rel="icon" href="/favicon.ico"' in r.content.decode(), path
    login(client, "admin")
    for path in ("/admin/", "/api/docs/", "/dasbor/", "/ops/"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert ICON_SVG in r.content.decode(), path


def test_favicon_ico_is_answered_and_the_files_exist():
    r = Client().get("/favicon.ico")
    assert r.status_code == 301 and r["Location"] == static("web/icons/favicon.ico")
    for name in ("favicon.ico", "favicon.svg", "apple-touch-icon.png"):
        assert finders.find(f"web/icons/{name}"), name

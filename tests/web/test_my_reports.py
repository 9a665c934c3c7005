""""Laporan saya" on the server side: a public page (no account), linked from every page's menu
and from the report page, that hands its script the reopen rule it shows."""

from __future__ import annotations

import pytest
from django.test import Client

from fieldops.workflow import REOPEN_WINDOW_DAYS
from tests.web.test_views import config_of

pytestmark = pytest.mark.django_db


def test_my_reports_is_public_and_carries_the_reopen_window(city):
    r = Client().get("/laporan-saya/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<h1>Laporan saya</h1>" in html
    cfg = config_of(r)
    assert cfg["page"] == "mine" and cfg["reopenDays"] == REOPEN_WINDOW_DAYS
    assert set(cfg["reopenable"]) == {"resolved", "closed"}
    assert cfg["strings"]["reopen_open"] == "Belum beres? Buka kembali"


def test_the_report_page_links_to_my_reports_and_says_where_the_code_was_saved(city):
    html = Client().get("/").content.decode()
    assert html.count('href="/laporan-saya/"') >= 3  # the menu, the success card, below the lookup
    assert "di “Laporan saya”" in html
    assert 'id="f-place"' in html and 'role="combobox"' in html


def test_my_reports_in_english(city):
    c = Client()
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    r = c.get("/laporan-saya/")
    assert "<h1>My reports</h1>" in r.content.decode()
    assert config_of(r)["strings"]["depends_on_category"] == "depends on the category"

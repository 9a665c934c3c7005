"""Leaders' and planners' pages in Chromium (issue 15): /dasbor/ names categories in the page's
language and formats numbers for it, with a choropleth legend and an SLA KPI that agrees with
its chart; /statistik/ fits a 360 px phone and says when its figures were counted."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, in_thread, login, shot
from tests.conftest import CITY_HALL, KARAWACI, make_complaint

pytestmark = [pytest.mark.browser]

LAPTOP = {"width": 1366, "height": 768}


def document_fits(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def legend_labels(page, chart_id: str) -> list[str]:
    return page.evaluate(
        """id => { const c = Chart.getChart(document.getElementById(id));
                   return c.legend.legendItems.map(i => i.text); }""", chart_id)


def open_dashboard(page) -> None:
    page.wait_for_function("() => { const c = window.Chart && Chart.getChart(document.getElementById('an-categories'));"
                           " return c && c.data.labels.length > 0; }")
    page.locator(".an-legend div").first.wait_for()


def test_dashboard_and_statistics_speak_the_page_language(e2e_db, server, contexts):
    made = [in_thread(make_complaint, lonlat=lonlat, category=category, description="Uji analitik dasbor").complaint
            for lonlat, category in ((KARAWACI, "roads"), (KARAWACI, "garbage"), (CITY_HALL, "drainage"))]
    from django.core.cache import cache

    cache.clear()

    # A planner, in Bahasa Indonesia (the default).
    page = contexts(viewport=LAPTOP).new_page()
    login(page, "planner", "/dasbor/")
    open_dashboard(page)
    labels = legend_labels(page, "an-categories") + legend_labels(page, "an-timeseries")
    assert "Jalan rusak" in labels, labels
    assert not {"roads", "garbage", "drainage"} & set(labels), labels
    statuses = page.evaluate("() => Chart.getChart(document.getElementById('an-statuses')).data.labels")
    assert statuses == ["Baru"], statuses
    rate = page.locator('[data-kpi="resolution_rate"]').inner_text()
    assert rate.endswith("%") and "." not in rate, rate  # id-ID: "0%" or "33,3%", never "33.3%"
    assert page.locator('[data-kpi="sla_compliance"]').inner_text() != ""
    assert page.locator(".an-legend strong").inner_text() == "Pengaduan per wilayah"
    # The map fits the city: the areas' bounds fill most of the map's width or height.
    filled = page.evaluate("""() => {
        const m = document.getElementById('an-map').getBoundingClientRect();
        const paths = [...document.querySelectorAll('#an-map path.leaflet-interactive')].map(p => p.getBoundingClientRect());
        const w = Math.max(...paths.map(r => r.right)) - Math.min(...paths.map(r => r.left));
        const h = Math.max(...paths.map(r => r.bottom)) - Math.min(...paths.map(r => r.top));
        return Math.max(w / m.width, h / m.height); }""")
    assert filled > 0.8, filled
    shot(page, "dasbor-1366")
    page.set_viewport_size(PHONE)
    page.reload()
    open_dashboard(page)
    width, viewport = document_fits(page)
    assert width <= viewport, (width, viewport)
    shot(page, "dasbor-360")
    # Planners have no live stream: their /ops/ shows no live badge (never a red "Terputus").
    page.goto("/ops/")
    page.locator("h1").wait_for()
    assert page.locator("#lk-live").count() == 0

    # The public statistics at 360 px: no horizontal scroll, a readable chart, an "as of" time.
    pub = contexts(viewport=PHONE).new_page()
    pub.goto("/statistik/")
    pub.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('an-public-chart'))")
    width, viewport = document_fits(pub)
    assert width <= viewport, (width, viewport)
    assert pub.locator(".an-asof").inner_text().startswith("per ")
    assert pub.locator("#an-public-chart").bounding_box()["height"] >= 240
    shot(pub, "statistik-360")
    pub.set_viewport_size(LAPTOP)
    pub.reload()
    shot(pub, "statistik-1366")

    # A citizen's tracking page says in plain words that it updates by itself.
    pub.goto(f"/lacak/{made[0].tracking_code}/")
    pub.wait_for_selector('#lk-live[data-state="live"]')
    assert pub.locator("#lk-live").inner_text() == "Pembaruan langsung aktif"

    # The same pages in English show English.
    en = contexts(viewport=PHONE).new_page()
    en.goto("/statistik/")
    en.select_option("#lk-lang-select", "en")
    en.locator(".an-asof", has_text="as of").wait_for()
    width, viewport = document_fits(en)
    assert width <= viewport, (width, viewport)
    shot(en, "statistik-360-english")
    login(en, "planner", "/dasbor/")
    open_dashboard(en)
    labels = legend_labels(en, "an-categories")
    assert "Damaged roads" in labels and not {"roads", "garbage", "drainage"} & set(labels), labels
    assert en.locator(".an-legend strong").inner_text() == "Complaints per area"
    shot(en, "dasbor-360-english")

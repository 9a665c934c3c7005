"""Faces per government in real Chromium at 360×740 (issue 18): the province landing page finds
the government from a pin and sends the citizen to its page; the citizen page asks which side
of the Kota Tangerang / Kabupaten Tangerang line a report near it is about (FMS #868).

A second government (36.03, a band around the city: tests/support/neighbour.py) is made for
each test and removed afterwards, so the shared database keeps only Kota Tangerang."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_flow import click_map_at
from tests.conftest import KARAWACI

pytestmark = [pytest.mark.browser]

PHONE = {"width": 360, "height": 740}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def neighbour(e2e_db):
    from tests.support.neighbour import neighbour_ensure, neighbour_remove

    try:
        yield neighbour_ensure()
    finally:
        neighbour_remove()


def header_color(page) -> str:
    return page.evaluate("getComputedStyle(document.querySelector('.lk-header')).backgroundColor")


def test_province_landing_finds_the_government_from_a_pin(neighbour, server, contexts):
    from tests.support.neighbour import outside_point

    page = contexts(viewport=PHONE).new_page()
    page.goto("/")  # two governments, no host, no path, no default: the province landing
    page.wait_for_selector('#lk-map[data-ready="1"]')
    assert page.locator("#lk-governments a").count() == 2
    assert "LAKSA Banten" in page.title()
    click_map_at(page, *KARAWACI)
    go = page.locator('[data-found="go"][data-government="36.71"]')
    go.wait_for()
    assert "Kota Tangerang" in page.locator('[data-found="text"]').inner_text()
    shot(page, "province-landing-found-360")
    go.click()
    page.wait_for_url(re.compile(r"/36\.71/\?lat=-?\d+\.\d+&lon=\d+\.\d+"))
    page.locator('#lk-where[data-state="inside"]').wait_for()
    assert page.locator('[data-where="kecamatan"]').inner_text() == "Karawaci"
    assert "LAKSA Kota Tangerang" in page.title()
    # Under daphne too, the page's links keep the government's path (its script prefix).
    assert page.locator('#lk-nav a[href="/36.71/peta/"]').count() == 1
    shot(page, "province-landing-to-kota-tangerang-360")

    page.goto("/provinsi/")
    click_map_at(page, *outside_point(800))
    page.locator('[data-found="go"][data-government="36.03"]').click()
    page.wait_for_url(re.compile(r"/36\.03/\?lat="))
    page.locator('#lk-where[data-state="inside"]').wait_for()
    assert "LAKSA Kabupaten Tangerang" in page.title()
    assert header_color(page) == "rgb(15, 123, 60)"  # its colour_primary #0f7b3c
    categories = page.eval_on_selector_all("#f-category option", "els => els.map(e => e.value).filter(Boolean)")
    assert categories == ["roads", "drainage"]
    shot(page, "province-landing-to-kabupaten-tangerang-360")

    # "Use my location": the phone's fix (with its accuracy) goes the same way.
    phone = contexts(viewport=PHONE, geolocation={"longitude": KARAWACI[0], "latitude": KARAWACI[1], "accuracy": 30},
                     permissions=["geolocation"]).new_page()
    phone.goto("/provinsi/")
    phone.wait_for_selector('#lk-map[data-ready="1"]')
    phone.click("#lk-locate")
    go = phone.locator('[data-found="go"][data-government="36.71"]')
    go.wait_for()
    assert "accuracy_m=30" in go.get_attribute("href")


def bridge_alternatives(page):
    """Until GET /api/v1/locate/ answers `alternatives` (helper prov's branch), add the contract's
    field to the real answer: the other government, for an accuracy circle of 100 m or more.
    Once the server answers the field itself, its own answer passes unchanged."""
    from boundaries.models import Government

    names = dict(Government.objects.values_list("code", "name"))

    def handle(route, request):
        response = route.fetch()
        body = response.json()
        if "alternatives" not in body:
            accuracy = float((parse_qs(urlparse(request.url).query).get("accuracy_m") or ["0"])[0])
            here = (body.get("government") or {}).get("code") or ".".join(((body.get("kecamatan") or {}).get("code") or "").split(".")[:2])
            body["alternatives"] = ([{"code": c, "name": n} for c, n in names.items() if c != here]
                                    if accuracy >= 100 and here else [])
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/v1/locate/?*", handle)


def test_border_question_sends_the_citizen_to_the_chosen_side(neighbour, server, contexts):
    from tests.support.neighbour import border_point

    lon, lat = border_point(40)
    page = contexts(viewport=PHONE).new_page()
    bridge_alternatives(page)
    page.goto(f"/36.71/?lat={lat}&lon={lon}&accuracy_m=500")
    box = page.locator("#lk-border")
    box.wait_for()
    assert "500 m" in box.inner_text()
    assert page.locator('#lk-border [data-choice]').all_inner_texts() == ["Kota Tangerang (titik ini)", "Kabupaten Tangerang"]
    shot(page, "border-question-360")
    # "This point": the question goes away, the pin stays.
    pin = page.locator("#lk-map").get_attribute("data-pin")
    page.locator('#lk-border [data-choice="36.71"]').click()
    box.wait_for(state="hidden")
    assert page.locator("#lk-map").get_attribute("data-pin") == pin
    assert page.url.split("?")[0].endswith("/36.71/")

    # The other side: the pin goes just inside Kabupaten Tangerang, on its own page.
    page.goto(f"/36.71/?lat={lat}&lon={lon}&accuracy_m=500")
    page.locator('#lk-border [data-choice="36.03"]').click()
    page.wait_for_url(re.compile(r"/36\.03/\?lat="))
    page.locator('#lk-where[data-state="inside"]').wait_for()
    assert page.locator('[data-where="kecamatan"]').inner_text() == "Batas Kota"
    new_lat, new_lon = map(float, page.locator("#lk-map").get_attribute("data-pin").split(","))
    assert abs(new_lon - lon) < 0.002 and abs(new_lat - lat) < 0.002  # a few tens of meters away
    shot(page, "border-question-moved-to-kabupaten-360")


def test_border_question_moves_the_pin_into_this_pages_government_and_sends(neighbour, server, contexts):
    from fieldops.models import Complaint
    from tests.support.neighbour import border_point

    lon, lat = border_point(40)
    page = contexts(viewport=PHONE).new_page()
    bridge_alternatives(page)
    # On Kabupaten Tangerang's page with a GPS fix just inside Kota Tangerang, 500 m accuracy.
    page.goto(f"/36.03/?lat={lat}&lon={lon}&accuracy_m=500")
    page.locator('#lk-border [data-choice="36.03"]').click()
    page.locator("#lk-border").wait_for(state="hidden")
    page.wait_for_function("() => document.querySelector('[data-where=\"kecamatan\"]').textContent === 'Batas Kota'")
    assert "Kabupaten Tangerang" in page.locator("#lk-geo-status").inner_text()
    assert page.url.split("?")[0].endswith("/36.03/")
    page.select_option("#f-category", "roads")
    page.fill("#f-description", "Jalan berlubang tepat di perbatasan kota dan kabupaten")
    page.click("#lk-send")
    page.locator("#lk-done").wait_for()
    code = page.locator('[data-done="code"]').inner_text().strip()
    complaint = Complaint.objects.select_related("government").get(tracking_code=code)
    assert complaint.government.code == "36.03"
    shot(page, "border-question-sent-in-kabupaten-360")


def test_governors_page_asks_for_the_kab_kota_figures(neighbour, server, contexts):
    """The province view of the superuser and of the province role: GET
    /api/v1/analytics/areas/?level=kota, a row per kab/kota of the deployment."""
    from tests.browser.conftest import login

    page = contexts(viewport=PHONE).new_page()
    answers = []
    page.on("response", lambda r: answers.append((r.url, r.status)) if "/analytics/areas/" in r.url else None)
    login(page, "provinsi", "/provinsi/dasbor/")
    page.wait_for_selector("#lk-map[data-areas]")
    [(url, status)] = answers
    assert url.endswith("/api/v1/analytics/areas/?level=kota") and status == 200
    assert page.locator("#lk-map").get_attribute("data-areas") == "2"
    assert page.locator("#lk-areas tbody tr").count() == 2
    shot(page, "governor-kabkota-360")

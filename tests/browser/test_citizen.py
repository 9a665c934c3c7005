"""The citizen's own reports in real Chromium: two reports sent from one phone appear under
"Laporan saya" with their live status; one is resolved by the agency (through the service layer)
and the citizen reopens it from that list, with the token kept on the phone. The same in English."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests.browser.conftest import SCREENSHOTS, set_demo_password
from tests.browser.test_flow import click_map_at, wait_live
from tests.conftest import CITY_HALL, KARAWACI

pytestmark = [pytest.mark.browser]

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def send_report(page, *, lonlat, category: str, description: str) -> str:
    page.goto("/")
    page.select_option("#f-category", category)
    click_map_at(page, *lonlat)
    page.locator('#lk-where[data-state="inside"]').wait_for()
    page.fill("#f-description", description)
    page.click("#lk-send")
    page.locator("#lk-done").wait_for()
    code = page.locator('[data-done="code"]').inner_text().strip()
    assert re.fullmatch(r"LKS-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    assert page.locator('[data-done="saved"]').is_visible()
    return code


def api_post(server, path: str, body: dict, token: str | None = None) -> dict:
    import json
    import urllib.request

    headers = {"Content-Type": "application/json", **({"Authorization": f"Token {token}"} if token else {})}
    req = urllib.request.Request(f"{server.url}{path}", data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.loads(r.read())


def resolve_as_agency(server, code: str) -> None:
    """The agency fixes it through the API (the server announces it on the report's socket):
    the operator verifies and assigns, the supervisor resolves with a recorded override."""
    from fieldops.models import Crew

    tokens = {}
    for username in ("operator", "spv-pupr"):
        set_demo_password(username)
        tokens[username] = api_post(server, "/api/v1/auth/token/", {"username": username, "password": "laksa-demo"})["token"]
    base = f"/api/v1/complaints/{code}"
    api_post(server, f"{base}/verify/", {}, tokens["operator"])
    api_post(server, f"{base}/assign/", {"crew": Crew.objects.get(name="Tim Sigap PUPR 1").pk}, tokens["operator"])
    api_post(server, f"{base}/resolve/", {"override": True, "override_reason": "Foto tertinggal di kantor"},
             tokens["spv-pupr"])


@pytest.mark.parametrize("lang", ["id", "en"])
def test_my_reports_live_and_reopen(e2e_db, server, contexts, lang):
    from fieldops.models import Complaint, Status

    ctx = contexts(viewport=PHONE)
    ctx.add_cookies([{"name": "django_language", "value": lang, "url": server.url}])
    page = ctx.new_page()
    with translation.override(lang):
        labels = {s: str(Status(s).label) for s in (Status.NEW, Status.RESOLVED, Status.REOPENED)}
        texts = {"reopen_open": translation.gettext("Not fixed? Reopen it"),
                 "my_reports": translation.gettext("My reports")}
    if lang == "en":
        assert texts["reopen_open"] == "Not fixed? Reopen it"
    else:
        assert texts["reopen_open"] != "Not fixed? Reopen it"  # translated, not the English source

    first = send_report(page, lonlat=KARAWACI, category="roads",
                        description="Lubang besar di jalan depan sekolah." if lang == "id" else "A deep pothole by the school.")
    if lang == "id":
        shot(page, "citizen-sent-360")
    second = send_report(page, lonlat=CITY_HALL, category="street-lights",
                         description="Lampu jalan mati sejak seminggu." if lang == "id" else "The street light is off.")

    # Both are listed, newest first, from the success card's link; each with its status.
    page.click('#lk-done a[href="/laporan-saya/"]')
    page.wait_for_url("**/laporan-saya/")
    assert page.locator("h1").inner_text().strip() == texts["my_reports"]
    mine = page.locator("#lk-mine > li")
    page.locator(f'#lk-mine li[data-code="{first}"][data-status="new"]').wait_for()
    page.locator(f'#lk-mine li[data-code="{second}"][data-status="new"]').wait_for()
    assert [mine.nth(i).get_attribute("data-code") for i in range(mine.count())] == [second, first]
    assert page.locator(f'#lk-mine li[data-code="{first}"] [data-field="status"]').inner_text().strip() == labels["new"]
    wait_live(page)
    page.evaluate("window.__noReload = true")
    if lang == "id":
        shot(page, "laporan-saya-360")

    # The agency resolves the first: the list turns it green by itself, and offers to reopen it.
    resolve_as_agency(server, first)
    item = page.locator(f'#lk-mine li[data-code="{first}"][data-status="resolved"]')
    item.wait_for(timeout=10000)
    assert item.locator('[data-field="status"]').inner_text().strip() == labels["resolved"]
    assert page.locator(f'#lk-mine li[data-code="{second}"] details').count() == 0  # still open: nothing to reopen
    item.locator("summary").click()
    item.locator("button[data-action=reopen]").click()  # without a reason: refused on the page
    assert item.locator('[data-reopen="error"]').is_visible()
    item.locator("textarea").fill("Masih berlubang." if lang == "id" else "Still a hole.")
    if lang == "id":
        shot(page, "laporan-saya-reopen-360")
    item.locator("button[data-action=reopen]").click()
    reopened = page.locator(f'#lk-mine li[data-code="{first}"][data-status="reopened"]')
    reopened.wait_for()
    assert reopened.locator('[data-field="status"]').inner_text().strip() == labels["reopened"]
    assert reopened.locator("details").count() == 0
    assert page.evaluate("window.__noReload") is True
    assert Complaint.objects.get(tracking_code=first).status == "reopened"
    assert Complaint.objects.get(tracking_code=second).status == "new"

    if lang == "id":
        page.set_viewport_size(LAPTOP)
        shot(page, "laporan-saya-1366")
        # The tracking page, both sizes.
        page.goto(f"/lacak/{first}/")
        wait_live(page)
        shot(page, "tracking-1366")
        page.set_viewport_size(PHONE)
        shot(page, "tracking-360")


def post_report(ctx, *, lonlat, category: str, description: str, photo: bool = False) -> str:
    import json

    from tests.browser.conftest import jpeg

    form = {"category": category, "description": description,
            "location": json.dumps({"lon": lonlat[0], "lat": lonlat[1]})}
    if photo:
        form["photo"] = jpeg()
    r = ctx.request.post("/api/v1/complaints/", multipart=form)
    assert r.status == 201, r.text()
    return r.json()["tracking_code"]


def test_place_search_similar_reports_popups_and_photos(e2e_db, server, contexts):
    """Before the pin: find a place by name; the office waits for the category; similar reports
    are of the chosen category only. The public map's popup and the tracking photos."""
    spot = (KARAWACI[0] + 0.003, KARAWACI[1] + 0.002)
    ctx = contexts(viewport=PHONE)
    pothole = post_report(ctx, lonlat=spot, category="roads", description="Lubang besar dekat gang, sudah dua minggu.",
                          photo=True)
    light = post_report(ctx, lonlat=(spot[0] + 0.00004, spot[1]), category="street-lights",
                        description="Lampu jalan mati di ujung gang.")
    page = ctx.new_page()

    # 1. The place search centres the map on the market, typo and all.
    page.goto("/")
    page.wait_for_selector('#lk-map[data-ready="1"]')
    page.fill("#f-place", "pasar anyr")
    option = page.locator("#lk-place-results li[role=option]", has_text="Pasar Anyar")
    option.wait_for()
    shot(page, "citizen-place-search-360")
    option.click()
    page.wait_for_selector('#lk-map[data-place="Pasar Anyar"]')
    lat, lon = page.evaluate("(() => { const c = document.getElementById('lk-map').lkMap.getCenter(); return [c.lat, c.lng]; })()")
    assert abs(lat - -6.1742) < 0.002 and abs(lon - 106.6340) < 0.002, (lat, lon)
    assert "Pasar Anyar" in page.locator("#lk-geo-status").inner_text()
    # A kelurahan by its office's name: the map fits the kelurahan.
    page.fill("#f-place", "kantor kelurahan sukarasa")
    page.locator("#lk-place-results li[role=option]", has_text="Sukarasa").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_selector('#lk-map[data-place="Sukarasa"]')

    # 2. The pin before a category: the office depends on it, no similar reports yet.
    page.wait_for_timeout(400)  # the map's zoom animation to the kelurahan ends
    page.evaluate("([lat, lon]) => document.getElementById('lk-map').lkMap.setView([lat, lon], 17, {animate: false})",
                  [spot[1], spot[0]])  # the citizen pans to the spot
    click_map_at(page, *spot)
    where = page.locator('#lk-where[data-state="inside"]')
    where.wait_for()
    with translation.override("id"):
        depends = translation.gettext("depends on the category")
    assert depends == "tergantung kategori"
    assert page.locator('[data-where="agency"]').inner_text().strip() == depends
    assert page.locator('[data-where="similar"]').is_hidden()
    # 3. Street lights: only the street-light report nearby, with its distance; never the pothole.
    page.select_option("#f-category", "street-lights")
    similar = page.locator('[data-where="similar"] li')
    similar.first.wait_for()
    assert page.locator('[data-where="agency"]').inner_text().strip() != depends
    codes = [similar.nth(i).locator("a").inner_text().strip() for i in range(similar.count())]
    assert light in codes and pothole not in codes
    assert re.search(r"\d+ m", similar.first.inner_text())
    shot(page, "citizen-similar-360")
    page.select_option("#f-category", "roads")
    page.locator('[data-where="similar"] li a', has_text=pothole).wait_for()
    assert page.locator('[data-where="similar"] li a', has_text=light).count() == 0
    page.set_viewport_size(LAPTOP)
    shot(page, "citizen-1366")
    page.set_viewport_size(PHONE)

    # 4. The public map: the popup shows category, description, status, date and the photo.
    for size, viewport in (("360", PHONE), ("1366", LAPTOP)):
        page.set_viewport_size(viewport)
        page.goto("/peta/")
        page.wait_for_selector("#lk-map[data-markers]")
        page.evaluate("""(code) => new Promise((done) => {
            const el = document.getElementById('lk-map');
            const m = el.lkCluster.getLayers().find((l) => l.options.title === code);
            el.lkCluster.zoomToShowLayer(m, () => { m.openPopup(); done(); });
        })""", pothole)
        pop = page.locator(f'.lk-popup[data-code="{pothole}"][data-loaded="1"]')
        pop.wait_for()
        text = pop.inner_text()
        assert "Jalan rusak" in text and "Lubang besar dekat gang" in text and "Baru" in text
        page.wait_for_function("(code) => { const img = document.querySelector(`.lk-popup[data-code=\"${code}\"] img`);"
                               " return !!img && img.naturalWidth > 0; }", arg=pothole)
        shot(page, f"peta-popup-{size}")
        page.goto("/transparansi/")
        shot(page, f"transparansi-{size}")

    # 5. Tracking: the citizen's photo says what it is and opens larger on a tap.
    page.set_viewport_size(PHONE)
    page.goto(f"/lacak/{pothole}/")
    figure = page.locator("figure.lk-photo").first
    with translation.override("id"):
        assert translation.gettext("When reported") in figure.inner_text()
    figure.locator("a[data-photo-open]").click()
    page.wait_for_selector("#lk-lightbox[open]")
    page.wait_for_function("() => { const img = document.querySelector('#lk-lightbox img');"
                           " return !!img && img.naturalWidth > 0; }")
    shot(page, "tracking-photo-open-360")
    page.locator("#lk-lightbox .lk-lightbox-close").click()
    page.wait_for_selector("#lk-lightbox:not([open])", state="attached")


def test_a_lost_answer_then_an_edit_sends_a_new_report_not_a_422(e2e_db, server, contexts):
    """The answer to the first send is lost (the report was made). Sending the same form again
    reuses the Idempotency-Key and gets the same report back; editing the form first makes it
    another report with a new key, where the reused key used to answer 422."""
    from fieldops.models import Complaint

    page = contexts(viewport=PHONE).new_page()
    lost = {"n": 0}

    def lose_answer(route):
        if route.request.method == "POST" and lost["n"] < 2:
            lost["n"] += 1
            route.fetch()  # the server makes the report...
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/complaints/", lose_answer)
    page.goto("/")
    page.select_option("#f-category", "garbage")
    click_map_at(page, *KARAWACI)
    page.locator('#lk-where[data-state="inside"]').wait_for()
    page.fill("#f-description", "Sampah menumpuk di pinggir jalan.")
    page.click("#lk-send")
    page.locator("#lk-form-error:not([hidden])").wait_for()
    first = Complaint.objects.filter(description="Sampah menumpuk di pinggir jalan.")
    assert first.count() == 1
    page.click("#lk-send")  # the same body again, its answer lost again: still one report
    page.wait_for_function("() => !document.getElementById('lk-send').disabled")
    assert lost["n"] == 2 and first.count() == 1
    # The citizen adds a detail and sends: a new key, a new report, no 422.
    page.fill("#f-description", "Sampah menumpuk di pinggir jalan, sudah bau.")
    page.click("#lk-send")
    page.locator("#lk-done").wait_for()
    code = page.locator('[data-done="code"]').inner_text().strip()
    assert Complaint.objects.get(tracking_code=code).description == "Sampah menumpuk di pinggir jalan, sudah bau."
    assert first.count() == 1

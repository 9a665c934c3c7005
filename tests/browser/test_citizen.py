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

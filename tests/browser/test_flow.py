"""The whole life of a report in real Chromium: a citizen on a phone reports a pothole in
Karawaci, the command center sees it appear and dispatches Tim Sigap, the crew sees the job
arrive, proves the work with before/after photos and resolves it, and the citizen's tracking
page turns green, all live, without reloading any page."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import DESKTOP, PHONE, jpeg, login, shot
from tests.conftest import KARAWACI

pytestmark = [pytest.mark.browser]

SIGAP_BUDGET_BYTES = 400 * 1024


def wait_live(page):
    try:
        page.wait_for_selector('#lk-live[data-state="live"]', timeout=15000)
    except Exception:
        state = page.evaluate("(document.getElementById('lk-live') || {dataset: {}}).dataset.state")
        shot(page, "failed-live")
        raise AssertionError(f"{page.url}: the live socket is {state!r}, not 'live'") from None


def click_map_at(page, lon: float, lat: float) -> None:
    """Tap the map where (lon, lat) is, like a finger would."""
    page.wait_for_selector('#lk-map[data-ready="1"]')
    x, y = page.evaluate(
        "([lat, lon]) => { const p = document.getElementById('lk-map').lkMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }", [lat, lon])
    page.locator("#lk-map").click(position={"x": x, "y": y})


class TransferMeter:
    """Bytes on the wire per request, from Chromium's own network records (CDP)."""

    def __init__(self, context, page):
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.cdp = context.new_cdp_session(page)
        self.cdp.on("Network.responseReceived", lambda e: self.urls.__setitem__(e["requestId"], e["response"]["url"]))
        self.cdp.on("Network.loadingFinished", lambda e: self.sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

    def total(self, *, exclude=lambda url: False) -> tuple[int, list[tuple[str, int]]]:
        rows = [(self.urls.get(rid, "?"), size) for rid, size in self.sizes.items()]
        rows = [(u, s) for u, s in rows if not exclude(u)]
        return sum(s for _, s in rows), sorted(rows, key=lambda r: -r[1])


def test_report_dispatch_resolve_live(e2e_db, server, contexts):
    from fieldops.models import Complaint, ComplaintEvent

    lon, lat = KARAWACI

    # The operator and the crew are at work before the report arrives.
    ops_ctx = contexts(viewport=DESKTOP)
    ops = ops_ctx.new_page()
    login(ops, "operator", "/ops/")
    wait_live(ops)
    ops.evaluate("window.__noReload = true")

    crew_ctx = contexts(viewport=PHONE, geolocation={"latitude": lat + 0.0001, "longitude": lon + 0.0001, "accuracy": 8},
                        permissions=["geolocation"])
    crew = crew_ctx.new_page()
    login(crew, "sigap1", "/accounts/login/")  # log in first, then measure a clean first load of /sigap/
    meter = TransferMeter(crew_ctx, crew)
    crew.goto("/sigap/")
    wait_live(crew)
    crew.wait_for_selector("#lk-tickets")
    crew.wait_for_load_state("networkidle")
    total, rows = meter.total(exclude=lambda u: "/media/" in u or "tile.openstreetmap" in u)
    print(f"/sigap/ first load: {total} bytes in {len(rows)} responses; largest: {rows[:5]}")
    assert total <= SIGAP_BUDGET_BYTES, f"/sigap/ first load transferred {total} bytes: {rows[:8]}"
    crew.evaluate("window.__noReload = true")
    shot(crew, "sigap-empty")

    # 1. A citizen on a 360x740 phone taps Karawaci and sees where the report will go.
    cit_ctx = contexts(viewport=PHONE)
    cit = cit_ctx.new_page()
    cit.goto("/")
    assert cit.locator("#lk-send").inner_text().strip() == "Kirim laporan"  # Bahasa Indonesia by default
    cit.select_option("#f-category", "roads")
    click_map_at(cit, lon, lat)
    where = cit.locator("#lk-where")
    where.locator('[data-where="kecamatan"]', has_text="Karawaci").wait_for()
    assert "Pekerjaan Umum" in where.locator('[data-where="agency"]').inner_text()
    assert cit.locator('[data-where="kelurahan"]').inner_text().strip() not in ("", "–")
    shot(cit, "citizen-pin")
    cit.fill("#f-description", "Lubang besar di jalan depan sekolah, berbahaya bagi pengendara motor.")
    cit.set_input_files("#f-photo", jpeg())
    cit.fill("#f-name", "Budi")
    cit.fill("#f-phone", "081234567890")
    cit.click("#lk-send")
    cit.locator("#lk-done").wait_for()
    code = cit.locator('[data-done="code"]').inner_text().strip()
    assert re.fullmatch(r"LKS-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    assert cit.evaluate(f"localStorage.getItem('laksa.token.{code}')")
    shot(cit, "citizen-sent")
    complaint = Complaint.objects.get(tracking_code=code)
    assert complaint.kecamatan.name == "Karawaci" and complaint.photos.filter(kind="report").count() == 1
    # The crew will stand at the site (a few meters off, like a real GPS fix).
    crew_ctx.set_geolocation({"latitude": complaint.location.y + 0.00003, "longitude": complaint.location.x, "accuracy": 8})

    # 4 (start). The citizen follows the report; the page will turn green by itself.
    cit.click('[data-done="link"]')
    cit.wait_for_url(f"**/lacak/{code}/")
    wait_live(cit)
    assert cit.locator("#lk-status").get_attribute("data-color") == "red"
    cit.evaluate("window.__noReload = true")

    # 2. The operator sees the new red marker appear without reloading, and dispatches a crew.
    ops.locator(".lk-toast", has_text=code).wait_for(timeout=10000)  # "Laporan baru LKS-…" with an Open button
    ops.locator(f'.lk-pin-red[title="{code}"]').wait_for(timeout=10000)
    item = ops.locator(f'#lk-queue [data-code="{code}"]')
    item.wait_for()
    shot(ops, "ops-new-report")
    item.click()
    panel = ops.locator(f'#lk-detail[data-code="{code}"]')
    panel.wait_for()
    assert "Budi" in panel.locator("[data-reporter]").inner_text()  # operators see the contact
    crew_option = panel.locator('select[data-field="crew"] option', has_text="Tim Sigap PUPR 1").get_attribute("value")
    load = ops.locator(f'#lk-crews [data-crew="{crew_option}"] [data-open-count]')
    open_before = int(load.text_content())
    panel.locator('select[data-field="crew"]').select_option(crew_option)
    panel.locator('button[data-act="assign"]').click()
    ops.locator(f'#lk-queue [data-code="{code}"][data-status="assigned"]').wait_for()
    ops.locator(f'.lk-pin-yellow[title="{code}"]').wait_for()
    panel.locator("[data-detail-crew]", has_text="Tim Sigap PUPR 1").wait_for()
    ops.wait_for_function("([sel, n]) => Number(document.querySelector(sel).textContent) === n",
                          arg=[f'#lk-crews [data-crew="{crew_option}"] [data-open-count]', open_before + 1])
    assert ops.evaluate("window.__noReload") is True

    # 3. The crew sees the assignment arrive, starts, photographs before and after, resolves.
    ticket = crew.locator(f'#lk-tickets [data-code="{code}"]')
    ticket.wait_for(timeout=10000)
    assert crew.evaluate("window.__noReload") is True
    assert ticket.locator("[data-directions]").get_attribute("href").startswith("geo:")
    assert "google.com/maps/dir/" in ticket.locator("[data-directions-web]").get_attribute("href")
    shot(crew, "sigap-assigned")
    ticket.locator('button[data-act="start"]').click()
    crew.locator(f'#lk-tickets [data-code="{code}"][data-status="in_progress"]').wait_for()
    wait_outbox_empty(crew)
    for kind, color in (("before", (120, 80, 40)), ("after", (40, 160, 60))):
        crew.locator(f'#lk-tickets [data-code="{code}"] input[data-photo="{kind}"]').set_input_files(jpeg(color))
        wait_photo_sent(crew, code, kind)
    assert complaint.photos.filter(kind__in=["before", "after"]).count() == 2
    t = crew.locator(f'#lk-tickets [data-code="{code}"]')
    t.locator("[data-note]").fill("Lubang sudah ditambal.")
    shot(crew, "sigap-working")
    t.locator('button[data-act="resolve"]:enabled').click()
    wait_outbox_empty(crew)
    # Resolved: the ticket turns green with a confirmation until the crew closes it.
    crew.locator(f'#lk-tickets [data-code="{code}"][data-color="green"] [data-resolved-confirm]').wait_for()
    crew.locator(f'#lk-tickets [data-code="{code}"] [data-dismiss]').click()
    crew.locator(f'#lk-tickets [data-code="{code}"]').wait_for(state="detached")
    complaint.refresh_from_db()
    assert complaint.status == "resolved"

    # 4. The citizen's page turned green without reloading and shows the before/after photos.
    cit.locator('#lk-status[data-color="green"]').wait_for(timeout=10000)
    cit.locator('#lk-proof img[data-kind="before"]').wait_for()
    cit.locator('#lk-proof img[data-kind="after"]').wait_for()
    assert cit.evaluate("window.__noReload") is True
    for img in ("before", "after"):
        assert cit.evaluate(f"document.querySelector('#lk-proof img[data-kind=\"{img}\"]').naturalWidth") > 0
    assert cit.locator("#lk-reopen").is_visible()  # the reporter's token is on this phone
    shot(cit, "tracking-green")
    assert ComplaintEvent.objects.filter(complaint=complaint, to_status="resolved").count() == 1


    # The public pages show it too.
    pub = cit_ctx.new_page()
    pub.goto("/transparansi/")
    pub.get_by_role("link", name=re.compile("Jalan rusak")).first.wait_for()
    shot(pub, "transparansi")
    pub.goto("/peta/")
    pub.wait_for_selector('#lk-map[data-markers]')
    shot(pub, "peta")

    # Not fixed after all: the reporter reopens it from the same phone (their token), live.
    cit.fill("#f-reopen-reason", "Lubangnya muncul lagi setelah hujan.")
    cit.click("#lk-reopen-btn")
    cit.locator('#lk-status[data-color="yellow"]').wait_for()
    assert cit.locator("#lk-reopen").is_hidden()
    complaint.refresh_from_db()
    assert complaint.status == "reopened"


def failed_items(page) -> list[str]:
    return page.evaluate(
        "() => [...document.querySelectorAll('[data-outbox-item][data-state=refused]')].map(e => e.textContent)")


def wait_photo_sent(page, code: str, kind: str, timeout=30.0) -> None:
    """Until the server accepted the photo (its thumbnail shows on the ticket), or fail with its reason."""
    selector = f'#lk-tickets [data-code="{code}"] [data-proof="{kind}"] [data-photo-accepted]'
    refused = page.locator(f'#lk-tickets [data-code="{code}"] [data-proof="{kind}"] [data-state="refused"]')
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if refused.count():
            raise AssertionError(f"the server refused the {kind} photo: {refused.all_inner_texts()}")
        if page.locator(selector).count():
            return
        time.sleep(0.1)
    raise AssertionError(f"the {kind} photo was not sent in {timeout} s; outbox: "
                         f"{page.locator('#lk-outbox').inner_text()!r}")


def wait_outbox_empty(page, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = page.evaluate(
            "() => { const o = document.getElementById('lk-outbox');"
            " return [o.dataset.count, [...document.querySelectorAll('[data-outbox-item][data-state=refused]')].map(e => e.textContent)]; }")
        if state[1]:
            raise AssertionError(f"the server refused queued work: {state[1]}")
        if state[0] == "0":
            return
        time.sleep(0.1)
    raise AssertionError("the outbox did not empty")

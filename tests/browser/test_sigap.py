"""The Tim Sigap page tells the truth, in real Chromium, in Indonesian and in English.

A crew member whose ticket's photos are gone on the server tries to resolve: the ticket shows
the refusal with the server's reason in the page's language and stays yellow, and the outbox
card and the ticket count the same. An after photo taken 4 km away is marked refused with its
distance; with an accepted before and after photo "Resolve" is enabled, the refused resolve is
retried and the ticket turns green with a confirmation.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE, in_thread, login, shot
from tests.browser.test_flow import wait_live, wait_outbox_empty, wait_photo_sent
from tests.conftest import KARAWACI, jpeg_bytes, make_complaint
from tests.fieldops.wf_helpers import gps_jpeg, offset

pytestmark = [pytest.mark.browser]

WIDE = {"width": 1366, "height": 768}
# The page's words for the outbox states and buttons, per language (web/jsstrings.py, the .po).
WORDS = {
    "id": {"refused": "ditolak", "resolve": "Selesaikan", "rules": "foto sebelum dan sesudah, diambil di lokasi, paling jauh 100 m",
           "missing": "foto sebelum dan foto sesudah", "accepted": "Diterima",
           "done": "sudah diselesaikan", "reason_word": "foto"},
    "en": {"refused": "refused", "resolve": "Resolve", "rules": "a before and an after photo, taken on site, at most 100 m",
           "missing": "a before photo and an after photo", "accepted": "Accepted",
           "done": "is resolved", "reason_word": "photo"},
}


def photo_file(name: str, content: bytes) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": content}


def ticket_counts(page, code: str) -> dict:
    """The pending and refused counts of the outbox card and of the ticket (0 when not shown)."""
    return page.evaluate(
        """(code) => {
             const n = (sel) => { const el = document.querySelector(sel); return el && !el.closest('[hidden]') ? Number(el.textContent) : 0; };
             const t = `#lk-tickets [data-code="${code}"]`;
             return {card_pending: n('#lk-outbox-count'), card_refused: n('#lk-outbox-refused [data-n]'),
                     ticket_pending: n(`${t} [data-count-pending] [data-n]`), ticket_refused: n(`${t} [data-count-refused] [data-n]`)};
           }""", code)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_crew_page_tells_the_truth(e2e_db, server, contexts, settings, lang):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fieldops.models import Crew, Photo
    from fieldops.proof import photo_add
    from fieldops.workflow import complaint_assign, complaint_start

    words = WORDS[lang]
    # Photos stored here must be where the server process serves them from.
    settings.MEDIA_ROOT = server.log.parent / "media"
    citizen_photo = SimpleUploadedFile("lubang.jpg", jpeg_bytes(size=(320, 240), color=(150, 90, 60)),
                                       content_type="image/jpeg")
    created = in_thread(make_complaint, lonlat=KARAWACI, description="Lubang besar di depan SD Negeri 3, bahaya untuk motor",
                        photo=citizen_photo)
    complaint = created.complaint
    code = complaint.tracking_code
    users = get_user_model().objects
    in_thread(complaint_assign, complaint=complaint, actor=users.get(username="operator"),
              crew=Crew.objects.get(name="Tim Sigap PUPR 2"))
    in_thread(complaint_start, complaint=complaint, actor=users.get(username="sigap2"))
    for kind in ("before", "after"):
        in_thread(photo_add, complaint=complaint, kind=kind, image=SimpleUploadedFile("p.jpg", gps_jpeg(KARAWACI)),
                  actor=users.get(username="sigap2"))

    site = offset(KARAWACI, north_m=3)
    ctx = contexts(viewport=PHONE, geolocation={"latitude": site[1], "longitude": site[0], "accuracy": 8},
                   permissions=["geolocation"])
    page = ctx.new_page()
    api_languages = []
    page.on("request", lambda r: api_languages.append(r.headers.get("accept-language"))
            if "/api/v1/" in r.url and r.resource_type in ("fetch", "xhr") else None)
    if lang == "en":
        # The crew chose English before opening the crew page (the header's switch submits itself).
        # A switch on an already cached /sigap/ shows the new language from the next open: the
        # service worker answers the page from its cache first (docs/WEB.md).
        page.goto("/")
        page.select_option("#lk-lang-select", "en")
        page.wait_for_function("() => document.documentElement.lang === 'en'")
    login(page, "sigap2", "/sigap/")
    page.wait_for_function(f"() => document.documentElement.lang === '{lang}'")
    wait_live(page)
    ticket = page.locator(f'#lk-tickets [data-code="{code}"]')
    ticket.wait_for()
    if lang == "en":
        page.wait_for_load_state("networkidle")
        api_languages.clear()  # the calls of the page before the switch were Indonesian

    # Before work starts the ticket says what it is about, where, by when, and what proof counts.
    assert words["rules"] in ticket.locator("[data-proof-rules]").inner_text()
    assert "SD Negeri 3" in ticket.locator("[data-description]").inner_text()
    ticket.locator("[data-citizen-photo]").scroll_into_view_if_needed()  # thumbnails load lazily
    page.wait_for_function("(code) => { const img = document.querySelector(`#lk-tickets [data-code=\"${code}\"] [data-citizen-photo]`);"
                           " return img && img.naturalWidth > 0; }", arg=code)
    assert "Karawaci" in ticket.locator("[data-area]").inner_text()
    assert ticket.locator("[data-due]").inner_text().strip()
    lat, lon = round(complaint.location.y, 7), round(complaint.location.x, 7)
    assert ticket.locator("[data-directions]").get_attribute("href") == f"geo:{lat},{lon}?q={lat},{lon}"
    assert "google.com/maps/dir/?api=1&destination=" in ticket.locator("[data-directions-web]").get_attribute("href")
    ticket.locator('[data-proof="before"][data-accepted="1"] [data-photo-accepted]').wait_for()
    resolve = ticket.locator('button[data-act="resolve"]')
    assert resolve.is_enabled() and words["resolve"] in resolve.inner_text()

    # The proof disappears on the server after the page read it; the crew tries to resolve.
    Photo.objects.filter(complaint=complaint, kind__in=["before", "after"]).delete()
    resolve.click()
    refused = ticket.locator('[data-ticket-actions] [data-action="resolve"][data-state="refused"]')
    refused.wait_for()
    assert refused.locator(".lk-state-refused").text_content().strip() == words["refused"]
    resolve_reason = refused.locator("[data-reason]").inner_text().strip()
    assert code in resolve_reason
    # The ticket is where the server says: still in progress, yellow, Resolve disabled with what is missing.
    page.locator(f'#lk-tickets [data-code="{code}"][data-status="in_progress"][data-color="yellow"] [data-proof-missing]').wait_for()
    assert not resolve.is_enabled()
    assert words["missing"] in ticket.locator("[data-proof-missing]").inner_text()
    complaint.refresh_from_db()
    assert complaint.status == "in_progress"
    counts = ticket_counts(page, code)
    assert counts == {"card_pending": 0, "card_refused": 1, "ticket_pending": 0, "ticket_refused": 1}, counts
    shot(page, f"sigap-refused-{lang}")

    # A before photo on site is accepted; an after photo taken 4 km away is refused, with its distance.
    ticket.locator('input[data-photo="before"]').set_input_files(photo_file("before.jpg", gps_jpeg(site)))
    wait_photo_sent(page, code, "before")
    ticket.locator('input[data-photo="after"]').set_input_files(
        photo_file("after-far.jpg", gps_jpeg(offset(KARAWACI, north_m=4000))))
    ticket.locator('[data-proof="after"] [data-state="refused"]').wait_for()  # marked in its slot
    assert ticket.locator('[data-proof="after"] .lk-state-refused').text_content().strip() == words["refused"]
    far = ticket.locator('[data-refused-photos] [data-kind="after"][data-state="refused"]')  # and in full below
    distance = int(far.get_attribute("data-refused-distance"))
    assert 3950 <= distance <= 4050, distance
    far_reason = far.locator("[data-reason]").inner_text().strip()
    # The server's reason names the same distance (rounded on its side) and the limit.
    assert any(abs(int(n) - distance) <= 1 for n in re.findall(r"\d+", far_reason)), far_reason
    assert "100" in far_reason
    assert ticket.locator('[data-proof="after"]').get_attribute("data-accepted") == "0"
    assert not ticket.locator('[data-proof="after"] [data-photo-accepted]').count()
    counts = ticket_counts(page, code)
    assert counts == {"card_pending": 0, "card_refused": 2, "ticket_pending": 0, "ticket_refused": 2}, counts
    assert words["accepted"] in ticket.locator('[data-proof="before"] figcaption').inner_text()
    shot(page, f"sigap-far-photo-{lang}")

    # The crew discards the far photo and takes it again on site: both proofs accepted.
    far.locator("[data-drop]").click()
    ticket.locator('[data-proof="after"] [data-state="refused"]').wait_for(state="detached")
    assert not ticket.locator("[data-refused-photos]").count()
    ticket.locator('input[data-photo="after"]').set_input_files(photo_file("after.jpg", gps_jpeg(offset(KARAWACI, east_m=5))))
    wait_photo_sent(page, code, "after")
    page.locator(f'#lk-tickets [data-code="{code}"] button[data-act="resolve"]:enabled').wait_for()
    assert not ticket.locator("[data-proof-missing]").count()
    shot(page, f"sigap-proof-ready-{lang}")

    # The refused resolve is retried now that its cause is fixed: done, green, confirmed.
    refused.locator("[data-retry]").click()
    confirm = page.locator(f'#lk-tickets [data-code="{code}"][data-color="green"] [data-resolved-confirm]')
    confirm.wait_for()
    wait_outbox_empty(page)
    assert code in confirm.inner_text() and words["done"] in confirm.inner_text()
    complaint.refresh_from_db()
    assert complaint.status == "resolved"
    assert ticket_counts(page, code) == {"card_pending": 0, "card_refused": 0, "ticket_pending": 0, "ticket_refused": 0}
    shot(page, f"sigap-resolved-{lang}")
    page.set_viewport_size(WIDE)
    shot(page, f"sigap-resolved-{lang}-1366")

    # Every API call carried the page's language.
    assert api_languages and set(api_languages) == {lang}, set(api_languages)
    # The server's reasons are in the page's language.
    for reason in (resolve_reason, far_reason):
        assert words["reason_word"] in reason.lower(), reason
    if lang == "id":
        assert "photo" not in resolve_reason and "photo" not in far_reason


def test_the_crew_page_at_both_sizes(e2e_db, server, contexts):
    """Screenshots of a working day's list at 360x740 and 1366x768, with no sideways scrolling."""
    from django.contrib.auth import get_user_model

    from fieldops.models import Crew
    from fieldops.workflow import complaint_assign, complaint_start

    crew = Crew.objects.get(name="Tim Sigap PUPR 2")
    operator = get_user_model().objects.get(username="operator")
    codes = []
    for i, text in enumerate(["Jalan berlubang di depan pasar Karawaci, dalam sekitar 20 cm",
                              "Aspal amblas setelah hujan deras di gang masjid",
                              "Lubang besar dekat halte, sudah ada korban jatuh dari motor"]):
        c = in_thread(make_complaint, lonlat=offset(KARAWACI, north_m=150 * i, east_m=80 * i), description=text).complaint
        in_thread(complaint_assign, complaint=c, actor=operator, crew=crew)
        if i == 0:
            in_thread(complaint_start, complaint=c, actor=get_user_model().objects.get(username="sigap2"))
        codes.append(c.tracking_code)
    for name, viewport in (("360", PHONE), ("1366", WIDE)):
        ctx = contexts(viewport=viewport)
        page = ctx.new_page()
        login(page, "sigap2", "/sigap/")
        wait_live(page)
        for code in codes:
            page.locator(f'#lk-tickets [data-code="{code}"] [data-proof-rules]').wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"/sigap/ is {width} px wide at {viewport['width']} px"
        page.screenshot(path=str(shot_path(f"sigap-{name}")), full_page=False)
        shot(page, f"sigap-{name}-full")


def shot_path(name: str):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_a_language_switch_on_the_open_crew_page_sticks(e2e_db, server, contexts):
    """Switching to English while /sigap/ is open, with its background refresh of the cached page
    in flight: every later open is English (the service worker does not store a refresh that
    started before the switch, sw.js `pageEpoch`)."""
    ctx = contexts(viewport=PHONE)
    page = ctx.new_page()
    login(page, "sigap2", "/sigap/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()  # answered from the cache, with a refresh behind it
    # The switch submits itself once base.js is running (it hides the submit button then).
    page.wait_for_function("() => document.querySelector('[data-lang-submit]').classList.contains('lk-sr')")
    page.select_option("#lk-lang-select", "en")
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=40000)
    for _ in range(3):
        page.goto("/sigap/")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == "en"
    shot(page, "sigap-language-switched-en")

"""Tim Sigap without a connection: work is queued on the phone and sent once, exactly once,
when the connection returns; the page itself reopens offline from the service worker."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, assigned_complaint, in_thread, login, shot
from tests.browser.test_flow import wait_live, wait_outbox_empty, wait_photo_sent
from tests.conftest import KARAWACI, make_complaint

pytestmark = [pytest.mark.browser]


def test_offline_action_is_queued_and_sent_once(e2e_db, server, contexts):
    from fieldops.models import ComplaintEvent

    complaint = assigned_complaint("Tim Sigap PUPR 2", "Saluran tersumbat sampah di depan pasar")
    code = complaint.tracking_code

    ctx = contexts(viewport=PHONE, geolocation={"latitude": KARAWACI[1], "longitude": KARAWACI[0]},
                   permissions=["geolocation"])
    page = ctx.new_page()
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith(f"/{code}/start/") else None)
    login(page, "sigap2", "/sigap/")
    wait_live(page)
    ticket = page.locator(f'#lk-tickets [data-code="{code}"]')
    ticket.wait_for()
    # The service worker has cached the page shell before the connection goes.
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)") is True
    page.wait_for_function("() => navigator.serviceWorker.controller !== null || true")

    ctx.set_offline(True)
    page.wait_for_function("() => navigator.onLine === false")
    assert page.locator("#lk-offline-note").is_visible()
    ticket.locator('button[data-act="start"]').click()
    page.locator("#lk-outbox-count", has_text="1").wait_for()
    page.locator('#lk-outbox-list [data-outbox-item][data-state="waiting"]', has_text=code).wait_for()
    shot(page, "sigap-offline-queued")
    complaint.refresh_from_db()
    assert complaint.status == "assigned", "nothing may reach the server while offline"
    assert posts == []

    # Reopening the page without a connection: the service worker serves it, the queue survives.
    page.reload()
    page.locator(f'#lk-tickets [data-code="{code}"]').wait_for()
    page.locator("#lk-outbox-count", has_text="1").wait_for()
    shot(page, "sigap-offline-reopened")

    ctx.set_offline(False)
    wait_outbox_empty(page, timeout=20)
    page.locator(f'#lk-tickets [data-code="{code}"][data-status="in_progress"]').wait_for()
    complaint.refresh_from_db()
    assert complaint.status == "in_progress"
    starts = ComplaintEvent.objects.filter(complaint=complaint, to_status="in_progress", from_status="assigned")
    assert starts.count() == 1
    page.wait_for_timeout(1500)  # a late duplicate would show up here
    assert len(posts) == 1, posts
    assert ComplaintEvent.objects.filter(complaint=complaint, to_status="in_progress").count() == 1
    shot(page, "sigap-back-online")


def test_a_redraw_while_working_keeps_the_note_and_the_chosen_photo(e2e_db, server, contexts):
    """Live events redraw the ticket list at any moment, also while the crew is typing the note
    or has the camera open: the text stays, and a photo chosen in an input the redraw replaced
    is still queued and sent (it used to be dropped silently)."""
    import base64

    from django.contrib.auth import get_user_model

    from fieldops.models import Crew
    from fieldops.workflow import complaint_assign, complaint_start
    from tests.conftest import jpeg_bytes

    created = in_thread(make_complaint, lonlat=KARAWACI, description="Lampu jalan mati di gang masjid")
    complaint = created.complaint
    operator = get_user_model().objects.get(username="operator")
    in_thread(complaint_assign, complaint=complaint, actor=operator, crew=Crew.objects.get(name="Tim Sigap PUPR 2"))
    in_thread(complaint_start, complaint=complaint, actor=get_user_model().objects.get(username="sigap2"))
    code = complaint.tracking_code

    ctx = contexts(viewport=PHONE, geolocation={"latitude": KARAWACI[1] + 0.00002, "longitude": KARAWACI[0]},
                   permissions=["geolocation"])
    page = ctx.new_page()
    login(page, "sigap2", "/sigap/")
    wait_live(page)
    ticket = page.locator(f'#lk-tickets [data-code="{code}"][data-status="in_progress"]')
    ticket.wait_for()
    ticket.locator("[data-note]").fill("Sedang diganti bohlamnya")
    photo_input = ticket.locator('input[data-photo="after"]').element_handle()

    # A redraw of this ticket: it changed on the server, and the page reloads its tickets (when
    # the connection comes back, as on a live event). An unchanged ticket is kept as it is.
    from fieldops.models import Complaint

    Complaint.objects.filter(pk=complaint.pk).update(description="Lampu jalan mati di gang masjid, tiang miring")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("el => !el.isConnected", arg=photo_input, timeout=10000)
    assert ticket.locator("[data-note]").input_value() == "Sedang diganti bohlamnya"
    assert page.evaluate("document.activeElement.matches('[data-note]')") is True

    # The camera returns its picture to the input the crew opened: the one just replaced.
    photo = base64.b64encode(jpeg_bytes(size=(640, 480), color=(40, 160, 60))).decode()
    page.evaluate(
        """([input, b64]) => {
             const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], "after.jpg", { type: "image/jpeg" }));
             input.files = dt.files;
             input.dispatchEvent(new Event("change"));
           }""",
        [photo_input, photo],
    )
    wait_photo_sent(page, code, "after")
    assert complaint.photos.filter(kind="after").count() == 1

"""Tim Sigap without a connection: work is queued on the phone and sent once, exactly once,
when the connection returns; the page itself reopens offline from the service worker."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, in_thread, login, shot
from tests.browser.test_flow import wait_live, wait_outbox_empty
from tests.conftest import KARAWACI, make_complaint

pytestmark = [pytest.mark.browser]


def test_offline_action_is_queued_and_sent_once(e2e_db, server, contexts):
    from django.contrib.auth import get_user_model

    from fieldops.models import ComplaintEvent, Crew
    from fieldops.workflow import complaint_assign

    created = in_thread(make_complaint, lonlat=KARAWACI, description="Saluran tersumbat sampah di depan pasar")
    complaint = created.complaint
    operator = get_user_model().objects.get(username="operator")
    in_thread(complaint_assign, complaint=complaint, actor=operator, crew=Crew.objects.get(name="Tim Sigap PUPR 2"))
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
    page.wait_for_function("navigator.serviceWorker.controller !== null || true")

    ctx.set_offline(True)
    page.wait_for_function("navigator.onLine === false")
    assert page.locator("#lk-offline-note").is_visible()
    ticket.locator('button[data-act="start"]').click()
    page.locator("#lk-outbox-count", has_text="1").wait_for()
    page.locator(f'#lk-outbox-list [data-outbox-item][data-state="waiting"]', has_text=code).wait_for()
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

"""Web Push on the crew's phone: the Tim Sigap page registers its service worker; a push delivered
to it (Chrome DevTools Protocol ServiceWorker.deliverPushMessage, since the real push service is
not reachable here) shows a notification naming the ticket, with the ticket's link."""

from __future__ import annotations

import json
import time

import pytest

from tests.browser.conftest import PHONE, in_thread, login, shot
from tests.conftest import KARAWACI, make_complaint

pytestmark = [pytest.mark.browser]


def test_a_push_shows_a_notification_naming_the_ticket(e2e_db, server, contexts):
    from django.contrib.auth import get_user_model

    from fieldops.models import ComplaintEvent, Crew
    from fieldops.workflow import complaint_assign
    from integrations.push import push_payload

    complaint = in_thread(make_complaint, lonlat=KARAWACI, description="Lampu jalan mati di gang masjid",
                          reporter_phone="081277776666").complaint
    operator = get_user_model().objects.get(username="operator")
    in_thread(complaint_assign, complaint=complaint, actor=operator, crew=Crew.objects.get(name="Tim Sigap PUPR 2"))
    event = ComplaintEvent.objects.filter(complaint=complaint, type="assigned").select_related(
        "complaint__category", "complaint__kelurahan").get()
    payload = push_payload(event)

    ctx = contexts(viewport=PHONE, permissions=["notifications"])
    page = ctx.new_page()
    login(page, "sigap2", "/sigap/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)") is True

    cdp = ctx.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: registrations.extend(r for r in e["registrations"] if not r.get("isDeleted")))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    mine = [r for r in registrations if r["scopeURL"].startswith(server.url)]
    assert mine, f"no service worker registration seen: {registrations}"
    registration = mine[0]
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": server.url, "registrationId": registration["registrationId"],
                                                  "data": json.dumps(payload)})
    shown, deadline = None, time.monotonic() + 10
    while not shown and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = page.evaluate(
            """code => navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns =>
                 ns.filter(n => n.title.includes(code)).map(n => ({title: n.title, body: n.body, url: n.data.url}))[0]
                 || null)""", complaint.tracking_code)
    assert shown, "no notification shown for the push"
    assert complaint.tracking_code in shown["title"] and shown["url"] == f"/sigap/?ticket={complaint.tracking_code}"
    assert "081277776666" not in json.dumps(shown)
    shot(page, "sigap-push-360")

    # Tapping it opens the ticket: the page at its url brings that ticket into view, marked.
    page.goto(shown["url"])
    page.locator(f'#lk-tickets [data-code="{complaint.tracking_code}"].lk-ticket-wanted').wait_for()
    shot(page, "sigap-push-opened-360")

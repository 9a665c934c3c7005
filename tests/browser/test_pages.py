"""The other faces of the web app in Chromium: language switch, clear refusals on the citizen
form, read-only leaders, OPD-scoped staff, the login page and the public pages."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, in_thread, login, shot
from tests.browser.test_flow import click_map_at, wait_live
from tests.conftest import KARAWACI, make_complaint

pytestmark = [pytest.mark.browser]


def test_language_switch_and_citizen_refusals(e2e_db, server, contexts):
    page = contexts(viewport=PHONE).new_page()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.locator("#lk-send").inner_text().strip() == "Kirim laporan"

    # No pin yet: the form says so next to the location, nothing is sent.
    page.click("#lk-send")
    loc_error = page.locator('[data-error-for="location"]')
    loc_error.wait_for()
    assert "pin" in loc_error.inner_text().lower()

    # A pin outside the city: a clear message, no kecamatan.
    page.wait_for_selector('#lk-map[data-ready="1"]')
    box = page.locator("#lk-map").bounding_box()
    page.locator("#lk-map").click(position={"x": box["width"] - 12, "y": 60})
    outside = page.locator('#lk-where [data-where="outside"]')
    outside.wait_for()
    assert "luar wilayah layanan" in outside.inner_text() and "Kecamatan terdekat" in outside.inner_text()
    shot(page, "citizen-outside")

    # Inside the city but no category and no description: every missing field is marked at once.
    click_map_at(page, *KARAWACI)
    page.locator('#lk-where [data-where="kecamatan"]', has_text="Karawaci").wait_for()
    page.click("#lk-send")
    page.locator('[data-error-for="category"]').wait_for()
    page.locator('[data-error-for="description"]').wait_for()
    assert page.locator("#f-category").get_attribute("aria-invalid") == "true"
    # A field only the server can judge: its refusal is shown next to that field.
    page.select_option("#f-category", "drainage")
    page.fill("#f-description", "Got mampet, air meluap ke jalan.")
    page.fill("#f-email", "bukan-email")
    page.click("#lk-send")
    email_error = page.locator('[data-error-for="reporter_email"]')
    email_error.wait_for()
    assert "email" in email_error.inner_text().lower()
    assert page.locator('[data-error-for="category"]').is_hidden()
    assert page.locator("#lk-done").is_hidden()
    shot(page, "citizen-field-errors")

    # English through the switch changes the visible strings.
    page.select_option("#lk-lang-select", "en")
    page.wait_for_load_state()
    page.locator("#lk-send", has_text="Send report").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Report a problem" in page.locator("h1").inner_text()
    shot(page, "citizen-english")
    page.select_option("#lk-lang-select", "id")
    page.locator("#lk-send", has_text="Kirim laporan").wait_for()


def test_staff_pages_by_role(e2e_db, server, contexts):
    roads = in_thread(make_complaint, lonlat=KARAWACI, category="roads", description="Jalan amblas").complaint
    garbage = in_thread(make_complaint, lonlat=KARAWACI, category="garbage", description="Sampah menumpuk").complaint
    # A wrong password: a clear message on the styled login page.
    page = contexts(viewport=PHONE).new_page()
    page.goto("/accounts/login/?next=/ops/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "wrong-password")
    page.click(".lk-login button[type=submit]")
    page.locator(".lk-alert-error").wait_for()
    shot(page, "login-error")

    # Leaders follow everything but see no action buttons.
    leader = contexts(viewport=DESKTOP).new_page()
    login(leader, "leader", "/ops/")
    wait_live(leader)
    assert leader.locator("#lk-readonly").is_visible()
    leader.locator(f'#lk-queue [data-code="{roads.tracking_code}"]').wait_for()
    leader.locator(f'#lk-queue [data-code="{garbage.tracking_code}"]').click()
    leader.locator(f'#lk-detail[data-code="{garbage.tracking_code}"]').wait_for()
    assert leader.locator("[data-act]").count() == 0
    assert leader.locator("[data-reporter]").count() == 0  # leaders see no reporter contact
    shot(leader, "ops-leader")

    # Planners have no live stream: no live badge (nor an alarming "offline" one).
    planner = contexts(viewport=PHONE).new_page()
    login(planner, "planner", "/ops/")
    planner.locator("#lk-stats").wait_for()
    assert planner.locator("#lk-live").count() == 0
    shot(planner, "ops-planner-phone")

    # Agency staff: the same page scoped to their OPD, with actions.
    dlh = contexts(viewport=PHONE).new_page()
    login(dlh, "dlh", "/ops/")
    wait_live(dlh)
    assert "Lingkungan Hidup" in dlh.locator("main").inner_text()
    assert dlh.locator("#lk-readonly").count() == 0
    item = dlh.locator(f'#lk-queue [data-code="{garbage.tracking_code}"]')
    item.click()
    dlh.locator(f'#lk-detail[data-code="{garbage.tracking_code}"] [data-act="assign"]').wait_for()
    assert dlh.locator(f'#lk-queue [data-code="{roads.tracking_code}"]').count() == 0  # another OPD's report
    shot(dlh, "ops-agency-phone")

    # The command center enters a report received by phone.
    from fieldops.models import Complaint

    op = contexts(viewport=DESKTOP).new_page()
    login(op, "operator", "/ops/")
    wait_live(op)
    op.click("#lk-intake-box summary")
    click_map_at(op, KARAWACI[0] + 0.006, KARAWACI[1] + 0.003)  # beside the markers already there
    op.select_option("#in-channel", "phone")
    op.select_option("#in-category", "street-lights")
    op.fill("#in-description", "Lampu jalan mati sepanjang 200 m (telepon warga).")
    op.fill("#in-name", "Pak Asep")
    op.click("#lk-intake button[type=submit]")
    ok = op.locator("#lk-intake-ok")
    try:
        ok.wait_for()
    except Exception:
        shot(op, "failed-intake")
        raise AssertionError(op.locator("#lk-intake").inner_text()) from None
    phoned = Complaint.objects.get(tracking_code=ok.inner_text().split(":")[-1].strip())
    assert phoned.channel == "phone" and phoned.reporter_name == "Pak Asep"
    op.locator(f'.lk-pin-red[title="{phoned.tracking_code}"]').wait_for()
    shot(op, "ops-intake")

    # The public pages at phone size.
    pub = contexts(viewport=PHONE).new_page()
    pub.goto("/peta/")
    pub.wait_for_selector("#lk-map[data-markers]")
    pub.select_option("#flt-status", "resolved,closed")
    pub.wait_for_selector("#lk-map[data-markers]:not([data-loading])")
    shot(pub, "peta-filtered")
    pub.goto("/transparansi/")
    shot(pub, "transparansi-phone")
    pub.goto("/lacak/LKS-XXXX-XXXX/")
    assert "tidak ditemukan" in pub.locator("h1").inner_text().lower()

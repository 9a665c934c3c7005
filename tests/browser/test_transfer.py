"""A transfer between two governments in real Chromium (issue 18): the operator of Kota Tangerang
hands a report near the border to Kabupaten Tangerang; the neighbour's operator, with /ops/ open,
sees it arrive live and can act on it; the citizen's tracking page shows "Dialihkan ke Kabupaten
Tangerang" without a reload; Kota Tangerang keeps a read-only trace. All pages in Indonesian."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, in_thread, login, shot

pytestmark = [pytest.mark.browser]
NOTE = "Titik laporan di jalan milik Kabupaten Tangerang"


def wait_live(page):
    try:
        page.wait_for_selector('#lk-live[data-state="live"]', timeout=15000)
    except Exception:
        shot(page, "failed-live-transfer")
        raise


def test_transfer_to_the_neighbour_arrives_live(e2e_db, server, contexts):
    from django.contrib.auth import get_user_model

    from boundaries.models import Agency
    from fieldops.models import Complaint, EventType
    from fieldops.workflow import complaint_verify
    from tests.conftest import make_complaint
    from tests.support.governments import NEAR_KAB_TANGERANG, neighbour_government, neighbour_remove

    kab = neighbour_government()
    complaint = None
    try:
        complaint = in_thread(make_complaint, lonlat=NEAR_KAB_TANGERANG, description="Jalan rusak di perbatasan").complaint
        in_thread(complaint_verify, complaint=complaint, actor=get_user_model().objects.get(username="operator"))
        code = complaint.tracking_code

        # The neighbour's operator and the citizen have their pages open before the transfer.
        neighbour = contexts(viewport=DESKTOP, locale="id-ID").new_page()
        login(neighbour, "operator-kabtng", "/ops/")
        wait_live(neighbour)
        citizen = contexts(viewport=PHONE, locale="id-ID").new_page()
        citizen.goto(f"/lacak/{code}/")
        wait_live(citizen)

        ops = contexts(viewport=DESKTOP, locale="id-ID").new_page()
        login(ops, "operator", f"/ops/?t={code}")
        control = ops.locator("[data-transfer]")
        control.locator('option[value="36.03"]').wait_for(state="attached")
        assert control.locator("button[data-act=transfer]").inner_text() == "Alihkan ke pemda lain"
        assert control.locator("option").all_inner_texts() == ["Pilih pemda tetangga", "Kabupaten Tangerang"]

        # A missing reason is caught in the page, in Indonesian.
        control.locator("select").select_option("36.03")
        control.locator("button[data-act=transfer]:not([data-confirmed])").click()
        error = ops.locator("#lk-detail [data-error]")
        assert error.inner_text() == "Alasan wajib diisi."
        control.locator('input[data-field="note"]').fill(NOTE)
        control.locator("button[data-act=transfer]:not([data-confirmed])").click()
        confirm = control.locator("[data-transfer-confirm]")
        assert f"Alihkan {code} ke Kabupaten Tangerang?" in confirm.inner_text()
        shot(ops, "transfer-confirm")

        # The server's refusal is shown in the page's language too: the neighbour has no
        # command center at this moment.
        Agency.objects.filter(government=kab).update(active=False)
        confirm.locator("[data-confirmed]").click()
        ops.wait_for_selector("#lk-detail [data-error]:not([hidden])")
        assert "Kabupaten Tangerang belum memiliki command center" in error.inner_text()
        assert Complaint.objects.get(pk=complaint.pk).government.code == "36.71"
        Agency.objects.filter(government=kab).update(active=True)

        control.locator("button[data-act=transfer]:not([data-confirmed])").click()
        confirm.locator("[data-confirmed]").click()

        # Kota Tangerang's operator now holds a read-only trace.
        trace = ops.locator("#lk-detail [data-trace]")
        trace.wait_for()
        assert "Dialihkan ke Kabupaten Tangerang" in trace.inner_text()
        assert ops.locator("#lk-detail [data-act]").count() == 0
        # One toast on the page that made the transfer: its own, not the socket's echo too.
        assert ops.locator(".lk-toast").all_inner_texts() == [f"{code}: Dialihkan ke Kabupaten Tangerang"]
        assert ops.locator("#lk-detail .lk-timeline li").first.inner_text().startswith("Dialihkan ke Kabupaten Tangerang")
        shot(ops, "transfer-old-government-trace")
        stored = Complaint.objects.get(pk=complaint.pk)
        assert (stored.government_id, stored.status) == (kab.pk, "new")
        assert stored.events.filter(type=EventType.TRANSFERRED).count() == 1

        # The neighbour's operator sees it arrive live, opens it and may act on it.
        toast = neighbour.locator(".lk-toast", has_text=f"Laporan {code} dialihkan dari Kota Tangerang ke Kabupaten Tangerang")
        toast.wait_for(timeout=15000)
        toast.locator("button").click()
        neighbour.wait_for_selector(f'#lk-detail[data-code="{code}"] [data-detail-status="new"]')
        assert neighbour.locator("#lk-detail button[data-act=verify]").count() == 1
        assert neighbour.locator("#lk-detail [data-trace]").count() == 0
        shot(neighbour, "transfer-neighbour-ops")

        # The citizen's tracking page shows the transfer and its reason, without a reload.
        citizen.locator("#lk-timeline li", has_text="Dialihkan ke Kabupaten Tangerang").wait_for(timeout=15000)
        assert NOTE in citizen.locator("#lk-timeline").inner_text()
        shot(citizen, "transfer-citizen-track")
    finally:
        if complaint is not None:
            Complaint.objects.filter(pk=complaint.pk).delete()
        neighbour_remove()

"""The command centre with 10,000 complaints in Chromium: the operator finds a tracking code
through the search box in three actions and opens its detail; filters by kecamatan + status +
overdue and walks the cursor pages to the last one; a reload and the back button show the same
view. Screenshots at 360x740 and 1366x768."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.utils import timezone

from tests.browser.conftest import PHONE, SCREENSHOTS, login, shot

pytestmark = [pytest.mark.browser]

DESK = {"width": 1366, "height": 768}
SEED = 1515
COUNT = 10_000


@pytest.fixture(scope="module")
def many(e2e_database, django_db_blocker):
    """10,000 generated complaints (COPY, a few seconds), removed after the module."""
    from django.core.management import call_command

    from fieldops.models import Complaint

    with django_db_blocker.unblock():
        started = time.monotonic()
        call_command("generate_demo_complaints", count=COUNT, seed=SEED, quiet=True, no_cluster=True)
        # A busy backlog: a third of them still open (the generator closes most old reports).
        with connection.cursor() as cur:
            cur.execute("UPDATE fieldops_complaint SET status = (ARRAY['new', 'verified', 'assigned', 'in_progress'])[1 + id %% 4],"
                        " resolved_at = NULL, closed_at = NULL WHERE external_id LIKE %s AND id %% 3 = 0",
                        [f"demo:{SEED}:%"])
        print(f"generated {COUNT} complaints in {time.monotonic() - started:.1f} s")
        try:
            yield
        finally:
            Complaint.objects.filter(external_id__startswith=f"demo:{SEED}:").delete()
            connection.close()


def cards(page) -> list[str]:
    return page.locator("#lk-queue [data-code]").evaluate_all("els => els.map(e => e.dataset.code)")


def wait_count(page, n: int) -> None:
    page.locator(f'#lk-queue-count[data-count="{n}"]').wait_for()


def test_operator_finds_a_code_and_walks_filtered_pages(e2e_db, server, contexts, many):
    from fieldops.models import OPEN_STATUSES, Complaint

    now = timezone.now()
    open_ = [str(s) for s in OPEN_STATUSES]
    demo = Complaint.objects.filter(external_id__startswith=f"demo:{SEED}:")
    assert demo.filter(status__in=open_).count() > 300
    target = demo.filter(status="new").order_by("id").select_related("kecamatan").first()

    page = contexts(viewport=DESK).new_page()
    login(page, "operator", "/ops/")
    page.locator('#lk-queue[data-ready="1"]').wait_for()

    # 1-3: type the code as a citizen reads it out (lower case, no dashes), Enter, open the card.
    page.fill("#f-q", target.tracking_code.lower().replace("-", ""))
    page.press("#f-q", "Enter")
    wait_count(page, 1)
    page.click(f'#lk-queue [data-code="{target.tracking_code}"]')
    detail = page.locator(f'#lk-detail[data-code="{target.tracking_code}"]')
    detail.wait_for()
    assert target.description in detail.locator("[data-detail-description]").inner_text()
    assert detail.locator(".lk-timeline li").count() >= 1
    assert detail.locator('[data-act="assign"]').count() == 1
    assert f"t={target.tracking_code}" in page.url
    shot(page, "ops-search-detail-desktop")
    page.click("#lk-detail [data-close]")
    assert page.locator("#lk-detail").is_hidden()
    # The map shows the found set; its marker opens the same ticket.
    page.locator('#lk-map[data-markers="1"]').wait_for()
    page.click(f'.lk-pin[title="{target.tracking_code}"]')
    detail.wait_for()
    page.click("#lk-detail [data-close]")

    # Filters: the kecamatan, status and overdue combination with the most pages.
    rows = (demo.filter(status__in=open_, due_at__lt=now).values_list("kecamatan__code", "status")
            .order_by().distinct())
    best = max(rows, key=lambda ks: demo.filter(kecamatan__code=ks[0], status=ks[1], due_at__lt=now).count())
    kec, status = best
    want = set(demo.filter(kecamatan__code=kec, status=status, due_at__lt=now).values_list("tracking_code", flat=True))
    want |= set(Complaint.objects.filter(kecamatan__code=kec, status=status, due_at__lt=now)
                .values_list("tracking_code", flat=True))
    assert len(want) > 40, len(want)  # several pages of 20
    page.fill("#f-q", "")
    page.press("#f-q", "Enter")
    page.click("#lk-filter-box summary")
    page.select_option("#f-kecamatan", kec)
    page.select_option("#f-status", status)
    page.select_option("#f-overdue", "true")
    wait_count(page, len(want))
    first = cards(page)
    assert len(first) == 20
    seen = list(first)
    pages = 1
    while page.locator("#lk-next").is_enabled():
        before = cards(page)
        page.click("#lk-next")
        page.wait_for_function("(before) => { const c = [...document.querySelectorAll('#lk-queue [data-code]')]"
                               ".map(e => e.dataset.code); return c.length && c[0] !== before; }", arg=before[0])
        seen += cards(page)
        pages += 1
    assert pages == -(-len(want) // 20) and len(seen) == len(want) and set(seen) == want
    last = cards(page)
    shot(page, "ops-filtered-last-page-desktop")

    # The URL holds the view: a reload shows the same filters and the same (last) page.
    url = page.url
    assert f"kecamatan={kec}" in url and f"status={status}" in url and "overdue=true" in url and "cursor=" in url
    page.reload()
    page.locator('#lk-queue[data-ready="1"]').wait_for()
    wait_count(page, len(want))
    assert cards(page) == last
    assert page.locator("#f-kecamatan").input_value() == kec
    assert page.locator("#f-status").input_value() == status
    assert page.locator("#f-overdue").input_value() == "true"
    assert page.locator("#lk-next").is_disabled()
    # The back button: the page before the last.
    page.go_back()
    page.wait_for_function("(last) => { const c = document.querySelector('#lk-queue [data-code]');"
                           " return c && c.dataset.code !== last; }", arg=last[0])
    assert cards(page) == seen[(pages - 2) * 20:(pages - 1) * 20]

    # The same link on a phone: the same view, the ticket panel full screen.
    phone = contexts(viewport=PHONE).new_page()
    login(phone, "operator", "/ops/")
    phone.goto(url)
    wait_count(phone, len(want))
    assert cards(phone) == last
    shot(phone, "ops-filtered-phone")
    phone.screenshot(path=str(SCREENSHOTS / "ops-filtered-phone-screen.png"))
    phone.click(f'#lk-queue [data-code="{last[0]}"]')
    phone.locator(f'#lk-detail[data-code="{last[0]}"]').wait_for()
    wide = phone.evaluate("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361 && !e.closest('.leaflet-container'))"
                          ".slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360, wide
    phone.screenshot(path=str(SCREENSHOTS / "ops-detail-phone.png"))  # the sheet as the phone shows it
    # Markers of the filtered set on the map.
    page.locator("#lk-map[data-markers]").wait_for()

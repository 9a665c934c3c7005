"""The command centre's list (`GET /api/v1/ops/complaints/`): the search `q`, the filters, the
orders and the cursor pages with their total count, and the ticket detail."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fieldops.models import Complaint, ComplaintEvent
from tests.conftest import KARAWACI, make_complaint
from tests.fieldops.wf_helpers import as_user, complaint_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/ops/complaints/"


def codes(api, query: str) -> list[str]:
    r = api.get(URL + query)
    assert r.status_code == 200, r.content
    return [row["tracking_code"] for row in r.json()["results"]]


def test_search_by_code_words_notes_and_contact(city, api):
    pothole, _ = complaint_in("verified", description="Jalan berlubang di depan Café Melati")
    lamp, _ = complaint_in("assigned", description="Lampu PJU mati sejak minggu lalu", category="street-lights")
    other = make_complaint(description="Sampah menumpuk", category="garbage", lonlat=KARAWACI,
                           reporter_phone="+62 812-9999-0000", reporter_email="Budi@Example.id").complaint
    ComplaintEvent.objects.create(complaint=lamp, type="note", at=timezone.now(), note="Kabel dicuri, perlu tiang baru",
                                  is_public=False, agency=lamp.agency)
    as_user(api, "operator")
    code = pothole.tracking_code
    # The tracking code: exact, any case, with or without dashes, with or without the prefix.
    for typed in (code, code.lower(), code.replace("-", ""), code[4:], code[4:].replace("-", "").lower()):
        assert codes(api, f"?q={typed}") == [code], typed
    # Words of the description, accents ignored, every word a prefix, all words required.
    assert codes(api, "?q=cafe") == [code]
    assert codes(api, "?q=CAFÉ melati") == [code]
    assert codes(api, "?q=melat") == []  # whole words (prefix matches defeat the row estimates)
    assert codes(api, "?q=berlubang%20sampah") == []
    assert set(codes(api, "?q=lampu")) == {lamp.tracking_code}
    # Staff notes of the events.
    assert codes(api, "?q=kabel%20dicuri") == [lamp.tracking_code]
    # Contact: the operator finds the reporter by phone (any national form) or e-mail.
    assert codes(api, "?q=081299990000") == [other.tracking_code]
    assert codes(api, "?q=%2B6281299990000") == [other.tracking_code]
    assert codes(api, "?q=budi@example.ID") == [other.tracking_code]
    # Agency staff see the contact of their tickets but may not look people up by it.
    as_user(api, "dlh")
    assert codes(api, "?q=budi@example.id") == []
    assert codes(api, "?q=081299990000") == []
    assert codes(api, "?q=sampah") == [other.tracking_code]
    # Punctuation only: nothing matches, no error.
    assert codes(api, "?q=%26%7C!:*()") == []


def test_search_uses_the_indexes(city):
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN SELECT id FROM fieldops_complaint WHERE to_tsvector('laksa_simple'::regconfig, description)"
                    " @@ to_tsquery('laksa_simple'::regconfig, 'jalan:*')")
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "complaint_description_words" in plan, plan


def test_the_open_queue_index_names_the_open_statuses():
    import importlib

    from fieldops.models import OPEN_STATUSES

    migration = importlib.import_module("fieldops.migrations.0006_ops_search")
    assert migration.OPEN == ", ".join(f"'{s}'" for s in OPEN_STATUSES)


def test_filters_sort_and_cursor_pages(city, api):
    now = timezone.now()
    made = []
    for i in range(7):
        c, _ = complaint_in("assigned" if i % 2 else "verified", crew_name=None if i % 2 == 0 else "Tim Sigap PUPR 1",
                            description=f"Jalan rusak nomor {i}")
        Complaint.objects.filter(pk=c.pk).update(due_at=now + timedelta(hours=i - 2.5), channel="phone" if i < 3 else "web")
        made.append(c.tracking_code)
    as_user(api, "operator")
    # Walk the pages two at a time: every row once, soonest due first, the same total count on each page.
    seen, url, counts = [], URL + "?q=jalan%20rusak&page_size=2", set()
    while url:
        body = api.get(url).json()
        counts.add(body["count"])
        seen += [r["tracking_code"] for r in body["results"]]
        url = body["next"]
    assert seen == made and counts == {7}
    # And back: the previous link of the last page.
    last = api.get(URL + "?q=jalan%20rusak&page_size=2&sort=-due").json()
    assert [r["tracking_code"] for r in last["results"]] == made[::-1][:2]
    assert codes(api, "?q=jalan%20rusak&sort=-created&page_size=50") == made[::-1]
    assert codes(api, "?q=jalan%20rusak&overdue=true") == made[:3]
    assert codes(api, "?q=jalan%20rusak&channel=phone") == made[:3]
    assert codes(api, "?q=jalan%20rusak&crew=none") == made[0::2]
    assert codes(api, "?q=jalan%20rusak&status=assigned") == made[1::2]
    assert codes(api, f"?q=jalan%20rusak&due_after={(now + timedelta(hours=1)).isoformat().replace('+', '%2B')}") == made[4:]
    assert codes(api, "?q=jalan%20rusak&kecamatan=Tangerang&agency=dpupr") == made
    # Bad values: 400 naming the parameter.
    for bad, field in [("sort=soonest", "sort"), ("channel=fax", "channel"), ("cursor=zz", "cursor"),
                       ("page_size=0", "page_size"), ("due_before=yesterday", "due_before"),
                       ("cursor=cD1ub3QtYS1kYXRl", "cursor")]:
        r = api.get(f"{URL}?{bad}")
        assert r.status_code == 400 and field in r.json(), (bad, r.content)


def test_detail_has_timeline_similar_contact_and_actions(city, api):
    c, _ = complaint_in("verified", crew_name=None, description="Jalan amblas")
    near, _ = complaint_in("assigned", description="Jalan amblas juga")
    as_user(api, "operator")
    body = api.get(f"{URL}{c.tracking_code}/").json()
    assert [e["type"] for e in body["timeline"]][0] == "created"
    assert [s["tracking_code"] for s in body["similar_nearby"]] == [near.tracking_code]
    assert body["similar_nearby"][0]["crew"]["name"] == "Tim Sigap PUPR 1"
    assert body["reporter"]["phone"] == "081211112222"
    assert "assign" in body["actions"] and "start" not in body["actions"]
    as_user(api, "leader")
    body = api.get(f"{URL}{c.tracking_code}/").json()
    assert "reporter" not in body and body["actions"] == []


def test_openapi_documents_the_filters(city, api):
    as_user(api, "operator")
    schema = api.get("/api/schema/?format=json").json()
    params = {p["name"] for p in schema["paths"][URL]["get"]["parameters"]}
    assert {"q", "sort", "channel", "due_after", "due_before", "crew", "overdue", "kecamatan", "kelurahan",
            "cursor", "page_size"} <= params

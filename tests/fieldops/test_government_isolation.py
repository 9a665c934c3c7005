"""Isolation between governments (issue 18, item 6), face by face: an account of Kabupaten Serang
(tests/governments.py) cannot see or act on a Kota Tangerang complaint through the REST detail,
lists, actions, event log, ops search, crews, analytics (areas, summary, tiles, exports), the
LAPOR! forward or the admin, and Kota Tangerang's accounts nothing of Serang's; the province role
reads both and acts on neither (403). The sockets are in tests/realtime/test_government_sockets.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from urllib.parse import unquote

import mapbox_vector_tile
import pytest
from django.utils import timezone

from fieldops.models import Complaint, ComplaintEvent
from tests.analytics.test_analytics import tile_for
from tests.conftest import CITY_HALL, login
from tests.fieldops.wf_helpers import act, complaint_in, gps_jpeg, upload
from tests.governments import PROVINCE_USER, SERANG_CODE, SERANG_CREW, SERANG_POINT, SERANG_USERS, serang_setup

pytestmark = pytest.mark.django_db
A = "/api/v1/analytics/"


@pytest.fixture
def two(city):
    """A Kota Tangerang complaint (DPUPR, crew 1, in progress) and Kabupaten Serang's two."""
    tangerang, _ = complaint_in("verified", crew_name=None)
    serang = serang_setup()
    return {"tangerang": tangerang, **serang}


def as_(api, username):
    api.force_authenticate(user=None)
    return login(api, username)


def staff_codes(api, query="") -> set[str]:
    r = api.get("/api/v1/ops/complaints/?page_size=500" + query)
    assert r.status_code == 200, r.content
    return {row["tracking_code"] for row in r.json()["results"]}


def tile_count(api, lonlat, z=12, token=None) -> int:
    x, y = tile_for(lonlat, z)
    r = api.get(f"/api/v1/tiles/complaints/{z}/{x}/{y}.pbf", {"token": token} if token else {})
    assert r.status_code == 200, r.content
    layer = mapbox_vector_tile.decode(r.content).get("complaints", {"features": []})
    return sum(f["properties"].get("count", 1) for f in layer["features"])


def test_rest_detail_list_actions_and_log_of_another_government_do_not_exist(two, api):
    t, s = two["tangerang"], two["verified"]
    for username, theirs, other in ((SERANG_USERS["operator"], s, t), ("operator", t, s)):
        as_(api, username)
        assert api.get(f"/api/v1/ops/complaints/{theirs.tracking_code}/").status_code == 200
        assert api.get(f"/api/v1/ops/complaints/{other.tracking_code}/").status_code == 404, username
        codes = staff_codes(api)
        assert theirs.tracking_code in codes and other.tracking_code not in codes
        # Search by code, words and the reporter's phone: nothing of the other government.
        assert staff_codes(api, f"&q={other.tracking_code}") == set()
        assert staff_codes(api, "&q=081299990000") == ({s.tracking_code, two["working"].tracking_code}
                                                      if theirs is s else set())
        for action, body in (("verify", {}), ("note", {"note": "cek"}), ("hold", {"reason": "x"}),
                             ("priority", {"priority": 1}), ("reject", {"reason": "x"})):
            assert act(api, other.tracking_code, action, **body).status_code == 404, (username, action)
        r = api.get(f"/api/v1/complaints/{other.tracking_code}/events/", {"view": "staff"})
        assert r.status_code == 404
        # The public view of any complaint stays public (the tracking page).
        assert api.get(f"/api/v1/complaints/{other.tracking_code}/events/").json()["variant"] == "public"
        assert api.post(f"/api/v1/complaints/{other.tracking_code}/forward-lapor/").status_code == 404
        assert upload(api, other.tracking_code, "before").status_code == 404
        here = SERANG_POINT if theirs is s else CITY_HALL
        r = upload(api, theirs.tracking_code, "before", gps_jpeg(here))
        assert r.status_code == 201, r.content
    # A photo's original (personal data) is staff-only, within the government.
    photo = t.photos.get()
    assert api.get(f"/api/v1/complaints/{t.tracking_code}/photos/{photo.pk}/original/").status_code == 200
    as_(api, SERANG_USERS["operator"])
    assert api.get(f"/api/v1/complaints/{t.tracking_code}/photos/{photo.pk}/original/").status_code == 404
    other = Complaint.objects.get(pk=t.pk)
    assert other.status == "verified" and not ComplaintEvent.objects.filter(complaint=t, type="note").exists()


def test_a_crew_or_agency_of_another_government_cannot_be_named(two, api):
    """Assign names a crew and reroute an agency of the complaint's own government: Kota
    Tangerang's crew id and its agency code `dlh` are unknown for a Serang complaint (400 naming
    the field), and `dpupr` means Serang's DPUPR there."""
    from fieldops.models import Crew

    s = two["verified"]
    as_(api, SERANG_USERS["operator"])
    tangerang_crew = Crew.objects.get(name="Tim Sigap PUPR 1")
    r = act(api, s.tracking_code, "assign", crew=tangerang_crew.pk)
    assert r.status_code == 400 and "crew" in r.json()
    r = act(api, s.tracking_code, "reroute", agency="dlh", reason="salah OPD")
    assert r.status_code == 400 and "agency" in r.json()
    r = act(api, s.tracking_code, "assign", crew=two["crew"].pk)
    assert r.status_code == 200 and r.json()["crew"]["name"] == SERANG_CREW
    crews = api.get("/api/v1/crews/").json()
    assert [c["name"] for c in crews] == [SERANG_CREW]
    me = api.get("/api/v1/me/").json()
    assert me["government"] == {"code": SERANG_CODE, "name": "Kabupaten Serang"}
    as_(api, "operator")
    assert SERANG_CREW not in {c["name"] for c in api.get("/api/v1/crews/").json()}
    assert api.get("/api/v1/me/").json()["government"]["code"] == "36.71"


def test_the_province_role_reads_both_and_every_write_is_refused(two, api):
    t, s = two["tangerang"], two["verified"]
    as_(api, PROVINCE_USER)
    assert {t.tracking_code, s.tracking_code} <= staff_codes(api)
    for c in (t, s):
        r = api.get(f"/api/v1/ops/complaints/{c.tracking_code}/")
        assert r.status_code == 200 and r.json()["actions"] == []
        assert "reporter_phone" not in json.dumps(r.json()), "the province role sees no contact"
        for action, body in (("verify", {}), ("note", {"note": "cek"}), ("reject", {"reason": "x"})):
            assert act(api, c.tracking_code, action, **body).status_code == 403, action
        assert api.post(f"/api/v1/complaints/{c.tracking_code}/forward-lapor/").status_code == 403
    assert {c["name"] for c in api.get("/api/v1/crews/").json()} >= {SERANG_CREW, "Tim Sigap PUPR 1"}
    assert api.get("/api/v1/me/").json()["government"] is None


def test_analytics_tiles_and_exports_are_per_government(two, api):
    t, s = two["tangerang"], two["verified"]
    serang_codes = {s.tracking_code, two["working"].tracking_code}

    def export_codes():
        r = api.get(A + "export/", {"format": "csv"})
        assert r.status_code == 200
        rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
        assert all(row["government"] in ("36.71", SERANG_CODE) for row in rows)
        return {row["tracking_code"] for row in rows}

    def summary_total(**params):
        r = api.get(A + "summary/", params)
        assert r.status_code == 200, r.content
        return r.json()["total"]

    def tilejson_token():
        r = api.get("/api/v1/tiles/complaints.json")
        assert r.status_code == 200
        return unquote(r.json()["tiles"][0].split("token=")[1].split("&")[0])

    everyone = Complaint.objects.count()
    tangerang_total = Complaint.objects.filter(government__code="36.71").count()

    as_(api, SERANG_USERS["planner"])
    assert summary_total() == 2 and summary_total(agency="dpupr") == 2
    assert api.get(A + "summary/", {"agency": "dlh"}).status_code == 400, "Tangerang's DLH is not Serang's"
    assert export_codes() == serang_codes
    assert tile_count(api, CITY_HALL) == 0 and tile_count(api, SERANG_POINT) == 2
    token = tilejson_token()
    api.force_authenticate(user=None)
    assert tile_count(api, CITY_HALL, token=token) == 0, "the signed tile grant carries the government"
    assert tile_count(api, SERANG_POINT, token=token) == 2
    as_(api, SERANG_USERS["planner"])
    kota = json.loads(api.get(A + "areas/", {"level": "kota"}).content)["features"]
    assert kota == [], "Kota Tangerang's area is not among Serang's figures"
    assert json.loads(api.get(A + "areas/").content)["features"] == [], "nor are its kecamatan"

    as_(api, "planner")
    assert summary_total() == tangerang_total
    exported = export_codes()
    assert t.tracking_code in exported and not exported & serang_codes
    assert tile_count(api, SERANG_POINT) == 0 and tile_count(api, CITY_HALL) >= 1
    kota = json.loads(api.get(A + "areas/", {"level": "kota"}).content)["features"]
    assert [(f["properties"]["code"], f["properties"]["count"]) for f in kota] == [("36.71", tangerang_total)]
    assert len(json.loads(api.get(A + "areas/").content)["features"]) == 13

    as_(api, SERANG_USERS["agency_staff"])
    assert summary_total() == 2
    assert [(a["government"], a["government_name"]) for a in api.get(A + "summary/").json()["sla_by_agency"]] == [
        (SERANG_CODE, "Kabupaten Serang")]

    # The province (and the superuser): province-wide figures, Kota Tangerang's choropleth.
    for username in (PROVINCE_USER, "admin"):
        as_(api, username)
        assert summary_total() == everyone and summary_total(agency="dpupr") == Complaint.objects.filter(
            agency__code="dpupr").count()
        assert export_codes() >= serang_codes | {t.tracking_code}
        assert tile_count(api, SERANG_POINT) == 2 and tile_count(api, CITY_HALL) >= 1
        kota = json.loads(api.get(A + "areas/", {"level": "kota"}).content)["features"]
        assert [(f["properties"]["code"], f["properties"]["count"]) for f in kota] == [("36.71", tangerang_total)]


def test_the_facts_carry_the_government(two):
    from analytics.models import ComplaintFact

    facts = dict(ComplaintFact.objects.values_list("complaint_id", "government_id"))
    assert facts == dict(Complaint.objects.values_list("id", "government_id"))
    assert facts[two["verified"].pk] == two["government"].pk


def test_escalation_goes_to_each_governments_command_center(two):
    from fieldops.workflow import complaint_escalate_overdue

    t = two["tangerang"]
    Complaint.objects.filter(pk=t.pk).update(due_at=timezone.now() - timedelta(hours=2))
    escalated = set(complaint_escalate_overdue())
    assert {t.tracking_code, two["verified"].tracking_code, two["working"].tracking_code} <= escalated
    notify = {e.complaint_id: e.data["notify"] for e in ComplaintEvent.objects.filter(type="escalated")}
    assert notify[t.pk] == {"supervisors": ["spv-pupr"], "agency": "dpupr", "command_center": "diskominfo"}
    assert notify[two["verified"].pk] == {"supervisors": [SERANG_USERS["supervisor"]], "agency": "dpupr",
                                          "command_center": "command-center"}


def test_the_admin_lists_only_the_staff_users_government(two, client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    t, s = two["tangerang"], two["verified"]
    operator = get_user_model().objects.get(username=SERANG_USERS["operator"])
    operator.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_complaint", "change_complaint", "view_crew", "view_agency", "view_user",
                      "view_complaintevent"]))
    client.force_login(operator)
    page = client.get("/admin/fieldops/complaint/").content.decode()
    assert s.tracking_code in page and t.tracking_code not in page
    assert client.get(f"/admin/fieldops/complaint/{s.pk}/change/").status_code == 200
    # Another government's row is "not found" (the admin redirects to its index with a message).
    assert client.get(f"/admin/fieldops/complaint/{t.pk}/change/").status_code == 302
    crews = client.get("/admin/fieldops/crew/").content.decode()
    assert SERANG_CREW in crews and "Tim Sigap PUPR 1" not in crews
    agencies = client.get("/admin/boundaries/agency/").content.decode()
    assert "DPUPR Serang" in agencies and "Diskominfo" not in agencies
    users = client.get("/admin/auth/user/").content.decode()
    assert SERANG_USERS["crew_member"] in users and "spv-pupr" not in users
    events = client.get("/admin/fieldops/complaintevent/").content.decode()
    assert s.tracking_code in events and t.tracking_code not in events
    # The change form offers only Serang's agencies and crews.
    form = client.get(f"/admin/fieldops/complaint/{s.pk}/change/").content.decode()
    assert "DPUPR Serang" in form and "Dinas PUPR" not in form

    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get("/admin/fieldops/complaint/").content.decode()
    assert s.tracking_code in page and t.tracking_code in page


def test_the_command_center_page_counts_and_offers_only_the_users_government(two, client):
    from django.contrib.auth import get_user_model

    from web.selectors import ops_filter_choices, ops_stats, viewer_for

    serang = viewer_for(get_user_model().objects.get(username=SERANG_USERS["operator"]))
    assert serang.government.code == SERANG_CODE
    assert ops_stats(serang)["total"] == 2
    choices = ops_filter_choices(serang)
    assert choices["kecamatan"] == [], "Kota Tangerang's kecamatan are not Serang's"
    assert [a.short_name for a in choices["agencies"]] == ["Command Center", "DPUPR Serang"]
    assert [c.name for c in choices["crews"]] == [SERANG_CREW]
    tangerang = viewer_for(get_user_model().objects.get(username="operator"))
    assert ops_stats(tangerang)["total"] == Complaint.objects.filter(government__code="36.71").count()
    assert len(ops_filter_choices(tangerang)["kecamatan"]) == 13
    assert "DPUPR Serang" not in {a.short_name for a in ops_filter_choices(tangerang)["agencies"]}
    client.force_login(serang.user)
    page = client.get("/ops/")
    assert page.status_code == 200 and "DPUPR Serang" in page.content.decode()
    assert "Karawaci" not in page.content.decode()


def test_a_government_scope_keeps_the_rollups_and_every_government_is_no_scope(two):
    """A government's figures are its agencies' rows: the area rollups (which have agency_id)
    still answer; a scope of every government adds no condition (the unfiltered paths, such as
    the z18 tile counts, stay in use)."""
    from analytics import selectors
    from analytics.filters import parse_filters
    from boundaries.models import Agency, Government

    serang = parse_filters({}, government_scope=frozenset({two["government"].pk}))
    assert serang.params["government_agencies"] == sorted(
        Agency.objects.filter(government=two["government"]).values_list("pk", flat=True))
    assert selectors.uses_rollup(serang) and not selectors.uses_rollup(parse_filters({"created_after": "2026-01-01"}))
    everyone = parse_filters({}, government_scope=frozenset(Government.objects.values_list("pk", flat=True)))
    assert everyone.where == [] and parse_filters({}, government_scope=None).where == []
    assert parse_filters({}, government_scope=frozenset()).params["government_agencies"] == []


def test_tile_cells_count_per_government_and_follow_a_transfer(two, api):
    """The pre-counted z18 cells carry the government (analytics 0009): per government they sum to
    its facts, a government-scoped low-zoom tile read from them equals the same tile counted on the
    facts, and a complaint moved to another government moves its count."""
    from django.db.models import Count, Sum

    from analytics import selectors
    from analytics.filters import Filters, parse_filters
    from analytics.models import ComplaintFact, TileCell
    from boundaries.models import Agency, Government

    def cells():
        return dict(TileCell.objects.values_list("government_id").annotate(n=Sum("n")).filter(n__gt=0))

    def facts():
        return dict(ComplaintFact.objects.values_list("government_id").annotate(n=Count("complaint_id")))

    def counts(body: bytes) -> list:
        layer = mapbox_vector_tile.decode(body).get("complaints", {"features": []})
        return sorted((f["geometry"]["coordinates"], f["properties"]["count"]) for f in layer["features"])

    serang = Government.objects.get(code=SERANG_CODE)
    assert cells() == facts() and cells()[serang.pk] == 2
    scoped = parse_filters({}, government_scope=frozenset({serang.pk}))
    assert scoped.governments == [serang.pk]
    on_facts = Filters(where=scoped.where + ["TRUE"], params=scoped.params)  # not the government scope only
    for z in (9, 12, 14):
        x, y = tile_for(SERANG_POINT, z)
        sql, params = selectors.tile_sql(z=z, x=x, y=y, filters=scoped)
        assert "analytics_tilecell" in sql and params["cell_governments"] == [serang.pk]
        assert "analytics_tilecell" not in selectors.tile_sql(z=z, x=x, y=y, filters=on_facts)[0]
        from_cells = selectors.tile_bytes(z=z, x=x, y=y, filters=scoped)
        assert counts(from_cells) == counts(selectors.tile_bytes(z=z, x=x, y=y, filters=on_facts))
        assert sum(n for _xy, n in counts(from_cells)) == 2

    # A transfer (government and agency change in one update) moves the count between governments.
    tangerang = Government.objects.get(code="36.71")
    moved = two["verified"]
    Complaint.objects.filter(pk=moved.pk).update(
        government=tangerang, agency=Agency.objects.get(government=tangerang, code="dpupr"))
    assert cells() == facts() and cells()[serang.pk] == 1
    as_(api, SERANG_USERS["planner"])
    assert tile_count(api, SERANG_POINT) == 1
    as_(api, "planner")
    assert tile_count(api, SERANG_POINT) == 1, "Kota Tangerang's planner now counts it"
    Complaint.objects.filter(pk=moved.pk).delete()
    assert cells() == facts()

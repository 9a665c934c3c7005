"""Cross-complaint actions are scoped like the complaint acted on (issue 13, finding "an agency
can write to another agency's complaint through duplicate").

The attack: DLH's desk marks one of its own complaints a duplicate of a DPUPR complaint; the
merge would write to DPUPR's complaint (a follower with the DLH reporter's contact, an event).
"""

from __future__ import annotations

import pytest

from fieldops.models import Complaint, ComplaintEvent, ComplaintFollower
from tests.conftest import login, make_complaint

pytestmark = pytest.mark.django_db

DLH_REPORTER = dict(reporter_name="Budi Santoso", reporter_phone="081311112222", reporter_email="budi@example.id")


def _pair():
    pupr = make_complaint(category="roads", description="Jalan berlubang di depan pasar").complaint
    dlh = make_complaint(category="garbage", description="Sampah menumpuk", **DLH_REPORTER).complaint
    assert (pupr.agency.code, dlh.agency.code) == ("dpupr", "dlh")
    return pupr, dlh


def _state(c: Complaint):
    c.refresh_from_db()
    return (c.status, c.duplicate_of_id, c.updated_at, c.events.count(), c.followers.count())


def test_agency_cannot_merge_its_complaint_into_another_agencys(city, api):
    pupr, dlh = _pair()
    pupr_before, dlh_before = _state(pupr), _state(dlh)

    login(api, "dlh")
    r = api.post(f"/api/v1/complaints/{dlh.tracking_code}/duplicate/", {"of": pupr.tracking_code}, format="json")
    # The other agency's complaint does not exist for DLH: the same answer as an unknown code.
    assert r.status_code == 404, r.content
    unknown = api.post(f"/api/v1/complaints/{dlh.tracking_code}/duplicate/", {"of": "LKS-0000-0000"}, format="json")
    assert unknown.status_code == 404
    assert r.json() == {"of": [f"No complaint with tracking code {pupr.tracking_code!r}."]}
    assert unknown.json() == {"of": ["No complaint with tracking code 'LKS-0000-0000'."]}

    # Nothing was written on either side: no follower with DLH's reporter, no event, no link.
    assert _state(pupr) == pupr_before and _state(dlh) == dlh_before
    assert not ComplaintFollower.objects.filter(phone=DLH_REPORTER["reporter_phone"]).exists()
    assert not ComplaintEvent.objects.filter(complaint=pupr, type="follower").exists()


def test_a_chain_of_duplicates_does_not_lead_out_of_scope(city, api):
    """DLH may name its own complaint, but not when it is already merged into DPUPR's."""
    pupr, dlh = _pair()
    linked = make_complaint(category="garbage", description="Sampah lagi").complaint
    login(api, "operator")  # the command center merged a DLH report into DPUPR's earlier
    assert api.post(f"/api/v1/complaints/{linked.tracking_code}/duplicate/", {"of": pupr.tracking_code},
                    format="json").status_code == 200
    pupr_before = _state(pupr)

    api.force_authenticate(user=None)
    login(api, "dlh")
    api.defaults.pop("HTTP_ACCEPT_LANGUAGE", None)  # a client that names no language
    r = api.post(f"/api/v1/complaints/{dlh.tracking_code}/duplicate/", {"of": linked.tracking_code}, format="json")
    assert r.status_code == 403, r.content
    message = r.json()["of"][0]  # in Bahasa Indonesia first, naming the original
    assert pupr.tracking_code in message and "di luar cakupan Anda" in message
    assert _state(pupr) == pupr_before
    assert not ComplaintFollower.objects.filter(phone=DLH_REPORTER["reporter_phone"]).exists()


def test_the_command_center_still_merges_across_agencies(city, api):
    pupr, dlh = _pair()
    login(api, "operator")
    r = api.post(f"/api/v1/complaints/{dlh.tracking_code}/duplicate/", {"of": pupr.tracking_code}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["duplicate_of"] == pupr.tracking_code
    assert ComplaintFollower.objects.get(complaint=pupr).phone == DLH_REPORTER["reporter_phone"]
    assert ComplaintEvent.objects.filter(complaint=pupr, type="follower").count() == 1


def test_an_agency_still_merges_within_its_own_complaints(city, api):
    first = make_complaint(category="garbage", description="Sampah menumpuk").complaint
    second = make_complaint(category="garbage", description="Sampah di tempat yang sama", **DLH_REPORTER).complaint
    login(api, "dlh")
    r = api.post(f"/api/v1/complaints/{second.tracking_code}/duplicate/", {"of": first.tracking_code}, format="json")
    assert r.status_code == 200, r.content
    assert ComplaintFollower.objects.get(complaint=first).email == DLH_REPORTER["reporter_email"]


def test_an_agency_still_reroutes_its_misrouted_complaint_but_not_anothers(city, api):
    """Rerouting to another OPD is legitimate; the complaint rerouted must be in scope."""
    pupr, dlh = _pair()
    login(api, "dlh")
    r = api.post(f"/api/v1/complaints/{pupr.tracking_code}/reroute/", {"agency": "dlh", "reason": "Milik kami"},
                 format="json")
    assert r.status_code == 404
    pupr.refresh_from_db()
    assert pupr.agency.code == "dpupr"
    r = api.post(f"/api/v1/complaints/{dlh.tracking_code}/reroute/", {"agency": "dpupr", "reason": "Salah OPD"},
                 format="json")
    assert r.status_code == 200, r.content
    dlh.refresh_from_db()
    assert dlh.agency.code == "dpupr"

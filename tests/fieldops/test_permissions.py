"""Roles × actions, object scoping (other crew → 404, other agency → 404) and the planner's privacy."""

import json

import pytest

from fieldops.models import Complaint
from tests.conftest import KARAWACI, make_complaint
from tests.fieldops.wf_helpers import (
    CREW1,
    CREW2,
    ROLE_USERS,
    act,
    add_site_photos,
    as_user,
    complaint_in,
    crew,
    gps_jpeg,
    upload,
)

pytestmark = pytest.mark.django_db

ROLES = ["operator", "agency_staff", "supervisor", "crew_member", "leader", "planner", "admin"]
DISPATCH = {"verify", "assign", "reroute", "hold", "reject", "duplicate", "priority", "note", "close", "photo"}
# What each role may do on a DPUPR complaint assigned to crew "Tim Sigap PUPR 1" (sigap1's crew).
ALLOWED = {
    "operator": DISPATCH,
    "agency_staff": DISPATCH,
    "supervisor": DISPATCH | {"start", "resolve"},
    "crew_member": {"start", "hold", "resolve", "note", "photo"},
    "leader": set(),
    "planner": set(),
    "admin": DISPATCH | {"start", "resolve"},
}
# action → (status it is valid from, request data, status after)
SETUPS = {
    "verify": ("new", {}, "verified"),
    "assign": ("verified", {"crew": "CREW2"}, "assigned"),
    "reroute": ("verified", {"agency": "dlh", "reason": "Salah OPD"}, "verified"),
    "start": ("assigned", {}, "in_progress"),
    "hold": ("in_progress", {"reason": "Menunggu material"}, "on_hold"),
    "reject": ("verified", {"reason": "Bukan kewenangan kota"}, "rejected"),
    "duplicate": ("verified", {"of": "ORIGINAL"}, "duplicate"),
    "resolve": ("in_progress", {"note": "Selesai"}, "resolved"),
    "close": ("resolved", {}, "closed"),
    "priority": ("verified", {"priority": 1}, "verified"),
    "note": ("in_progress", {"note": "Catatan internal"}, "in_progress"),
    "photo": ("in_progress", None, "in_progress"),
}
MATRIX = [(role, action) for role in ROLES for action in SETUPS]


@pytest.mark.parametrize("role,action", MATRIX)
def test_permission_matrix(city, api, role, action):
    status_before, data, status_after = SETUPS[action]
    c, _ = complaint_in(status_before)
    if action == "resolve":
        add_site_photos(c)
    data = dict(data or {})
    if data.get("crew") == "CREW2":
        data["crew"] = crew(CREW2).pk
    if data.get("of") == "ORIGINAL":
        data["of"] = make_complaint().complaint.tracking_code
    events_before = c.events.count()
    as_user(api, role)
    if action == "photo":
        r = upload(api, c.tracking_code, "before", gps_jpeg(), lon=c.location.x, lat=c.location.y)
    else:
        r = act(api, c.tracking_code, action, **data)
    c.refresh_from_db()
    if action in ALLOWED[role]:
        assert r.status_code in (200, 201), (role, action, r.content)
        assert c.status == status_after
    else:
        assert r.status_code == 403, (role, action, r.status_code, r.content)
        assert c.status == status_before
        assert c.events.count() == events_before  # nothing written


@pytest.mark.parametrize("role", ROLES)
def test_no_staff_role_reopens_without_the_reporters_token(city, api, role):
    c, token = complaint_in("resolved")
    as_user(api, role)
    r = act(api, c.tracking_code, "reopen", reason="Belum beres")
    assert r.status_code == 400 and r.json() == {"reporter_token": ["The reporter token is required."]}
    api.force_authenticate(user=None)
    assert act(api, c.tracking_code, "reopen", reporter_token=token, reason="Belum beres").status_code == 200


def test_anonymous_cannot_act_or_read_the_queue(city, api):
    c, _ = complaint_in("new", crew_name=None)
    assert act(api, c.tracking_code, "verify").status_code in (401, 403)
    assert api.get("/api/v1/ops/complaints/").status_code in (401, 403)
    assert api.get("/api/v1/me/").status_code in (401, 403)
    assert upload(api, c.tracking_code, "report").status_code in (401, 403)
    assert Complaint.objects.get(pk=c.pk).status == "new"


def test_crew_member_asking_for_another_crews_ticket_gets_404(city, api):
    mine, _ = complaint_in("assigned", crew_name=CREW1)
    theirs, _ = complaint_in("assigned", crew_name=CREW2)
    as_user(api, "crew_member")  # sigap1, crew 1
    assert api.get(f"/api/v1/ops/complaints/{theirs.tracking_code}/").status_code == 404
    assert act(api, theirs.tracking_code, "start").status_code == 404
    assert upload(api, theirs.tracking_code, "before").status_code == 404
    assert api.get(f"/api/v1/complaints/{theirs.tracking_code}/events/?view=staff").status_code == 404
    assert api.get(f"/api/v1/complaints/{theirs.tracking_code}/events/").json()["variant"] == "public"
    codes = [row["tracking_code"] for row in api.get("/api/v1/ops/complaints/?page_size=500").json()["results"]]
    assert mine.tracking_code in codes and theirs.tracking_code not in codes
    assert api.get(f"/api/v1/ops/complaints/{mine.tracking_code}/").status_code == 200
    assert act(api, mine.tracking_code, "start").status_code == 200
    assert Complaint.objects.get(pk=theirs.pk).status == "assigned"


def test_agency_staff_cannot_act_on_another_agencys_complaint(city, api):
    pupr_case, _ = complaint_in("new", crew_name=None)
    assert pupr_case.agency.code == "dpupr"
    garbage = make_complaint(lonlat=KARAWACI, category="garbage").complaint
    assert garbage.agency.code == "dlh"
    as_user(api, "dlh")
    for action, data in [("verify", {}), ("reject", {"reason": "x"}), ("note", {"note": "x"})]:
        assert act(api, pupr_case.tracking_code, action, **data).status_code == 404
    assert api.get(f"/api/v1/ops/complaints/{pupr_case.tracking_code}/").status_code == 404
    assert act(api, garbage.tracking_code, "verify").status_code == 200
    as_user(api, "supervisor")  # spv-pupr
    assert act(api, garbage.tracking_code, "hold", reason="x").status_code == 404
    assert Complaint.objects.get(pk=pupr_case.pk).status == "new"
    assert Complaint.objects.get(pk=garbage.pk).status == "verified"
    # The DLH queue holds DLH complaints only.
    as_user(api, "dlh")
    rows = api.get("/api/v1/ops/complaints/?page_size=500").json()["results"]
    assert rows and {r["agency"]["code"] for r in rows} == {"dlh"}


def test_planner_responses_contain_no_reporter_contact(city, api):
    c, token = complaint_in("in_progress")
    as_user(api, "planner")
    bodies = []
    for url in ["/api/v1/ops/complaints/", f"/api/v1/ops/complaints/{c.tracking_code}/", "/api/v1/me/",
                "/api/v1/crews/", "/api/v1/complaints/", f"/api/v1/complaints/{c.tracking_code}/",
                f"/api/v1/complaints/{c.tracking_code}/events/",
                f"/api/v1/complaints/{c.tracking_code}/events/?view=staff"]:
        r = api.get(url)
        assert r.status_code in (200, 403, 404), (url, r.status_code)
        bodies.append(r.content.decode())
    assert api.get("/api/v1/ops/complaints/").status_code == 403
    assert api.get(f"/api/v1/complaints/{c.tracking_code}/events/").json()["variant"] == "public"
    text = "\n".join(bodies)
    for secret in ("Siti", "081211112222", "siti.rahasia@example.id", token, "reporter"):
        assert secret not in text
    # The same complaint seen by its agency carries the contact: the check above can fail.
    as_user(api, "agency_staff")
    staff = api.get(f"/api/v1/ops/complaints/{c.tracking_code}/").json()
    assert staff["reporter"]["phone"] == "081211112222"


def test_leader_reads_everything_without_contact_and_changes_nothing(city, api):
    c, _ = complaint_in("assigned")
    garbage = make_complaint(lonlat=KARAWACI, category="garbage").complaint
    as_user(api, "leader")
    codes = [r["tracking_code"] for r in api.get("/api/v1/ops/complaints/?page_size=500").json()["results"]]
    assert c.tracking_code in codes and garbage.tracking_code in codes
    detail = api.get(f"/api/v1/ops/complaints/{c.tracking_code}/").json()
    assert "reporter" not in detail and detail["actions"] == []
    assert "081211112222" not in json.dumps(detail)
    assert api.get(f"/api/v1/complaints/{c.tracking_code}/events/").json()["variant"] == "staff"


@pytest.mark.parametrize("role", ROLES)
def test_me_lists_roles_agency_crews_and_actions(city, api, role):
    as_user(api, role)
    me = api.get("/api/v1/me/").json()
    assert me["username"] == ROLE_USERS[role]
    assert me["roles"] == [role]
    assert set(me["actions"]) == ALLOWED[role]
    if role in ("agency_staff", "supervisor", "crew_member"):
        assert me["agency"]["code"] == "dpupr"
    if role == "crew_member":
        assert me["crews"] == [{"id": crew(CREW1).pk, "name": CREW1}]
        assert me["display_name"] == "Anggota Sigap Satu"


def test_crews_list_is_scoped(city, api):
    as_user(api, "supervisor")
    names = {c["name"] for c in api.get("/api/v1/crews/").json()}
    assert names == {CREW1, CREW2}
    as_user(api, "operator")
    names = {c["name"] for c in api.get("/api/v1/crews/").json()}
    assert {CREW1, CREW2, "Tim Sigap DLH 1"} <= names
    as_user(api, "crew_member")
    assert [c["name"] for c in api.get("/api/v1/crews/").json()] == [CREW1]


def test_session_login_throttles_failed_attempts(city, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        r = client.post("/accounts/login/", {"username": "operator", "password": "salah"})
        assert r.status_code == 200  # the form again, with its error
    r = client.post("/accounts/login/", {"username": "operator", "password": "salah"})
    assert r.status_code == 429  # the third failure locks the address out
    client.cookies["django_language"] = "en"
    r = client.post("/accounts/login/", {"username": "operator", "password": "laksa-demo"})
    assert r.status_code == 429 and "Too many failed login attempts" in r.content.decode()
    assert "_auth_user_id" not in client.session
    from axes.utils import reset

    reset()  # an administrator lifts the lock (manage.py axes_reset)
    r = client.post("/accounts/login/", {"username": "operator", "password": "laksa-demo"})
    assert r.status_code == 302 and client.session["_auth_user_id"]

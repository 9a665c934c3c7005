"""The permission matrix of fieldops.permissions (its module docstring), walked for every demo role,
and every face (REST, sockets, pages, analytics, integrations) answering as the matrix says.

A change to one face's rule (say, planners getting the ops stream, or leaders the operator desk)
fails here, on the line of that capability and role.

The government dimension: a second government (Kabupaten Serang, tests/governments.py) with the
same roles and two complaints. The matrix is read on the complaints of both; Kota Tangerang's
accounts reach none of Serang's, Serang's (MATRIX_SERANG) none of Tangerang's, and the province
role reads both.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group

from fieldops import permissions
from fieldops.models import Crew
from tests.conftest import KARAWACI, login
from tests.fieldops.wf_helpers import CREW1, CREW2, complaint_in
from tests.governments import PROVINCE_USER, SERANG_CREW, SERANG_USERS, serang_setup

pytestmark = pytest.mark.django_db

# The demo accounts, in the matrix's column order; None is an anonymous visitor; then an account
# of the province role.
USERS = ["operator", "pupr", "spv-pupr", "sigap1", "leader", "planner", "admin", None, PROVINCE_USER]
T, F = True, False
# Every active crew of Kota Tangerang; of every government.
ALL_CREWS = "all active crews of the government"
PROV_CREWS = "all active crews of every government"
DPUPR_CREWS = {CREW1, CREW2}
DISPATCH = {"verify", "assign", "reroute", "hold", "reject", "duplicate", "priority", "note", "close", "photo"}
FIELD = {"start", "hold", "resolve", "note", "photo"}
# The complaints the matrix is read on: two of DPUPR (crew 1's and crew 2's), one of DLH, and
# two of Kabupaten Serang's DPUPR (one with its crew).
ALL = {"pupr1", "pupr2", "dlh"}
PUPR = {"pupr1", "pupr2"}
SERANG = {"serang", "serang-crew"}
BOTH = ALL | SERANG
# Scopes: "city" = Kota Tangerang (36.71), "prov" = every government, else the agency's code.
MATRIX = {
    # capability:          operator  pupr  spv-pupr  sigap1  leader  planner  admin  anonymous  province
    "is_staff_user":         [T, T, T, T, T, T, T, F, T],
    "can_see_rows":          [T, T, T, T, T, F, T, F, T],
    "complaints_visible":    [ALL, PUPR, PUPR, {"pupr1"}, ALL, set(), BOTH, set(), BOTH],
    "can_see_contact":       [T, T, T, F, F, F, T, F, F],
    "may_search_contact":    [T, F, F, F, F, F, T, F, F],
    "allowed_actions":       [DISPATCH, DISPATCH, DISPATCH | {"start", "resolve"}, FIELD, set(), set(),
                              DISPATCH | {"start", "resolve"}, set(), set()],
    "may_act verify dlh":    [T, F, F, F, F, F, T, F, F],
    "may_act start pupr1":   [F, F, T, T, F, F, T, F, F],
    "may_act start pupr2":   [F, F, T, F, F, F, T, F, F],
    "may_act verify serang": [F, F, F, F, F, F, T, F, F],
    "may_override pupr1":    [F, F, T, F, F, F, T, F, F],
    "crews_visible":         [ALL_CREWS, DPUPR_CREWS, DPUPR_CREWS, {CREW1}, ALL_CREWS, ALL_CREWS, PROV_CREWS, set(),
                              PROV_CREWS],
    "ops_stream_scope":      ["city", "dpupr", "dpupr", "refused", "city", "refused", "prov", "refused", "prov"],
    "stream_crew_ids":       [set(), set(), set(), {CREW1}, set(), set(), set(), set(), set()],
    "analytics_scope":       ["city", "dpupr", "dpupr", "refused", "city", "city", "prov", "refused", "prov"],
    "may_see_analytics":     [T, T, T, F, T, T, T, F, T],
    "may_open_command_center": [T, T, T, F, T, T, T, F, T],
    "complaints_in_figures": [ALL, PUPR, PUPR, {"pupr1"}, ALL, ALL, BOTH, set(), BOTH],
    "may_dispatch":          [T, T, T, T, F, F, T, F, F],
    "aggregates_city_wide":  [T, F, F, F, T, T, T, F, T],
    "may_enter_reports":     [T, F, F, F, F, F, T, F, F],
    "queue_shows_photos":    [F, F, T, T, F, F, T, F, F],
    "governments_visible":   ["city", "city", "city", "city", "city", "city", "prov", "none", "prov"],
}

# The same roles of Kabupaten Serang, on the same complaints: nothing of Kota Tangerang's.
SERANG_COLUMNS = [SERANG_USERS[r] for r in ("operator", "agency_staff", "supervisor", "crew_member", "leader", "planner")]
MATRIX_SERANG = {
    # capability:          operator  pupr  spv  sigap  leader  planner (of Kabupaten Serang)
    "complaints_visible":    [SERANG, SERANG, SERANG, {"serang-crew"}, SERANG, set()],
    "may_act verify dlh":    [F, F, F, F, F, F],
    "may_act start pupr1":   [F, F, F, F, F, F],
    "may_act start pupr2":   [F, F, F, F, F, F],
    "may_act verify serang": [T, T, T, F, F, F],
    "may_override pupr1":    [F, F, F, F, F, F],
    "crews_visible":         [{SERANG_CREW}, {SERANG_CREW}, {SERANG_CREW}, {SERANG_CREW}, {SERANG_CREW}, {SERANG_CREW}],
    "ops_stream_scope":      ["serang", "serang/dpupr", "serang/dpupr", "refused", "serang", "refused"],
    "stream_crew_ids":       [set(), set(), set(), {SERANG_CREW}, set(), set()],
    "analytics_scope":       ["serang", "serang/dpupr", "serang/dpupr", "refused", "serang", "serang"],
    "complaints_in_figures": [SERANG, SERANG, SERANG, {"serang-crew"}, SERANG, SERANG],
    "governments_visible":   ["serang", "serang", "serang", "serang", "serang", "serang"],
}


@pytest.fixture
def complaints(city):
    pupr1, _ = complaint_in("in_progress", crew_name=CREW1)
    pupr2, _ = complaint_in("in_progress", crew_name=CREW2)
    dlh, _ = complaint_in("verified", crew_name=None, lonlat=KARAWACI, category="garbage")
    assert (pupr1.agency.code, pupr2.agency.code, dlh.agency.code) == ("dpupr", "dpupr", "dlh")
    serang = serang_setup()
    return {"pupr1": pupr1, "pupr2": pupr2, "dlh": dlh, "serang": serang["verified"], "serang-crew": serang["working"]}


def user_for(username):
    return AnonymousUser() if username is None else get_user_model().objects.get(username=username)


def government_name(ids) -> str:
    from boundaries.models import Government

    if ids is None:
        return "prov"
    codes = set(Government.objects.filter(pk__in=ids).values_list("code", flat=True))
    return {frozenset(): "none", frozenset({"36.71"}): "city", frozenset({"36.04"}): "serang"}.get(frozenset(codes), str(codes))


def scope_name(scope) -> str:
    """A scope in the matrix's terms: refused, the government ("city" for Kota Tangerang), or the
    agency's code (prefixed with the government when it is not Kota Tangerang)."""
    from boundaries.models import Agency

    if not scope.allowed:
        return "refused"
    government = government_name(scope.government_ids)
    if scope.agency_id is None:
        return government
    code = Agency.objects.get(pk=scope.agency_id).code
    return code if government == "city" else f"{government}/{code}"


def crew_names(ids) -> set[str]:
    return set(Crew.objects.filter(pk__in=ids).values_list("name", flat=True))


def answers(user, complaints) -> dict:
    """What fieldops.permissions answers for this user, in the matrix's terms."""
    in_scope = {pk: name for name, c in complaints.items() for pk in [c.pk]}
    crews = permissions.crews_visible(user)
    crew_set = set(crews.values_list("pk", flat=True))
    if crew_set == set(Crew.objects.filter(active=True).values_list("pk", flat=True)):
        crews_seen = PROV_CREWS
    elif crew_set == set(Crew.objects.filter(active=True, agency__government__code="36.71").values_list("pk", flat=True)):
        crews_seen = ALL_CREWS
    else:
        crews_seen = set(crews.values_list("name", flat=True))
    return {
        "is_staff_user": permissions.is_staff_user(user),
        "can_see_rows": permissions.can_see_rows(user),
        "complaints_visible": {in_scope[pk] for pk in permissions.complaints_visible(user).filter(
            pk__in=in_scope).values_list("pk", flat=True)},
        "can_see_contact": permissions.can_see_contact(user),
        "may_search_contact": permissions.may_search_contact(user),
        "allowed_actions": set(permissions.allowed_actions(user)),
        "may_act verify dlh": permissions.may_act(user, "verify", complaints["dlh"]),
        "may_act start pupr1": permissions.may_act(user, "start", complaints["pupr1"]),
        "may_act start pupr2": permissions.may_act(user, "start", complaints["pupr2"]),
        "may_act verify serang": permissions.may_act(user, "verify", complaints["serang"]),
        "may_override pupr1": permissions.may_override_resolution(user, complaints["pupr1"]),
        "crews_visible": crews_seen,
        "ops_stream_scope": scope_name(permissions.ops_stream_scope(user)),
        "stream_crew_ids": crew_names(permissions.stream_crew_ids(user)),
        "analytics_scope": scope_name(permissions.analytics_scope(user)),
        "may_see_analytics": permissions.may_see_analytics(user),
        "may_open_command_center": permissions.may_open_command_center(user),
        "complaints_in_figures": {in_scope[pk] for pk in permissions.complaints_in_figures(user).filter(
            pk__in=in_scope).values_list("pk", flat=True)},
        "may_dispatch": permissions.may_dispatch(user),
        "aggregates_city_wide": permissions.aggregates_city_wide(user),
        "may_enter_reports": permissions.may_enter_reports(user),
        "queue_shows_photos": permissions.queue_shows_photos(user),
        "governments_visible": government_name(permissions.governments_visible(user)),
    }


@pytest.mark.parametrize("column,username", list(enumerate(USERS)), ids=[u or "anonymous" for u in USERS])
def test_the_matrix_for_each_demo_role(complaints, column, username):
    user = user_for(username)
    got = answers(user, complaints)
    want = {capability: row[column] for capability, row in MATRIX.items()}
    assert got == want
    # may_see is the object form of complaints_visible.
    assert {name for name, c in complaints.items() if permissions.may_see(user, c)} == want["complaints_visible"]


@pytest.mark.parametrize("column,username", list(enumerate(SERANG_COLUMNS)), ids=SERANG_COLUMNS)
def test_the_matrix_for_the_roles_of_another_government(complaints, column, username):
    """Kabupaten Serang's accounts reach Serang's complaints, crews and figures as Kota Tangerang's
    reach Tangerang's, and nothing of Kota Tangerang's."""
    user = user_for(username)
    got = answers(user, complaints)
    want = {capability: row[column] for capability, row in MATRIX_SERANG.items()}
    assert {capability: got[capability] for capability in want} == want
    assert {name for name, c in complaints.items() if permissions.may_see(user, c)} == want["complaints_visible"]
    assert permissions.user_government(user).code == "36.04"


def test_the_province_role_reads_every_government_and_acts_nowhere(complaints):
    """A province account sees both governments' rows, crews and figures, and no action is
    allowed on any complaint (read-only), even with an acting role added, unless its profile
    names a government: then it acts in that one only."""
    from django.contrib.auth.models import Group

    user = user_for(PROVINCE_USER)
    assert permissions.user_government(user) is None and permissions.governments_visible(user) is None
    assert not any(permissions.may_act(user, action, c) for action in permissions.ACTIONS for c in complaints.values())
    user.groups.add(Group.objects.get(name=permissions.OPERATOR))
    user = user_for(PROVINCE_USER)
    assert not any(permissions.may_act(user, action, c) for action in permissions.ACTIONS for c in complaints.values())
    user.staff_profile.government = complaints["serang"].government
    user.staff_profile.save()
    user = user_for(PROVINCE_USER)
    assert {name for name, c in complaints.items() if permissions.may_act(user, "verify", c)} == SERANG
    assert {name for name, c in complaints.items() if permissions.may_see(user, c)} == BOTH


def test_an_account_without_a_government_in_a_deployment_of_several(complaints):
    """Without a profile naming a government (nor an agency), an operator belongs to the
    deployment's only active government; with two, to none: it sees nothing."""
    from boundaries.models import Government
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user("operator-tanpa-pemda", password="x-123456789")
    user.groups.add(Group.objects.get(name=permissions.OPERATOR))
    user = user_for(user.username)
    assert permissions.governments_visible(user) == frozenset()
    assert not permissions.complaints_visible(user).exists() and not permissions.crews_visible(user).exists()
    assert permissions.ops_stream_scope(user) == permissions.NOTHING
    Government.objects.filter(code="36.04").update(active=False)
    user = user_for(user.username)
    assert permissions.user_government(user).code == "36.71"
    assert {name for name, c in complaints.items() if permissions.may_see(user, c)} == ALL


@pytest.mark.parametrize("username", USERS, ids=[u or "anonymous" for u in USERS])
def test_every_face_answers_from_the_matrix(complaints, username):
    """Sockets, pages, analytics and the operator desk ask fieldops.permissions, not their own lists."""
    from rest_framework.exceptions import NotAuthenticated, PermissionDenied

    from analytics.permissions import analytics_scope
    from integrations.apis import require_operator
    from realtime.selectors import crew_stream_for, ops_stream_for
    from web.selectors import viewer_for

    user = user_for(username)
    stream = ops_stream_for(user)
    scope = permissions.ops_stream_scope(user)
    assert (stream is not None) == scope.allowed
    assert stream is None or stream.agency_id == scope.agency_id
    if stream is not None:
        from boundaries.models import Government

        assert stream.government_ids == (scope.government_ids if scope.government_ids is not None
                                         else frozenset(Government.objects.values_list("pk", flat=True)))
    crew_stream = crew_stream_for(user)
    assert (crew_stream.crew_ids if crew_stream else frozenset()) == permissions.stream_crew_ids(user)

    viewer = viewer_for(user)
    assert viewer.is_staff_viewer == permissions.may_open_command_center(user)
    assert viewer.sees_rows == permissions.can_see_rows(user)
    assert viewer.sees_dashboard == permissions.may_see_analytics(user)
    assert viewer.can_act == permissions.may_dispatch(user)
    assert viewer.can_intake == permissions.may_enter_reports(user)
    # The "whole city" label: aggregates city-wide, or no agency to name (the operator's desk
    # belongs to Diskominfo, yet it watches the whole city).
    assert viewer.citywide == (permissions.aggregates_city_wide(user) or viewer.agency is None)
    assert viewer.citywide == (username not in ("pupr", "spv-pupr", "sigap1"))
    assert viewer.government == (None if permissions.governments_visible(user) is None
                                 else permissions.user_government(user))

    assert analytics_scope(user) == permissions.analytics_scope(user)

    if username is None:
        with pytest.raises(NotAuthenticated):
            require_operator(user)
    elif permissions.may_enter_reports(user):
        require_operator(user)
    else:
        with pytest.raises(PermissionDenied):
            require_operator(user)


def test_an_agency_role_without_an_agency(city, client, api):
    """Agency staff whose profile names no agency: no rows, no ops stream, analytics refused with
    the reason (403, not a server error), and no dashboard link."""
    user = get_user_model().objects.create_user("staf-tanpa-opd", password="x-123456789")
    user.groups.add(Group.objects.get(name=permissions.AGENCY_STAFF))
    assert permissions.user_roles(user) == {permissions.AGENCY_STAFF} and permissions.user_agency(user) is None
    assert not permissions.complaints_visible(user).exists()
    assert permissions.ops_stream_scope(user) == permissions.NOTHING
    assert not permissions.may_see_analytics(user)
    with pytest.raises(permissions.AgencyNotLinked):
        permissions.analytics_scope(user)

    login(api, user.username)
    r = api.get("/api/v1/analytics/summary/")
    assert r.status_code == 403 and r.json() == {"detail": permissions.ERR_NO_AGENCY}
    login(client, user.username)
    assert client.get("/dasbor/").status_code == 403
    page = client.get("/ops/")
    assert page.status_code == 200 and 'href="/dasbor/"' not in page.content.decode()
    login(client, "pupr")  # the same page with an agency does link the dashboard: the check above can fail
    assert 'href="/dasbor/"' in client.get("/ops/").content.decode()


def test_a_switched_off_account_has_no_role(city):
    user = get_user_model().objects.get(username="operator")
    user.is_active = False
    assert permissions.user_roles(user) == set()
    assert not permissions.is_staff_user(user) and not permissions.may_enter_reports(user)
    assert permissions.ops_stream_scope(user) == permissions.NOTHING

"""The permission matrix of fieldops.permissions (its module docstring), walked for every demo role,
and every face (REST, sockets, pages, analytics, integrations) answering as the matrix says.

A change to one face's rule (say, planners getting the ops stream, or leaders the operator desk)
fails here, on the line of that capability and role.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group

from fieldops import permissions
from fieldops.models import Crew
from tests.conftest import KARAWACI, login
from tests.fieldops.wf_helpers import CREW1, CREW2, complaint_in

pytestmark = pytest.mark.django_db

# The demo accounts, in the matrix's column order; None is an anonymous visitor.
USERS = ["operator", "pupr", "spv-pupr", "sigap1", "leader", "planner", "admin", None]
T, F = True, False
ALL_CREWS = "all active crews"
DPUPR_CREWS = {CREW1, CREW2}
DISPATCH = {"verify", "assign", "reroute", "hold", "reject", "duplicate", "priority", "note", "close", "photo"}
FIELD = {"start", "hold", "resolve", "note", "photo"}
# The complaints the matrix is read on: two of DPUPR (crew 1's and crew 2's), one of DLH.
ALL = {"pupr1", "pupr2", "dlh"}
PUPR = {"pupr1", "pupr2"}

MATRIX = {
    # capability:          operator  pupr  spv-pupr  sigap1  leader  planner  admin  anonymous
    "is_staff_user":         [T, T, T, T, T, T, T, F],
    "can_see_rows":          [T, T, T, T, T, F, T, F],
    "complaints_visible":    [ALL, PUPR, PUPR, {"pupr1"}, ALL, set(), ALL, set()],
    "can_see_contact":       [T, T, T, F, F, F, T, F],
    "may_search_contact":    [T, F, F, F, F, F, T, F],
    "allowed_actions":       [DISPATCH, DISPATCH, DISPATCH | {"start", "resolve"}, FIELD, set(), set(),
                              DISPATCH | {"start", "resolve"}, set()],
    "may_act verify dlh":    [T, F, F, F, F, F, T, F],
    "may_act start pupr1":   [F, F, T, T, F, F, T, F],
    "may_act start pupr2":   [F, F, T, F, F, F, T, F],
    "may_override pupr1":    [F, F, T, F, F, F, T, F],
    "crews_visible":         [ALL_CREWS, DPUPR_CREWS, DPUPR_CREWS, {CREW1}, ALL_CREWS, ALL_CREWS, ALL_CREWS, set()],
    "ops_stream_scope":      ["city", "dpupr", "dpupr", "refused", "city", "refused", "city", "refused"],
    "stream_crew_ids":       [set(), set(), set(), {CREW1}, set(), set(), set(), set()],
    "analytics_scope":       ["city", "dpupr", "dpupr", "refused", "city", "city", "city", "refused"],
    "may_see_analytics":     [T, T, T, F, T, T, T, F],
    "may_open_command_center": [T, T, T, F, T, T, T, F],
    "complaints_in_figures": [ALL, PUPR, PUPR, {"pupr1"}, ALL, ALL, ALL, set()],
    "may_dispatch":          [T, T, T, T, F, F, T, F],
    "aggregates_city_wide":  [T, F, F, F, T, T, T, F],
    "may_enter_reports":     [T, F, F, F, F, F, T, F],
    "queue_shows_photos":    [F, F, T, T, F, F, T, F],
}


@pytest.fixture
def complaints(city):
    pupr1, _ = complaint_in("in_progress", crew_name=CREW1)
    pupr2, _ = complaint_in("in_progress", crew_name=CREW2)
    dlh, _ = complaint_in("verified", crew_name=None, lonlat=KARAWACI, category="garbage")
    assert (pupr1.agency.code, pupr2.agency.code, dlh.agency.code) == ("dpupr", "dpupr", "dlh")
    return {"pupr1": pupr1, "pupr2": pupr2, "dlh": dlh}


def user_for(username):
    return AnonymousUser() if username is None else get_user_model().objects.get(username=username)


def scope_name(scope) -> str:
    from boundaries.models import Agency

    if not scope.allowed:
        return "refused"
    return "city" if scope.agency_id is None else Agency.objects.get(pk=scope.agency_id).code


def crew_names(ids) -> set[str]:
    return set(Crew.objects.filter(pk__in=ids).values_list("name", flat=True))


def answers(user, complaints) -> dict:
    """What fieldops.permissions answers for this user, in the matrix's terms."""
    in_scope = {pk: name for name, c in complaints.items() for pk in [c.pk]}
    crews = permissions.crews_visible(user)
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
        "may_override pupr1": permissions.may_override_resolution(user, complaints["pupr1"]),
        "crews_visible": (ALL_CREWS if crews.count() == Crew.objects.filter(active=True).count()
                          else set(crews.values_list("name", flat=True))),
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
    }


@pytest.mark.parametrize("column,username", list(enumerate(USERS)), ids=[u or "anonymous" for u in USERS])
def test_the_matrix_for_each_demo_role(complaints, column, username):
    user = user_for(username)
    got = answers(user, complaints)
    want = {capability: row[column] for capability, row in MATRIX.items()}
    assert got == want
    # may_see is the object form of complaints_visible.
    assert {name for name, c in complaints.items() if permissions.may_see(user, c)} == want["complaints_visible"]


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

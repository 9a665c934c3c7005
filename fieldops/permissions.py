"""Who may see and do what: the one place where roles and scopes are decided.

Every face asks here: the REST API (fieldops.apis, fieldops.ops_apis), the sockets
(realtime.selectors, hence the consumers and their re-checks after a revocation), the pages
(web.selectors.Viewer), analytics (analytics.permissions adds only signed tile grants and the DRF
adapter), integrations (the operator desk) and city setup (the groups to create). No other module
reads a user's groups or compares role names.

Roles are Django groups, except `admin`, which is Django's superuser flag:
- operator: the command center; sees and dispatches every complaint.
- agency_staff: the staff of one OPD (their StaffProfile's agency); sees and dispatches that
  OPD's complaints.
- supervisor: leads the Tim Sigap crews of one OPD; may also resolve with a recorded override.
- crew_member: a Tim Sigap member; sees only the tickets assigned to their crew(s).
- leader: OPD heads up to the Wali Kota; read-only, everything.
- planner: aggregates only; no complaint rows, no personal data.
- province: the province's view (Pemprov, Ombudsman): read-only, every government; no contact.
- admin: a superuser; everything, in every government.
An account that is switched off (is_active false) has no role.

Every role but province and admin works for ONE government (kabupaten/kota, its StaffProfile's
`government`, else its agency's, else the deployment's only active government): "city-wide"
below means that government, and nothing of another government exists for it: no complaint,
crew, staff account, socket event, figure, tile or export (`governments_visible`,
`government_scope`, `user_government`). Province and admin reach every government; only admin
acts across governments (a province account acts nowhere, even with another role, unless its
profile names a government: then it acts there only).

"City-wide" means two things, on purpose: complaint ROWS (the staff queue, details, the ops
socket stream) reach the whole city for admin, operator and leader; AGGREGATES (analytics, the
command center's figures and its "whole city" label) also for planners, who see no rows.

The matrix. Columns: operator, agency_staff, supervisor, crew_member, leader, planner, admin,
anonymous (the demo accounts operator, pupr, spv-pupr, sigap1, leader, planner, admin), and
province (an account of the province group); "city" = the user's government, "prov" = every
government. tests/fieldops/test_permission_matrix.py walks it, and walks it again for the
accounts of a second government against the first government's complaints (all "none"/"no").

| capability (function)                            | oper | staff  | superv  | crew  | leader | plan | admin | anon | prov |
|--------------------------------------------------|------|--------|---------|-------|--------|------|-------|------|------|
| staff API at all (is_staff_user)                 | yes  | yes    | yes     | yes   | yes    | yes  | yes   | no   | yes  |
| complaint rows (complaints_visible, may_see)     | city | agency | agency  | crews | city   | none | prov  | none | prov |
| reporter contact (can_see_contact)               | yes  | yes    | yes     | no    | no     | no   | yes   | no   | no   |
| search by contact (may_search_contact)           | yes  | no     | no      | no    | no     | no   | yes   | no   | no   |
| actions, where it sees (allowed_actions, may_act)| D    | D      | D+S+R   | F     | none   | none | all   | none | none |
| resolve without proof (may_override_resolution)  | no   | no     | agency  | no    | no     | no   | yes   | no   | no   |
| crews listed (crews_visible)                     | city | agency | agency  | crews | city   | city | prov  | none | prov |
| ops socket stream (ops_stream_scope)             | city | agency | agency  | no    | city   | no   | prov  | no   | prov |
| crew socket stream (stream_crew_ids)             | whoever is a member of an active crew, whatever the role   |
| analytics (analytics_scope, may_see_analytics)   | city | agency | agency  | no    | city   | city | prov  | no   | prov |
| command-center page (may_open_command_center)    | yes  | yes    | yes     | no    | yes    | yes  | yes   | no   | yes  |
| its figures (complaints_in_figures)              | city | agency | agency  | crews | city   | city | prov  | none | prov |
| its dispatch controls (may_dispatch)             | yes  | yes    | yes     | yes   | no     | no   | yes   | no   | no   |
| its "whole city" label (aggregates_city_wide)    | yes  | no     | no      | no    | yes    | yes  | yes   | no   | yes  |
| operator desk, SP4N-LAPOR! (may_enter_reports)   | yes  | no     | no      | no    | no     | no   | yes   | no   | no   |
| photos and proof in the queue (queue_shows_photos)| no  | no     | yes     | yes   | no     | no   | yes   | no   | no   |

D (dispatch) = verify, assign, reroute, hold, reject, duplicate, priority, note, close, photo;
S+R = start and resolve; F (field) = start, hold, resolve, note, photo; all = every action but
reopen, which belongs to the reporter's token, never to a role. "crews" = the user's own crews'
tickets. The page's dispatch controls show for any of verify, assign, reroute, hold, duplicate,
reject (a crew member's hold counts; crews never open that page). An agency role whose account
names no agency gets no agency rows, no ops stream, and a 403 (AgencyNotLinked) from analytics.

A complaint outside a user's scope does not exist for them (404); a role that may not take an
action gets 403.
"""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from boundaries.models import Government
from common.errors import DomainError
from fieldops.models import Complaint, Crew, CrewMember

OPERATOR = "operator"
AGENCY_STAFF = "agency_staff"
SUPERVISOR = "supervisor"
CREW_MEMBER = "crew_member"
LEADER = "leader"
PLANNER = "planner"
PROVINCE = "province"
ADMIN = "admin"
ROLES = [OPERATOR, AGENCY_STAFF, SUPERVISOR, CREW_MEMBER, LEADER, PLANNER, PROVINCE, ADMIN]
# The roles stored as Django groups (city setup creates them); admin is the superuser flag.
GROUP_ROLES = [role for role in ROLES if role != ADMIN]
# Demo accounts of these roles get Django's is_staff (the admin site).
ADMIN_SITE_ROLES = frozenset({ADMIN, OPERATOR})

# Complaint rows reach the whole city (their government; every government for province and
# admin) for these roles, one agency for the agency roles.
ROWS_CITY_WIDE = frozenset({ADMIN, OPERATOR, LEADER, PROVINCE})
# Roles that reach every government of the deployment (the others: their own government only).
ALL_GOVERNMENTS = frozenset({ADMIN, PROVINCE})
AGENCY_ROLES = frozenset({AGENCY_STAFF, SUPERVISOR})
# Roles that may see complaint rows at all in staff views (everyone but planners).
ROW_ROLES = ROWS_CITY_WIDE | AGENCY_ROLES | {CREW_MEMBER}
# Aggregates reach the whole city for the row roles plus planners.
AGGREGATES_CITY_WIDE = ROWS_CITY_WIDE | {PLANNER}
# The command-center page and analytics: everyone who works at a desk (not crews in the field).
DESK_ROLES = AGGREGATES_CITY_WIDE | AGENCY_ROLES
# Roles that see reporter contact (name, phone, email) in staff responses.
CONTACT_ROLES = frozenset({OPERATOR, AGENCY_STAFF, SUPERVISOR, ADMIN})
# The command center's desk: reports received by phone/WhatsApp/social media, SP4N-LAPOR!.
INTAKE_ROLES = frozenset({OPERATOR, ADMIN})
# Who may find complaints by the reporter's phone or e-mail (the ops search).
SEARCH_CONTACT_ROLES = frozenset({OPERATOR, ADMIN})

# Actions of POST /api/v1/complaints/{code}/{action}/ plus photo uploads.
ACTIONS = ["verify", "assign", "reroute", "start", "hold", "reject", "duplicate", "resolve", "close", "reopen",
           "priority", "note", "photo"]

_DISPATCH = {"verify", "assign", "reroute", "hold", "reject", "duplicate", "priority", "note", "close"}
ROLE_ACTIONS: dict[str, set[str]] = {
    OPERATOR: _DISPATCH | {"photo"},
    AGENCY_STAFF: set(_DISPATCH) | {"photo"},
    SUPERVISOR: _DISPATCH | {"start", "resolve", "photo"},
    CREW_MEMBER: {"start", "hold", "resolve", "note", "photo"},
    LEADER: set(),
    PLANNER: set(),
    PROVINCE: set(),
    ADMIN: set(ACTIONS) - {"reopen"},
}
# Reopening belongs to the reporter (with their reporter token), not to a staff role.

# Any of these actions shows the command-center page's dispatch controls (else it is read-only).
DISPATCH_CONTROLS = frozenset({"verify", "assign", "reroute", "hold", "duplicate", "reject"})

ERR_FORBIDDEN_ACTION = gettext_lazy("Your role may not %(action)s complaints.")
ERR_NOT_STAFF = gettext_lazy("This needs a staff account.")
ERR_PLANNER_ROWS = gettext_lazy("Planners see aggregates only, not individual complaints.")
ERR_NO_AGENCY = gettext_lazy("Your account is not linked to an agency.")


class AgencyNotLinked(DomainError):
    """An agency role whose account names no agency: there is nothing to scope to."""

    http_status = 403


class Scope(NamedTuple):
    """How far a capability reaches: (allowed, agency id, government ids). An agency id of None is
    the whole city, that is every government of `government_ids`; government_ids None is every
    government of the deployment (province and admin)."""

    allowed: bool
    agency_id: int | None = None
    government_ids: frozenset[int] | None = frozenset()


NOTHING = Scope(False)
# Every government, every agency (province, admin).
PROVINCE_WIDE = Scope(True, None, None)


# ---------------------------------------------------------------- who the user is


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)


def user_roles(user) -> set[str]:
    """The roles of an active user (cached on the user object for the request)."""
    if not _active(user):
        return set()
    cached = getattr(user, "_laksa_roles", None)
    if cached is not None:
        return cached
    roles = {name for name in user.groups.values_list("name", flat=True) if name in GROUP_ROLES}
    if user.is_superuser:
        roles.add(ADMIN)
    user._laksa_roles = roles
    return roles


def user_agency(user):
    """The OPD a staff account works for, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_laksa_agency"):
        # A missing profile raises RelatedObjectDoesNotExist, an AttributeError: getattr's default.
        profile = getattr(user, "staff_profile", None)
        user._laksa_agency = profile.agency if profile is not None and profile.agency_id else None
    return user._laksa_agency


def _government_id(user) -> int | None:
    """The id of user_government, read without loading the government (cached on the user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_laksa_government_id"):
        # A missing profile raises RelatedObjectDoesNotExist, an AttributeError: getattr's default.
        profile = getattr(user, "staff_profile", None)
        government_id = None
        if profile is not None and profile.government_id:
            government_id = profile.government_id
        elif profile is not None and profile.agency_id:
            government_id = user_agency(user).government_id
        elif not user_roles(user) & ALL_GOVERNMENTS:
            only = list(Government.objects.filter(active=True).values_list("pk", flat=True)[:2])
            government_id = only[0] if len(only) == 1 else None
        user._laksa_government_id = government_id
    return user._laksa_government_id


def user_government(user) -> Government | None:
    """The government (kabupaten/kota) a staff account works for: its profile's, else its
    agency's, else the deployment's only active government; None when none of these names one
    (an account of several governments' deployment without a profile, the superuser, province)."""
    government_id = _government_id(user)
    if government_id is None:
        return None
    cached = getattr(user, "_laksa_government", None)
    if cached is None or cached.pk != government_id:
        user._laksa_government = cached = Government.objects.get(pk=government_id)
    return cached


def governments_visible(user) -> frozenset[int] | None:
    """The governments whose complaints, crews, staff and figures the user may see at all: None
    for every government (province, admin), else the user's own (empty for no role or none)."""
    roles = user_roles(user)
    if not roles:
        return frozenset()
    if roles & ALL_GOVERNMENTS:
        return None
    government_id = _government_id(user)
    return frozenset({government_id}) if government_id is not None else frozenset()


def government_scope(queryset: QuerySet, user, field: str = "government") -> QuerySet:
    """The queryset reduced to the governments the user may see; `field` is the path from its
    model to the government (e.g. "agency__government" for crews, "complaint__government")."""
    ids = governments_visible(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": sorted(ids)}) if ids else queryset.none()


def _acting_governments(user, roles: set[str]) -> frozenset[int] | None:
    """Where the user may act: admin everywhere, anyone else in their own government only (a
    province account without a government nowhere: read-only)."""
    if ADMIN in roles:
        return None
    government_id = _government_id(user)
    return frozenset({government_id}) if government_id is not None else frozenset()


def _in_governments(ids: frozenset[int] | None, complaint: Complaint) -> bool:
    return ids is None or complaint.government_id in ids


def user_crew_ids(user) -> list[int]:
    """Every crew the user belongs to, active or not (a retired crew's tickets stay readable)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if not hasattr(user, "_laksa_crews"):
        user._laksa_crews = list(Crew.objects.filter(crewmember__user=user).values_list("id", flat=True))
    return user._laksa_crews


def supervisor_usernames(agency_id: int) -> list[str]:
    """The active supervisors of an agency (told when its complaints escalate)."""
    return list(
        get_user_model().objects.filter(groups__name=SUPERVISOR, staff_profile__agency_id=agency_id, is_active=True)
        .order_by("username").values_list("username", flat=True)
    )


def _agency_id(user, roles: set[str]) -> int | None:
    """The agency an agency role is scoped to (None without an agency role or an agency)."""
    if not roles & AGENCY_ROLES:
        return None
    agency = user_agency(user)
    return agency.pk if agency is not None else None


# ---------------------------------------------------------------- REST: rows, contact, actions


def is_staff_user(user) -> bool:
    """Any role at all: the staff endpoints answer (perhaps with less than everything)."""
    return bool(user_roles(user))


def can_see_rows(user) -> bool:
    return bool(user_roles(user) & ROW_ROLES)


def can_see_contact(user) -> bool:
    return bool(user_roles(user) & CONTACT_ROLES)


def may_search_contact(user) -> bool:
    """Whether the ops search may match a reporter's phone or e-mail: operators (and admins)
    only, who take the citizens' calls; agency staff see the contact of a ticket they opened,
    but may not look people up by it."""
    return bool(user_roles(user) & SEARCH_CONTACT_ROLES)


def allowed_actions(user) -> list[str]:
    """The actions the user's roles allow on complaints in their scope (in ACTIONS order)."""
    allowed: set[str] = set()
    for role in user_roles(user):
        allowed |= ROLE_ACTIONS.get(role, set())
    return [a for a in ACTIONS if a in allowed]


def _rows_q(user, roles: set[str]) -> Q:
    """The rows these roles reach short of the whole city: the agency's for agency roles, the
    user's crews' for crew members."""
    cond = Q(pk__in=[])
    agency_id = _agency_id(user, roles)
    if agency_id is not None:
        cond |= Q(agency_id=agency_id)
    if CREW_MEMBER in roles:
        crews = user_crew_ids(user)
        if crews:
            cond |= Q(crew_id__in=crews)
    return cond


def _reaches(user, roles: set[str], complaint: Complaint) -> bool:
    """Whether the rows these roles of the user reach hold this complaint (the rule of _rows_q,
    within the user's governments)."""
    if not _in_governments(governments_visible(user), complaint):
        return False
    if roles & ROWS_CITY_WIDE:
        return True
    agency_id = _agency_id(user, roles)
    if agency_id is not None and complaint.agency_id == agency_id:
        return True
    return CREW_MEMBER in roles and complaint.crew_id is not None and complaint.crew_id in user_crew_ids(user)


def complaints_visible(user, qs: QuerySet | None = None) -> QuerySet:
    """The complaints a staff user may see as rows; empty for citizens and planners."""
    qs = government_scope(Complaint.objects.all() if qs is None else qs, user)
    roles = user_roles(user)
    return qs if roles & ROWS_CITY_WIDE else qs.filter(_rows_q(user, roles))


def may_see(user, complaint: Complaint) -> bool:
    """Whether the complaint is in the user's staff scope (the same rule as complaints_visible)."""
    return _reaches(user, user_roles(user), complaint)


def may_act(user, action: str, complaint: Complaint) -> bool:
    """Whether a role of the user grants this action and its rows hold this complaint: a role acts
    where it sees (operators and admins city-wide, agency roles their agency, crews their tickets)."""
    roles = user_roles(user)
    granting = {role for role in roles if action in ROLE_ACTIONS.get(role, ())}
    return (bool(granting) and _in_governments(_acting_governments(user, roles), complaint)
            and _reaches(user, granting, complaint))


def may_override_resolution(user, complaint: Complaint) -> bool:
    """Supervisors of the complaint's OPD (and admins) may resolve without the photo proof."""
    roles = user_roles(user)
    if ADMIN in roles:
        return True
    agency_id = _agency_id(user, roles & {SUPERVISOR})
    return (agency_id is not None and agency_id == complaint.agency_id
            and _in_governments(_acting_governments(user, roles), complaint))


def crews_visible(user) -> QuerySet:
    """The active crews the user may list: city-wide rows and planners (aggregates) see all of
    their government's (province and admin: every government's)."""
    qs = government_scope(Crew.objects.select_related("agency").filter(active=True), user, "agency__government")
    roles = user_roles(user)
    if roles & ROWS_CITY_WIDE or (PLANNER in roles and not roles & ROW_ROLES):
        return qs
    cond = Q(pk__in=[])
    agency_id = _agency_id(user, roles)
    if agency_id is not None:
        cond |= Q(agency_id=agency_id)
    if CREW_MEMBER in roles:
        cond |= Q(pk__in=user_crew_ids(user))
    return qs.filter(cond)


# ---------------------------------------------------------------- sockets


def _government_wide(user) -> Scope:
    """Every agency of the user's governments (every government: PROVINCE_WIDE); refused when
    the account names no government."""
    ids = governments_visible(user)
    if ids is None:
        return PROVINCE_WIDE
    return Scope(True, None, ids) if ids else NOTHING


def ops_stream_scope(user) -> Scope:
    """The ops socket stream: the whole city (its government; every government for province and
    admin) for city-wide row roles, their agency for agency roles (refused without one), refused
    for crews (they have theirs) and planners (no rows)."""
    roles = user_roles(user)
    if roles & ROWS_CITY_WIDE:
        return _government_wide(user)
    agency_id = _agency_id(user, roles)
    if agency_id is None:
        return NOTHING
    return Scope(True, agency_id, frozenset({user_agency(user).government_id}))


def stream_crew_ids(user) -> frozenset[int]:
    """The crews whose socket stream the user may follow: their active crews, whatever their role."""
    if not _active(user):
        return frozenset()
    return frozenset(CrewMember.objects.filter(user=user, crew__active=True).values_list("crew_id", flat=True))


# ---------------------------------------------------------------- aggregates: analytics, pages


def aggregates_city_wide(user) -> bool:
    """Whether the user's aggregates (analytics, command-center figures) cover the whole city
    (their government; every government for province and admin)."""
    return bool(user_roles(user) & AGGREGATES_CITY_WIDE)


def analytics_scope(user) -> Scope:
    """Analytics: the whole city (the user's government; province-wide for province and admin)
    for AGGREGATES_CITY_WIDE, their agency for agency roles (AgencyNotLinked without one),
    refused for crews and anonymous visitors."""
    roles = user_roles(user)
    if roles & AGGREGATES_CITY_WIDE:
        return _government_wide(user)
    if roles & AGENCY_ROLES:
        agency_id = _agency_id(user, roles)
        if agency_id is None:
            raise AgencyNotLinked(ERR_NO_AGENCY)
        return Scope(True, agency_id, frozenset({user_agency(user).government_id}))
    return NOTHING


def may_see_analytics(user) -> bool:
    """Whether the analytics dashboard opens for the user (its link shows)."""
    try:
        return analytics_scope(user).allowed
    except AgencyNotLinked:
        return False


def may_open_command_center(user) -> bool:
    """The command-center page (/ops/): every desk role; crews have their own page."""
    return bool(user_roles(user) & DESK_ROLES)


def complaints_in_figures(user) -> QuerySet:
    """The complaints the command center's figures count: the user's rows, or all for planners."""
    if not can_see_rows(user):
        return government_scope(Complaint.objects.all(), user) if PLANNER in user_roles(user) else Complaint.objects.none()
    return complaints_visible(user)


def may_dispatch(user) -> bool:
    """Whether the command-center page shows its dispatch controls rather than a read-only view."""
    return bool(set(allowed_actions(user)) & DISPATCH_CONTROLS)


def queue_shows_photos(user) -> bool:
    """Whether each item of the staff queue carries its photos (public copies and thumbnails) and
    its before/after proof: for the roles that start and resolve work in the field, who must see
    on the ticket what the citizen photographed and which of their own photos the server accepted.
    (Desk roles open a ticket's photos in its detail; their long queue stays light.)"""
    return bool(set(allowed_actions(user)) & {"start", "resolve"})


def may_enter_reports(user) -> bool:
    """The operator desk: enter reports received by phone, WhatsApp or social media, forward a
    complaint to SP4N-LAPOR! and import a LAPOR! export."""
    return bool(user_roles(user) & INTAKE_ROLES)


# ================================================================ transfer between governments
# (issue 18, helper `transfer`; kept in one block to ease the merge with the isolation work)
#
# | capability (function)                       | oper       | staff        | superv       | crew        | leader | plan | admin | anon |
# | transfer to a neighbour (can_transfer)      | own gov    | no           | no           | no          | no     | no   | yes   | no   |
# | read-only trace after (can_read_trace)      | old gov    | old agency   | old agency   | old crew    | old gov| no   | -     | no   |
#
# After a transfer the complaint belongs to the neighbour; the government it left keeps a
# read-only trace: its staff who reached the complaint at the moment of the transfer (the same
# row rule as `_reaches`, applied to the transfer event's previous agency and crew) may still
# open it, up to and including the transfer, and take no action. Admins (no government) and the
# province role see every government anyway, so a trace means nothing to them.

TRANSFER_ROLES = frozenset({OPERATOR, ADMIN})


def can_transfer(user, complaint: Complaint) -> bool:
    """Operators of the complaint's current government (and admins) may hand it to a neighbour."""
    roles = user_roles(user) & TRANSFER_ROLES
    if not roles or ADMIN in roles:
        return bool(roles)
    government_id = _government_id(user)
    return government_id is not None and government_id == complaint.government_id


def trace_event_id(user, complaint: Complaint) -> int | None:
    """The id of the last transfer that took this complaint away from the user's government while
    the user reached it (their government's city-wide row roles, or the agency or crew that had
    it): the user's read-only trace ends there. None: no trace (the complaint is still the
    user's government's, or never left it, or the user never reached it)."""
    from fieldops.models import ComplaintEvent, EventType

    roles = user_roles(user) & ROW_ROLES
    government_id = _government_id(user) if roles else None
    if government_id is None or government_id == complaint.government_id:
        return None
    events = (ComplaintEvent.objects.filter(complaint=complaint, type=EventType.TRANSFERRED,
                                            data__from_government_id=government_id)
              .order_by("-id").values_list("id", "data"))
    agency_id = _agency_id(user, roles)
    crews = user_crew_ids(user) if CREW_MEMBER in roles else []
    for event_id, data in events:
        if (roles & ROWS_CITY_WIDE or (agency_id is not None and data.get("previous_agency_id") == agency_id)
                or data.get("previous_crew_id") in crews):
            return event_id
    return None


def can_read_trace(user, complaint: Complaint) -> bool:
    """Whether the user's government handed this complaint to another and the user may still read
    it there, read-only, up to the transfer (`trace_event_id`)."""
    return trace_event_id(user, complaint) is not None

"""Who may see and do what with complaints: roles (Django groups) plus object scoping.

Roles:
- operator: the command center; sees and dispatches every complaint.
- agency_staff: the staff of one OPD; sees and dispatches that OPD's complaints.
- supervisor: leads the Tim Sigap crews of one OPD; may also resolve with a recorded override.
- crew_member: a Tim Sigap member; sees only the tickets assigned to their crew(s).
- leader: OPD heads up to the Wali Kota; read-only, everything.
- planner: aggregates only; no complaint rows, no personal data.
- admin: a superuser; everything.

A complaint outside a user's scope does not exist for them (404); a role that may not take an
action gets 403.
"""

from __future__ import annotations

from django.db.models import QuerySet

from fieldops.models import Complaint, Crew

OPERATOR = "operator"
AGENCY_STAFF = "agency_staff"
SUPERVISOR = "supervisor"
CREW_MEMBER = "crew_member"
LEADER = "leader"
PLANNER = "planner"
ADMIN = "admin"
ROLES = [OPERATOR, AGENCY_STAFF, SUPERVISOR, CREW_MEMBER, LEADER, PLANNER, ADMIN]

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
    ADMIN: set(ACTIONS) - {"reopen"},
}
# Reopening belongs to the reporter (with their reporter token), not to a staff role.

# Roles that see reporter contact (name, phone, email) in staff responses.
CONTACT_ROLES = {OPERATOR, AGENCY_STAFF, SUPERVISOR, ADMIN}
# Roles that may see complaint rows at all in staff views.
ROW_ROLES = {OPERATOR, AGENCY_STAFF, SUPERVISOR, CREW_MEMBER, LEADER, ADMIN}

ERR_FORBIDDEN_ACTION = "Your role may not {action} complaints."
ERR_NOT_STAFF = "This needs a staff account."
ERR_PLANNER_ROWS = "Planners see aggregates only, not individual complaints."


def user_roles(user) -> set[str]:
    """The roles of a user (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_laksa_roles", None)
    if cached is not None:
        return cached
    roles = {name for name in user.groups.values_list("name", flat=True) if name in ROLES}
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


def user_crew_ids(user) -> list[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if not hasattr(user, "_laksa_crews"):
        user._laksa_crews = list(Crew.objects.filter(crewmember__user=user).values_list("id", flat=True))
    return user._laksa_crews


def is_staff_user(user) -> bool:
    return bool(user_roles(user))


def can_see_rows(user) -> bool:
    return bool(user_roles(user) & ROW_ROLES)


def can_see_contact(user) -> bool:
    return bool(user_roles(user) & CONTACT_ROLES)


def allowed_actions(user) -> list[str]:
    """The actions the user's roles allow on complaints in their scope (in ACTIONS order)."""
    allowed: set[str] = set()
    for role in user_roles(user):
        allowed |= ROLE_ACTIONS.get(role, set())
    return [a for a in ACTIONS if a in allowed]


def role_allows(user, action: str) -> bool:
    return action in allowed_actions(user)


def complaints_visible(user, qs: QuerySet | None = None) -> QuerySet:
    """The complaints a staff user may see as rows; empty for citizens and planners."""
    qs = Complaint.objects.all() if qs is None else qs
    roles = user_roles(user)
    if roles & {ADMIN, OPERATOR, LEADER}:
        return qs
    from django.db.models import Q

    cond = Q(pk__in=[])
    if roles & {AGENCY_STAFF, SUPERVISOR}:
        agency = user_agency(user)
        if agency is not None:
            cond |= Q(agency_id=agency.pk)
    if CREW_MEMBER in roles:
        crews = user_crew_ids(user)
        if crews:
            cond |= Q(crew_id__in=crews)
    return qs.filter(cond)


def action_scope(user, action: str, qs: QuerySet | None = None) -> QuerySet:
    """The complaints on which the user may take this action: by the role that grants it."""
    qs = Complaint.objects.all() if qs is None else qs
    roles = user_roles(user)
    if ADMIN in roles or (OPERATOR in roles and action in ROLE_ACTIONS[OPERATOR]):
        return qs
    from django.db.models import Q

    cond = Q(pk__in=[])
    agency = user_agency(user)
    for role in (AGENCY_STAFF, SUPERVISOR):
        if role in roles and action in ROLE_ACTIONS[role] and agency is not None:
            cond |= Q(agency_id=agency.pk)
    if CREW_MEMBER in roles and action in ROLE_ACTIONS[CREW_MEMBER]:
        crews = user_crew_ids(user)
        if crews:
            cond |= Q(crew_id__in=crews)
    return qs.filter(cond)


def may_override_resolution(user, complaint: Complaint) -> bool:
    """Supervisors of the complaint's OPD (and admins) may resolve without the photo proof."""
    roles = user_roles(user)
    if ADMIN in roles:
        return True
    agency = user_agency(user)
    return SUPERVISOR in roles and agency is not None and agency.pk == complaint.agency_id


def crews_visible(user) -> QuerySet:
    qs = Crew.objects.select_related("agency").filter(active=True)
    roles = user_roles(user)
    if roles & {ADMIN, OPERATOR, LEADER}:
        return qs
    from django.db.models import Q

    cond = Q(pk__in=[])
    agency = user_agency(user)
    if roles & {AGENCY_STAFF, SUPERVISOR} and agency is not None:
        cond |= Q(agency_id=agency.pk)
    if CREW_MEMBER in roles:
        cond |= Q(pk__in=user_crew_ids(user))
    return qs.filter(cond)


def may_see(user, complaint: Complaint) -> bool:
    """Whether the complaint is in the user's staff scope (the same rule as complaints_visible)."""
    roles = user_roles(user)
    if roles & {ADMIN, OPERATOR, LEADER}:
        return True
    agency = user_agency(user)
    if roles & {AGENCY_STAFF, SUPERVISOR} and agency is not None and complaint.agency_id == agency.pk:
        return True
    return CREW_MEMBER in roles and complaint.crew_id is not None and complaint.crew_id in user_crew_ids(user)


def may_act(user, action: str, complaint: Complaint) -> bool:
    """Whether a role of the user grants this action on this complaint (the rule of action_scope)."""
    roles = user_roles(user)
    if ADMIN in roles and action in ROLE_ACTIONS[ADMIN]:
        return True
    if OPERATOR in roles and action in ROLE_ACTIONS[OPERATOR]:
        return True
    agency = user_agency(user)
    for role in (AGENCY_STAFF, SUPERVISOR):
        if role in roles and action in ROLE_ACTIONS[role] and agency is not None and complaint.agency_id == agency.pk:
            return True
    return (CREW_MEMBER in roles and action in ROLE_ACTIONS[CREW_MEMBER] and complaint.crew_id is not None
            and complaint.crew_id in user_crew_ids(user))

"""Who may see analytics: aggregates for planners, leaders, operators, admins and agency staff.

Agency staff and supervisors see their own agency's complaints only. Crew members and anonymous
visitors are refused (403).
"""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from analytics.tiletokens import TileGrant
from fieldops.citysetup import ROLES
from fieldops.permissions import user_agency, user_roles

CITY_WIDE = {"planner", "leader", "operator"}
AGENCY_SCOPED = {"agency_staff", "supervisor"}
assert (CITY_WIDE | AGENCY_SCOPED) <= set(ROLES)

ERR_FORBIDDEN = "Analytics are for planners, leaders, operators and agency staff."
ERR_NO_AGENCY = "Your account is not linked to an agency."


def analytics_scope(user) -> tuple[bool, int | None]:
    """(allowed, agency id to restrict to or None for the whole city)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False, None
    if isinstance(user, TileGrant):
        return True, user.agency_id  # checked when the token was issued, and signed
    if user.is_superuser:
        return True, None
    roles = user_roles(user)
    if roles & CITY_WIDE:
        return True, None
    if roles & AGENCY_SCOPED:
        agency = user_agency(user)
        if agency is None:
            raise PermissionDenied(ERR_NO_AGENCY)
        return True, agency.pk
    return False, None


class CanSeeAnalytics(BasePermission):
    message = ERR_FORBIDDEN

    def has_permission(self, request, view):
        allowed, agency_id = analytics_scope(request.user)
        request.analytics_agency = agency_id
        return allowed

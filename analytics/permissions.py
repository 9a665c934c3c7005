"""Analytics' adapter over fieldops.permissions.analytics_scope (who sees analytics, and how far):
signed tile grants, and the DRF permission class.

Planners, leaders and operators see the whole city (their government), the province role and
admins every government; agency staff and supervisors their own agency's complaints (403 if their
account names no agency). Crew members and anonymous visitors are refused (403).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from analytics.tiletokens import TileGrant
from fieldops import permissions
from fieldops.permissions import Scope

ERR_FORBIDDEN = gettext_lazy("Analytics are for planners, leaders, operators and agency staff.")


def analytics_scope(user) -> Scope:
    """(allowed, agency id to restrict to or None for the whole city, governments or None for all);
    a tile grant carries its own."""
    if isinstance(user, TileGrant):
        return Scope(True, user.agency_id, user.government_ids)  # checked when the token was issued, and signed
    return permissions.analytics_scope(user)


class CanSeeAnalytics(BasePermission):
    message = ERR_FORBIDDEN

    def has_permission(self, request, view):
        allowed, agency_id, government_ids = analytics_scope(request.user)
        request.analytics_agency = agency_id
        request.analytics_governments = government_ids
        return allowed

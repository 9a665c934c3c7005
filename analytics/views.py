"""Pages: the analytics dashboard for staff (/dasbor/) and the public statistics (/statistik/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control

from analytics import selectors
from analytics.filters import Filters
from boundaries.models import AreaLevel, Agency
from fieldops import permissions
from fieldops.models import Category, Status


@login_required
def dashboard(request):
    """Choropleth, hex grid, clusters, time series and KPIs with filters and exports."""
    if not permissions.may_see_analytics(request.user):
        raise PermissionDenied
    agency_id = permissions.analytics_scope(request.user).agency_id
    lang = get_language()
    options = {
        "categories": [{"value": c.slug, "label": c.name_for(lang)} for c in Category.objects.filter(active=True)],
        "statuses": [{"value": s.value, "label": str(s.label)} for s in Status],
        "agencies": [{"value": a.code, "label": a.short_name or a.name}
                     for a in permissions.government_scope(Agency.objects.filter(active=True), request.user)
                     .order_by("short_name")],
        "kecamatan": [{"value": a["code"], "label": a["name"]} for a in _kecamatan()],
        "scoped_agency": agency_id,
    }
    from django.conf import settings

    tile_url = getattr(settings, "MAP_TILE_URL", "")
    return render(request, "analytics/dashboard.html", {"options": options, "tile_url": tile_url,
                                                        "tile_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", "")})


def _kecamatan():
    from boundaries.selectors import areas_for_level

    return areas_for_level(level=AreaLevel.KECAMATAN).values("code", "name")


@cache_control(public=True, max_age=300)
def public_statistics(request):
    """Counts and resolution rate only: city-wide and per kecamatan."""
    # Anonymous and cheap to ask for, costly to compute at a million complaints: cached 5 minutes.
    # The figures say when they were counted ("per 3 Desember 2026 20.15"): they may be 5 minutes old.
    rows, as_of = cache.get_or_set(
        "analytics:public-statistics:v2",
        lambda: (selectors.area_counts(level=AreaLevel.KECAMATAN, filters=Filters()), timezone.now()), 300,
    )
    total = sum(r["count"] for r in rows)
    resolved = sum(r["resolved"] for r in rows)
    return render(request, "analytics/statistics.html", {
        "rows": rows,
        "as_of": as_of,
        "total": total,
        "resolved": resolved,
        "rate": round(resolved * 100 / total, 1) if total else None,
        "chart": {"labels": [r["name"] for r in rows], "counts": [r["count"] for r in rows],
                  "rates": [round((r["resolution_rate"] or 0) * 100, 1) for r in rows]},
    })

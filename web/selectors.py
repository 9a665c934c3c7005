"""Reads behind the server-rendered pages: who is looking (role, crew, agency scope), the
transparency gallery and the command-center figures. (The public timeline of a complaint is
fieldops.selectors.public_events, shared with the other public faces.)"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from boundaries.models import Agency, Government
from boundaries.selectors import areas_for_level
from boundaries.sites import government_url, governments_active, governments_extent, theme_colors
from fieldops import permissions
from fieldops.models import (
    OPEN_STATUSES,
    STATUS_COLOR,
    Category,
    Channel,
    Complaint,
    Crew,
    MediaState,
    Photo,
    PhotoKind,
    Status,
)

DONE_STATUSES = [Status.RESOLVED, Status.CLOSED]


@dataclass
class Viewer:
    """What the pages need to know about the logged-in user: who they are (agency, crew) for
    display, and what they may do, each answered by fieldops.permissions."""

    user: object = None
    agency: Agency | None = None
    crew: Crew | None = None

    @property
    def is_staff_viewer(self) -> bool:
        return permissions.may_open_command_center(self.user)

    @property
    def can_act(self) -> bool:
        return permissions.may_dispatch(self.user)

    @property
    def can_intake(self) -> bool:
        return permissions.may_enter_reports(self.user)

    @property
    def citywide(self) -> bool:
        return permissions.aggregates_city_wide(self.user) or self.agency is None

    @property
    def sees_dashboard(self) -> bool:
        return permissions.may_see_analytics(self.user)

    @property
    def sees_rows(self) -> bool:
        return permissions.can_see_rows(self.user)

    @property
    def government(self) -> Government | None:
        """The government the viewer works for; None for every government (province, admin)."""
        if permissions.governments_visible(self.user) is None:
            return None
        return permissions.user_government(self.user)

    @property
    def has_live_stream(self) -> bool:
        """Whether the ops socket streams to this user (planners have none: no live badge)."""
        return permissions.ops_stream_scope(self.user).allowed


def viewer_for(user) -> Viewer:
    """The user's agency (or their crew's) and first active crew; an anonymous user has none."""
    if not getattr(user, "is_authenticated", False):
        return Viewer()
    agency = permissions.user_agency(user)
    crew = Crew.objects.filter(crewmember__user=user, active=True).select_related("agency").order_by("id").first()
    if crew is not None and agency is None:
        agency = crew.agency
    return Viewer(user=user, agency=agency, crew=crew)


def sees_every_government(user) -> bool:
    """Province-wide figures: analytics viewers of every government (the province role, the
    superuser)."""
    return permissions.may_see_analytics(user) and permissions.governments_visible(user) is None


def site_face(government: Government | None, governments: list[Government] | None = None) -> dict:
    """What the base template shows of a government: its site name, its area's name and its
    colours; without one, the province's (the landing page)."""
    if government is not None:
        return {"government": government, "site_name": government.site_name, "area_name": government.name,
                "city_name": government.name, "theme": theme_colors(government)}
    governments = governments_active() if governments is None else governments
    province = next((g.province_name for g in governments if g.province_name), "")
    return {"government": None, "site_name": f"LAKSA {province}".strip(), "area_name": province,
            "theme": None}


def categories_active(government: Government | None = None) -> QuerySet[Category]:
    """The active categories; for a government, those it enabled (GovernmentCategory active)."""
    qs = Category.objects.filter(active=True)
    if government is not None:
        qs = qs.filter(governments__government=government, governments__active=True)
    return qs.order_by("order", "slug")


def kecamatan_list(government: Government | None = None):
    return areas_for_level(level="kecamatan", government_codes=[government.code] if government is not None else None)


def map_bounds(government: Government | None, governments: list[Government] | None = None) -> list | None:
    """The map's first view, [[south, west], [north, east]]: the government's kab/kota area, or
    all served governments' (the province landing)."""
    if government is not None:
        box = governments_extent([government])
    else:
        box = governments_extent(governments_active() if governments is None else governments)
    return [[box[1], box[0]], [box[3], box[2]]] if box else None


def governments_listing(request) -> list[dict]:
    """Every active government with where its pages are (its host, or /<kode>/ here)."""
    return [{"code": g.code, "name": g.name, "jenis": g.jenis, "site_name": g.site_name,
             "url": government_url(g, request)}
            for g in (getattr(request, "governments", None) or governments_active())]


def ops_filter_choices(viewer: Viewer, government: Government | None = None) -> dict:
    """The choices of the command centre's filters: kecamatan with their kelurahan, the agencies
    and the crews the user may see (of the user's government: Kemendagri codes of its areas start
    with its code), the statuses and channels."""
    governments = permissions.governments_visible(viewer.user)
    if government is not None:
        governments = frozenset({government.pk}) if governments is None or government.pk in governments else frozenset()
    codes = (None if governments is None
             else list(Government.objects.filter(pk__in=sorted(governments)).values_list("code", flat=True)))

    def areas(level):
        return areas_for_level(level=level, government_codes=codes)

    kelurahan = {}
    for kel in areas("kelurahan").only("code", "name", "parent_id").order_by("name"):
        kelurahan.setdefault(kel.parent_id, []).append(kel)
    kecamatan = [{"code": k.code, "name": k.name, "kelurahan": kelurahan.get(k.pk, [])}
                 for k in areas("kecamatan").order_by("name")]
    return {
        "kecamatan": kecamatan,
        "agencies": permissions.government_scope(
            Agency.objects.filter(active=True, **({"government": government} if government else {})), viewer.user
        ).order_by("short_name", "name"),
        "crews": permissions.crews_visible(viewer.user).order_by("agency__short_name", "name"),
        "statuses": list(Status),
        "channels": list(Channel),
    }


def last_event_id(complaint: Complaint) -> int:
    last = complaint.events.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def photos_by_kind(complaint: Complaint) -> dict[str, list[Photo]]:
    """The complaint's photos and videos by kind: ready ones, and those whose public copy a job is
    still making (the page shows a placeholder for them); none that failed."""
    out: dict[str, list[Photo]] = {k: [] for k in PhotoKind.values}
    for p in complaint.photos.all().order_by("id"):
        if p.state != MediaState.FAILED:
            out.setdefault(p.kind, []).append(p)
    return out


def transparency_items(*, limit: int = 24, offset: int = 0, government: Government | None = None) -> list[Complaint]:
    """Resolved complaints that carry proof photos, newest result first (of one government)."""
    with_before = Photo.objects.filter(complaint=OuterRef("pk"), kind=PhotoKind.BEFORE)
    with_after = Photo.objects.filter(complaint=OuterRef("pk"), kind=PhotoKind.AFTER)
    qs = (
        Complaint.objects.filter(status__in=DONE_STATUSES, category__is_private=False)
        .filter(Exists(with_after) | Exists(with_before))
        .filter(**({"government": government} if government is not None else {}))
        .select_related("category", "kecamatan", "kelurahan", "agency")
        .prefetch_related("photos")
        .order_by("-resolved_at", "-id")
    )
    return list(qs[offset : offset + limit])


def ops_stats(viewer: Viewer) -> dict:
    """Counts by status, OPD and kecamatan, the resolution rate and the overdue list, over the
    complaints the viewer's figures count (fieldops.permissions.complaints_in_figures)."""
    qs = permissions.complaints_in_figures(viewer.user)
    now = timezone.now()
    by_status_raw = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_status = [
        {"status": s.value, "label": s.label, "color": STATUS_COLOR[s], "count": by_status_raw.get(s.value, 0)}
        for s in Status
    ]
    total = sum(by_status_raw.values())
    done = sum(by_status_raw.get(s.value, 0) for s in DONE_STATUSES)
    counted = total - by_status_raw.get(Status.REJECTED.value, 0) - by_status_raw.get(Status.DUPLICATE.value, 0)
    open_q = Q(status__in=OPEN_STATUSES)
    by_agency = list(
        qs.values("agency__code", "agency__short_name")
        .annotate(total=Count("id"), open=Count("id", filter=open_q), done=Count("id", filter=Q(status__in=DONE_STATUSES)))
        .order_by("-open", "-total", "agency__code")
    )
    by_kecamatan = list(
        qs.values("kecamatan__code", "kecamatan__name")
        .annotate(total=Count("id"), open=Count("id", filter=open_q), done=Count("id", filter=Q(status__in=DONE_STATUSES)))
        .order_by("-open", "-total", "kecamatan__code")
    )
    overdue_qs = (
        qs.filter(open_q, due_at__lt=now)
        .select_related("category", "kecamatan", "agency", "crew")
        .order_by("due_at")
    )
    return {
        "total": total,
        "open": sum(by_status_raw.get(s.value, 0) for s in OPEN_STATUSES),
        "done": done,
        "resolution_rate": round(100.0 * done / counted, 1) if counted else None,
        "by_status": by_status,
        "by_agency": by_agency,
        "by_kecamatan": by_kecamatan,
        "overdue_count": overdue_qs.count(),
        "show_rows": viewer.sees_rows,
        "overdue": list(overdue_qs[:20]),
    }

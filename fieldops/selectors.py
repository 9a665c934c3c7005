"""Reads over complaints: public lists, single complaints, where a report would go."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from boundaries.models import Agency
from boundaries.selectors import AGENCY_ROW_FIELDS, Route, route_point
from fieldops.models import OPEN_STATUSES, Category, Complaint, ComplaintEvent, GovernmentCategory, Photo

DUPLICATE_RADIUS_M = 50
DUPLICATE_WINDOW_DAYS = 30
# What a tracking code can look like (LKS-XXXX-XXXX today; letters, digits and dashes).
TRACKING_CODE_RE = re.compile(r"^[A-Z0-9-]{4,16}$")


def agency_for(route: Route, category: Category | None) -> Agency | None:
    """The agency a complaint at this route gets: rule, else the government's OPD for the
    category (GovernmentCategory), else its command center (route_point chose it)."""
    if route.agency_row is not None:
        return Agency.from_db(DEFAULT_DB_ALIAS, AGENCY_ROW_FIELDS, route.agency_row)
    if route.government is None:
        return None
    return Agency.command_center(route.government.id)


def category_government_defaults(category: Category) -> dict[int, int]:
    """{government id: agency id} of the governments that enabled the category with an OPD.

    `category_active` brings the map with the category's row; otherwise one query."""
    known = getattr(category, "government_map", None)
    if known is None:
        known = {g: [a, sla] for g, a, sla in GovernmentCategory.objects.filter(category=category, active=True)
                 .values_list("government_id", "agency_id", "sla_hours")}
        category.government_map = known
    return {int(g): v[0] for g, v in known.items() if v[0]}


def category_sla_hours(category: Category, government_id: int) -> int:
    """The SLA of the category in that government (its GovernmentCategory), else the category's."""
    entry = (getattr(category, "government_map", None) or {}).get(government_id)
    return (entry[1] if entry and entry[1] else None) or category.sla_hours


def locate(*, lon: float, lat: float, category: Category | None = None) -> tuple[Route, Agency | None]:
    route = route_point(lon=lon, lat=lat, category_slug=category.slug if category else "",
                        government_defaults=category_government_defaults(category) if category else None)
    agency = agency_for(route, category) if route.in_service_area else None
    return route, agency


def category_active(slug: str) -> Category | None:
    """The active category with this slug, or None.

    One plain statement instead of the ORM's `get()`: building and compiling that query costs
    more CPU than the lookup itself, and every create does it (0.85 ms vs 0.13 ms per lookup on
    this machine under load; the intake goal of docs/BENCHMARKS.md leaves ~14 ms per create).
    The same statement brings the category's map of governments ({government id: [agency id,
    SLA hours]}, from GovernmentCategory) for routing: `category_government_defaults`."""
    fields = Category._meta.concrete_fields
    columns = ", ".join("c." + connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns}, (SELECT json_object_agg(gc.government_id, json_build_array(gc.agency_id, gc.sla_hours))"
            f" FROM {GovernmentCategory._meta.db_table} gc WHERE gc.category_id = c.id AND gc.active)"
            f" FROM {Category._meta.db_table} c WHERE c.slug = %s AND c.active LIMIT 1", [slug])
        row = cursor.fetchone()
    if not row:
        return None
    category = Category.from_db(connection.alias, [f.attname for f in fields], row[:-1])
    category.government_map = {int(k): v for k, v in (row[-1] or {}).items()}
    return category


def tracking_code_clean(value) -> str | None:
    """The tracking code as stored (trimmed, upper case), or None when `value` cannot be one.

    Every face looks complaints up by code through this: a slash, a NUL, 1000 characters or
    any other odd input is "no such complaint" (404) before it reaches a URL reversal or the
    database (PostgreSQL refuses NUL in text: a 500)."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if TRACKING_CODE_RE.fullmatch(code) else None


# The rows a service's answer shows beside the complaint's own (areas, agency, crew, original).
COMPLAINT_RELATED = ("category", "agency", "kecamatan", "kelurahan", "crew", "duplicate_of")


def complaint_lock(complaint: Complaint | int) -> Complaint:
    """The complaint row read afresh and locked until the end of the transaction (`SELECT ...
    FOR UPDATE` of that row only), with its related rows: every change of a complaint starts
    here, so two changes of one complaint run one after the other."""
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    return Complaint.objects.select_for_update(of=("self",)).select_related(*COMPLAINT_RELATED).get(pk=pk)


def display_code(value, limit: int = 40) -> str:
    """An odd code as it may be echoed back in a message or a page: printable, and short."""
    return "".join(ch for ch in str(value or "")[:limit] if ch.isprintable())


# Public copies and thumbnails are stored under this prefix (Photo.public/thumb upload_to);
# originals under private/.
PUBLIC_MEDIA_PREFIX = "public/"
_MAX_MEDIA_NAME = 255


def public_photo_file(*, name: str) -> FieldFile | None:
    """The public copy or thumbnail stored under exactly `name`, or None; never an original."""
    if not name.startswith(PUBLIC_MEDIA_PREFIX) or len(name) > _MAX_MEDIA_NAME or "\x00" in name:
        return None  # PostgreSQL text cannot hold NUL: no record can match it anyway
    photo = (Photo.objects.filter(Q(public=name) | Q(thumb=name)).exclude(original=name)
             .only("public", "thumb").first())
    if photo is None:
        return None
    return photo.public if photo.public.name == name else photo.thumb


def public_complaints() -> QuerySet[Complaint]:
    return Complaint.objects.select_related("category", "kecamatan", "kelurahan", "agency").prefetch_related(
        Prefetch("photos", queryset=Photo.objects.order_by("id"))
    )


def complaint_get_public(tracking_code: str) -> Complaint | None:
    code = tracking_code_clean(tracking_code)
    return public_complaints().filter(tracking_code=code).first() if code else None


def public_events(complaint: Complaint) -> list[ComplaintEvent]:
    """The public timeline, oldest first (show notes through `event_public_note`)."""
    return list(complaint.events.public().order_by("id"))


def similar_nearby(*, lon: float, lat: float, category: Category, exclude_id: int | None = None, limit: int = 5):
    """Open complaints of the same category within 50 m from the last 30 days (duplicate hints)."""
    from boundaries.geo import make_point

    point = make_point(lon, lat)
    qs = (
        Complaint.objects.filter(
            category=category,
            status__in=OPEN_STATUSES,
            created_at__gte=timezone.now() - timedelta(days=DUPLICATE_WINDOW_DAYS),
            # A cheap indexed box in degrees (about 110 m), then the exact distance in meters.
            location__dwithin=(point, 0.001),
            location__distance_lte=(point, D(m=DUPLICATE_RADIUS_M)),
        )
        .annotate(distance=Distance("location", point))
        .order_by("distance")
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.select_related("category")[:limit])


# `similar_nearby` as one plain query returning only the tracking codes: the create response
# needs nothing else, and building the GIS queryset costs more CPU than the query itself
# (bench/intake.py, docs/BENCHMARKS.md). Same filters, same order (nearest first).
def similar_codes_array_sql(category_expr: str) -> str:
    """SQL for an ARRAY of the similar reports' codes, for `category_expr` at (%(lon)s, %(lat)s)."""
    pt = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
    return f"""ARRAY(
        SELECT c.tracking_code FROM fieldops_complaint c
         WHERE c.category_id = {category_expr}
           AND c.status = ANY(%(statuses)s)
           AND c.created_at >= %(since)s
           AND ST_DWithin(c.location, {pt}, 0.001)
           AND ST_DistanceSphere(c.location, {pt}) <= %(radius)s
           AND c.id <> %(exclude)s
         ORDER BY ST_DistanceSphere(c.location, {pt}), c.id
         LIMIT %(limit)s)"""


def similar_params(*, lon: float, lat: float, exclude_id: int | None = None, limit: int = 5) -> dict:
    return {
        "lon": lon, "lat": lat, "statuses": [str(s) for s in OPEN_STATUSES],
        "since": timezone.now() - timedelta(days=DUPLICATE_WINDOW_DAYS), "radius": float(DUPLICATE_RADIUS_M),
        "exclude": exclude_id or 0, "limit": limit,
    }




def similar_codes_expression(*, category_id: int, lon: float, lat: float) -> tuple[str, dict]:
    """The tracking codes of `similar_nearby`, nearest first, as one SQL expression and its
    parameters (an ARRAY), for a caller to evaluate in a statement it runs anyway."""
    return similar_codes_array_sql("%(similar_category)s"), {**similar_params(lon=lon, lat=lat),
                                                             "similar_category": category_id}
"""Reads for Open311: services and service requests in the GeoReport v2 shape.

Reporter contact (name, phone, email) is never part of a request record."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from common.errors import interpolate
from common.parsers import parse_when
from fieldops.models import Category, Complaint, ComplaintEvent, OPEN_STATUSES, Photo, Status
from fieldops.representation import ComplaintPublicSerializer
from fieldops.selectors import tracking_code_clean
from open311.services import ATTRIBUTES, Open311Error

MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
CLOSED_STATUSES = [Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.DUPLICATE]

ERR_DATE = gettext_lazy("%(field)s must be a W3C date-time such as 2010-01-01T00:00:00Z, not %(value)r.")
ERR_SPAN = gettext_lazy("start_date and end_date may not span more than 90 days.")
ERR_ORDER = gettext_lazy("end_date must not be before start_date.")
ERR_STATUS = gettext_lazy("status must be open, closed or both (comma-separated), not %(value)r.")


def w3(dt) -> str | None:
    return timezone.localtime(dt).isoformat(timespec="seconds") if dt else None


def services_categories(government=None):
    """The categories a government enabled (GovernmentCategory active); all active without one."""
    qs = Category.objects.filter(active=True)
    if government is not None:
        qs = qs.filter(governments__government=government, governments__active=True)
    return qs.order_by("order", "slug")


def services_list(lang: str | None = None, government=None) -> list[dict]:
    out = []
    for c in services_categories(government):
        out.append(
            {
                "service_code": c.slug,
                "service_name": c.name_for(lang),
                "description": c.description,
                "metadata": True,
                "type": "realtime",
                "keywords": ", ".join(dict.fromkeys([c.name_id, c.name_en, c.slug])),
                "group": "private" if c.is_private else "public",
            }
        )
    return out


def service_definition(code: str, government=None) -> dict | None:
    if "\x00" in code or not services_categories(government).filter(slug=code).exists():
        return None
    return {"service_code": code, "attributes": [dict(a) for a in ATTRIBUTES]}


def _when(value: str, field: str) -> datetime:
    try:
        return parse_when(value)
    except ValidationError:
        raise Open311Error(400, interpolate(ERR_DATE, field=field, value=value[:40])) from None


def _base_queryset():
    # The latest reason given to the reporter (fieldops.models' visibility rule for notes).
    last_note = (
        ComplaintEvent.objects.filter(complaint=OuterRef("pk")).with_public_note()
        .order_by("-id")
        .values("note")[:1]
    )
    return (
        Complaint.objects.select_related("category", "agency", "kecamatan", "kelurahan", "open311")
        # Area polygons are large and not part of a request record.
        .defer("kecamatan__geom", "kelurahan__geom", "agency__location")
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("id")))
        .annotate(status_notes=Subquery(last_note))
    )


def requests_search(params, government=None) -> list[Complaint]:
    """GET requests (of the jurisdiction's government): service_request_id overrides everything;
    else code/date/status filters, a span of at most 90 days (default the last 90), at most 1000
    results, newest first."""
    qs = _base_queryset()
    if government is not None:
        qs = qs.filter(government=government)
    ids = [i for i in (params.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        # An id that cannot be a tracking code matches nothing (and never reaches the database).
        codes = [code for code in map(tracking_code_clean, ids) if code]
        return list(qs.filter(tracking_code__in=codes).order_by("-created_at", "-id")[:MAX_RESULTS])
    codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
    if codes:
        qs = qs.filter(category__slug__in=codes)
    start_raw, end_raw = (params.get("start_date") or "").strip(), (params.get("end_date") or "").strip()
    start = _when(start_raw, "start_date") if start_raw else None
    end = _when(end_raw, "end_date") if end_raw else None
    if start and end:
        if end < start:
            raise Open311Error(400, ERR_ORDER)
        if end - start > MAX_SPAN:
            raise Open311Error(400, ERR_SPAN)
    elif start:
        end = start + MAX_SPAN
    elif end:
        start = end - MAX_SPAN
    else:
        end = timezone.now()
        start = end - MAX_SPAN
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    statuses = [s.strip().lower() for s in (params.get("status") or "").split(",") if s.strip()]
    if statuses:
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, interpolate(ERR_STATUS, value=params.get("status")[:40]))
        if set(statuses) == {"open"}:
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif set(statuses) == {"closed"}:
            qs = qs.filter(status__in=CLOSED_STATUSES)
    return list(qs.order_by("-created_at", "-id")[:MAX_RESULTS])


def request_get(code: str, government=None) -> Complaint | None:
    code = tracking_code_clean(code)
    if not code:
        return None
    qs = _base_queryset().filter(tracking_code=code)
    return (qs.filter(government=government) if government is not None else qs).first()


def open311_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def request_record(c: Complaint, *, lang: str | None = None, extensions: bool = False, build_url=None) -> dict:
    """One request in the GeoReport v2 field order, mapped from fieldops's public representation
    (fieldops.representation): no reporter name, phone or email; a private category has no place."""
    with translation.override(lang or translation.get_language()):
        public = ComplaintPublicSerializer(c, context={"photos": False}).data
    o311 = getattr(c, "open311", None)
    media = o311.media_url if o311 and o311.media_url else ""
    if not media:
        photos = [p for p in c.photos.all() if p.public]  # a copy the media job has made
        if photos:
            url = photos[0].public.url
            media = build_url(url) if build_url and url.startswith("/") else url
    point = public["location"]["coordinates"] if public["location"] else None
    closed = open311_status(c.status) == "closed"
    record = {
        "service_request_id": public["tracking_code"],
        "status": open311_status(c.status),
        "status_notes": getattr(c, "status_notes", None) or None,
        "service_name": public["category"]["name"],
        "service_code": public["category"]["slug"],
        "description": public["description"],
        "agency_responsible": public["agency"]["name"] if public["agency"] else None,
        "service_notice": None,
        "requested_datetime": w3(c.created_at),
        # For closed requests the spec wants the time it was closed.
        "updated_datetime": w3((c.closed_at or c.resolved_at or c.updated_at) if closed else c.updated_at),
        "expected_datetime": w3(c.due_at),
        "address": public["address"] or None,
        "address_id": None,
        "zipcode": None,
        "lat": point[1] if point else None,
        "long": point[0] if point else None,
        "media_url": media or None,
    }
    if extensions:
        kecamatan, kelurahan = public["kecamatan"] or {}, public["kelurahan"] or {}
        record["extended_attributes"] = {
            "status_detail": public["status"],
            "status_label": public["status_label"],
            "status_color": public["status_color"],
            "channel": public["channel"],
            "kecamatan": kecamatan.get("name"),
            "kecamatan_code": kecamatan.get("code"),
            "kelurahan": kelurahan.get("name"),
            "kelurahan_code": kelurahan.get("code"),
            "agency_code": public["agency"]["code"] if public["agency"] else None,
            "is_overdue": public["is_overdue"],
        }
    return record

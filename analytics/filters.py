"""The analytics filters (category, status, agency, kecamatan, created_after, created_before, bbox),
parsed once into SQL over the facts table (alias `f`). Same parameters and the same 400 messages
style as `fieldops.apis.filter_complaints`, plus unknown codes are refused instead of matching nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from rest_framework.exceptions import ValidationError

from boundaries.models import AdminArea, AreaLevel, Agency
from common.parsers import parse_when
from fieldops.models import Category, Status
from fieldops.text import control_chars_message, first_control_char

FILTER_NAMES = ("category", "status", "agency", "kecamatan", "created_after", "created_before", "bbox")

ERR_UNKNOWN = "Unknown {field} {value!r}."
ERR_BBOX = "Use bbox=min_lon,min_lat,max_lon,max_lat with four numbers within the globe."


@dataclass
class Filters:
    """SQL conditions over `analytics_complaintfact f` and their parameters."""

    where: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    # True when any filter other than a forced agency scope was given.
    any: bool = False
    bbox: tuple[float, float, float, float] | None = None

    def sql(self) -> str:
        return " AND ".join(self.where) if self.where else "TRUE"

    def key(self) -> str:
        return repr(sorted((k, str(v)) for k, v in self.params.items()))


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    try:
        x1, y1, x2, y2 = (float(v) for v in value.split(","))
    except ValueError:
        raise ValidationError({"bbox": [ERR_BBOX]}) from None
    if not (-180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90):
        raise ValidationError({"bbox": [ERR_BBOX]})
    return x1, y1, x2, y2


def parse_filters(params, *, agency_scope: int | None = None, allow_bbox: bool = True) -> Filters:
    """Turn query parameters into SQL over the facts; a bad value raises a 400 naming the field."""
    f = Filters()
    for name in FILTER_NAMES:
        char = first_control_char(params.get(name) or "")
        if char is not None:
            raise ValidationError({name: [control_chars_message(char)]})
    if params.get("category"):
        slugs = _csv(params["category"])
        ids = dict(Category.objects.filter(slug__in=slugs).values_list("slug", "id"))
        bad = [s for s in slugs if s not in ids]
        if bad:
            raise ValidationError({"category": [ERR_UNKNOWN.format(field="category", value=bad[0])]})
        f.where.append("f.category_id = ANY(%(category)s)")
        f.params["category"] = sorted(ids.values())
    if params.get("status"):
        wanted = _csv(params["status"])
        bad = [s for s in wanted if s not in Status.values]
        if bad:
            raise ValidationError({"status": [f"Unknown status {bad[0]!r}; use one of {', '.join(Status.values)}."]})
        f.where.append("f.status = ANY(%(status)s)")
        f.params["status"] = sorted(wanted)
    if params.get("agency"):
        codes = _csv(params["agency"])
        ids = dict(Agency.objects.filter(code__in=codes).values_list("code", "id"))
        bad = [c for c in codes if c not in ids]
        if bad:
            raise ValidationError({"agency": [ERR_UNKNOWN.format(field="agency", value=bad[0])]})
        f.where.append("f.agency_id = ANY(%(agency)s)")
        f.params["agency"] = sorted(ids.values())
    if params.get("kecamatan"):
        ids = []
        for value in _csv(params["kecamatan"]):
            qs = AdminArea.objects.filter(level=AreaLevel.KECAMATAN)
            # Codes are stable across boundary generations: match the code in every generation.
            qs = qs.filter(code=value) if value[:1].isdigit() else qs.filter(name__iexact=value)
            found = list(qs.values_list("id", flat=True))
            if not found:
                raise ValidationError({"kecamatan": [ERR_UNKNOWN.format(field="kecamatan", value=value)]})
            ids += found
        f.where.append("f.kecamatan_id = ANY(%(kecamatan)s)")
        f.params["kecamatan"] = sorted(ids)
    for name, op in (("created_after", ">="), ("created_before", "<")):
        if params.get(name):
            f.where.append(f"f.created_at {op} %({name})s")
            f.params[name] = parse_when(params[name].strip(), name)
    if allow_bbox and params.get("bbox"):
        f.bbox = parse_bbox(params["bbox"])
        f.where.append(
            "f.geom && ST_Transform(ST_MakeEnvelope(%(bx1)s, %(by1)s, %(bx2)s, %(by2)s, 4326), 3857)"
        )
        f.params.update(dict(zip(("bx1", "by1", "bx2", "by2"), f.bbox)))
    f.any = bool(f.where)
    if agency_scope is not None:
        f.where.append("f.agency_id = %(agency_scope)s")
        f.params["agency_scope"] = agency_scope
    return f

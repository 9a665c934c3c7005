"""The analytics filters (category, status, agency, kecamatan, created_after, created_before, bbox),
read by one DRF serializer and turned once into SQL over the facts table (alias `f`). The same
parameters and parsers as the complaint lists (fieldops.filters, common.parsers), except that
unknown codes are refused instead of matching nothing. Each endpoint's query serializer (its own
parameters on top of these) is in analytics.apis; the OpenAPI parameters come from them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from boundaries.models import AdminArea, AreaLevel, Agency, Government
from common.errors import interpolate
from common.parsers import BBoxField, CsvField, WhenField
from fieldops.filters import statuses_check
from fieldops.models import Category, Status

# The condition of a government scope (analytics.selectors.tile_sql recognises it).
GOVERNMENT_CONDITION = "f.agency_id = ANY(%(government_agencies)s)"

ERR_UNKNOWN = gettext_lazy("Unknown %(field)s %(value)r.")


@dataclass
class Filters:
    """SQL conditions over `analytics_complaintfact f` and their parameters."""

    where: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    # True when any filter other than a forced agency scope was given.
    any: bool = False
    bbox: tuple[float, float, float, float] | None = None
    # The governments of a government scope (its condition is on their agencies): the scoped
    # low-zoom tiles read the per-government tile counts with them. None: no government scope.
    governments: list[int] | None = None

    @property
    def only_governments(self) -> bool:
        """A government scope and no other filter: the counts kept per government (tile cells,
        hex cells) answer it."""
        return self.governments is not None and self.where == [GOVERNMENT_CONDITION]

    def sql(self) -> str:
        return " AND ".join(self.where) if self.where else "TRUE"

    def key(self) -> str:
        return repr(sorted((k, str(v)) for k, v in self.params.items()))


def _ids_by_code(model, codes: list[str], *, field_name: str, code_field: str = "code") -> list[int]:
    ids = dict(model.objects.filter(**{f"{code_field}__in": codes}).values_list(code_field, "id"))
    bad = [c for c in codes if c not in ids]
    if bad:
        raise serializers.ValidationError(interpolate(ERR_UNKNOWN, field=field_name, value=bad[0]))
    return sorted(ids.values())


class FilterQuery(serializers.Serializer):
    """The filters every analytics endpoint takes; each value is checked against what exists."""

    category = CsvField(required=False, help_text="Category slug(s), comma-separated")
    status = CsvField(required=False, help_text="Status(es), comma-separated: " + ", ".join(Status.values))
    agency = CsvField(required=False, help_text="Agency code(s), comma-separated")
    kecamatan = CsvField(required=False, help_text="Kecamatan code(s) or name(s), comma-separated")
    created_after = WhenField(required=False, help_text="ISO date or date-time (inclusive)")
    created_before = WhenField(required=False, help_text="ISO date or date-time (exclusive)")

    def validate_category(self, slugs):
        return _ids_by_code(Category, slugs, field_name="category", code_field="slug") if slugs else None

    def validate_status(self, wanted):
        return sorted(statuses_check(wanted)) if wanted else None

    def validate_agency(self, codes):
        """Agency codes are unique per government: a code names that agency in each government the
        user sees (`context["governments"]`, None for every government)."""
        if not codes:
            return None
        agencies = Agency.objects.filter(code__in=codes)
        governments = self.context.get("governments", frozenset())
        if governments is not None:
            agencies = agencies.filter(government__in=sorted(governments))
        found = list(agencies.values_list("code", "id"))
        bad = [c for c in codes if c not in {code for code, _ in found}]
        if bad:
            raise serializers.ValidationError(interpolate(ERR_UNKNOWN, field="agency", value=bad[0]))
        return sorted(pk for _, pk in found)

    def validate_kecamatan(self, values):
        ids: list[int] = []
        for value in values or []:
            qs = AdminArea.objects.filter(level=AreaLevel.KECAMATAN)
            # Codes are stable across boundary generations: match the code in every generation.
            qs = qs.filter(code=value) if value[:1].isdigit() else qs.filter(name__iexact=value)
            found = list(qs.values_list("id", flat=True))
            if not found:
                raise serializers.ValidationError(interpolate(ERR_UNKNOWN, field="kecamatan", value=value))
            ids += found
        return sorted(ids) if ids else None

    def filters(self, *, agency_scope: int | None = None, government_scope: frozenset[int] | None = None) -> Filters:
        """The SQL over the facts for these (valid) filters, within the user's agency if any and
        their governments (None: every government)."""
        data, f = self.validated_data, Filters()
        for name, column in (("category", "category_id"), ("status", "status"), ("agency", "agency_id"),
                             ("kecamatan", "kecamatan_id")):
            if data.get(name):
                f.where.append(f"f.{column} = ANY(%({name})s)")
                f.params[name] = data[name]
        for name, op in (("created_after", ">="), ("created_before", "<")):
            if data.get(name):
                f.where.append(f"f.created_at {op} %({name})s")
                f.params[name] = data[name]
        if data.get("bbox"):
            f.bbox = data["bbox"]
            f.where.append(
                "f.geom && ST_Transform(ST_MakeEnvelope(%(bx1)s, %(by1)s, %(bx2)s, %(by2)s, 4326), 3857)"
            )
            f.params.update(dict(zip(("bx1", "by1", "bx2", "by2"), f.bbox)))
        f.any = bool(f.where)
        if agency_scope is not None:
            f.where.append("f.agency_id = %(agency_scope)s")
            f.params["agency_scope"] = agency_scope
        agencies = government_agencies(government_scope)
        if agencies is not None:
            f.where.append(GOVERNMENT_CONDITION)
            f.params["government_agencies"] = agencies
            f.governments = sorted(government_scope)
        return f


def government_agencies(government_scope: frozenset[int] | None) -> list[int] | None:
    """The agencies of these governments, as the condition that scopes analytics to them; None
    when they are every government of the deployment (no condition: the unfiltered paths, such as
    the z18 tile counts, stay in use for a deployment of one government).

    A government is scoped by its agencies, not by the facts' government_id, because an agency
    belongs to one government and a complaint to its agency's government, and because every table
    analytics reads (the facts and the area rollup) has agency_id: the rollups keep answering."""
    if government_scope is None:
        return None
    wanted = set(government_scope)
    if wanted and wanted >= set(Government.objects.values_list("id", flat=True)):
        return None
    return sorted(Agency.objects.filter(government__in=sorted(wanted)).values_list("id", flat=True))


class BoxFilterQuery(FilterQuery):
    bbox = BBoxField(required=False, help_text="min_lon,min_lat,max_lon,max_lat")


FILTER_NAMES = tuple(BoxFilterQuery().fields)


def parse_filters(params, *, agency_scope: int | None = None, government_scope: frozenset[int] | None = None,
                  allow_bbox: bool = True) -> Filters:
    """Turn query parameters into SQL over the facts; a bad value raises a 400 naming the field."""
    query = (BoxFilterQuery if allow_bbox else FilterQuery)(data=params, context={"governments": government_scope})
    query.is_valid(raise_exception=True)
    return query.filters(agency_scope=agency_scope, government_scope=government_scope)

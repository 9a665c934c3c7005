"""The filters of the complaint lists (django-filter): the public list and the staff queue.

One FilterSet per audience. Bad values give a 400 naming the filter (django-filter's DRF
backend); the OpenAPI parameters are generated from these declarations. The only difference in
the shared filters is `bbox`: on the public list a private category's report counts at its
snapped point (fieldops.privacy), while the staff queue tests exact points, since every row there
is shown with its exact point anyway.
"""

from __future__ import annotations

import django_filters
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from boundaries.models import STORAGE_SRID
from common.parsers import BoolFilter, ParsedFilter, ParsedFormField, parse_bbox, parse_csv, parse_when
from fieldops import permissions, privacy
from fieldops.models import OPEN_STATUSES, Channel, Complaint, Status
from fieldops.ops_selectors import complaint_search
from fieldops.workflow import ERR_PRIORITY

ERR_STATUS = gettext_lazy("Unknown status %(value)r; use one of %(choices)s.")
ERR_CREW_FILTER = gettext_lazy("crew must be a crew id or 'none'.")
ERR_CHANNEL = gettext_lazy("Unknown channel %(value)r; use one of %(choices)s.")
ERR_SORT = gettext_lazy("Unknown order %(value)r; use one of %(choices)s.")

# The orders of the staff queue (`sort`): name -> the model fields, the last one unique, so a
# cursor names one row. A missing due time counts as the far future (last when soonest first).
STAFF_SORTS = {
    "due": ("due_at", "id"),
    "-due": ("-due_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
STAFF_SORT_DEFAULT = "due"


def statuses_check(wanted: list[str]) -> list[str]:
    """The statuses asked for, or a refusal naming the first unknown one."""
    bad = [s for s in wanted if s not in Status.values]
    if bad:
        raise ValidationError(ERR_STATUS, code="invalid_choice",
                              params={"value": bad[0], "choices": ", ".join(Status.values)})
    return wanted


def parse_statuses(value) -> list[str]:
    return statuses_check(parse_csv(value))


def parse_channels(value) -> list[str]:
    wanted = parse_csv(value)
    bad = [c for c in wanted if c not in Channel.values]
    if bad:
        raise ValidationError(ERR_CHANNEL, code="invalid_choice",
                              params={"value": bad[0], "choices": ", ".join(Channel.values)})
    return wanted


def parse_sort(value) -> str:
    """One of STAFF_SORTS's names (an empty `sort=` is refused, not read as the default)."""
    if value not in STAFF_SORTS:
        raise ValidationError(ERR_SORT, code="invalid_choice",
                              params={"value": value, "choices": ", ".join(STAFF_SORTS)})
    return value


def parse_crew(value) -> int | str:
    """A crew id, or 'none' for the complaints no crew has."""
    text = str(value).strip().lower()
    if text == "none":
        return text
    if text.isdigit():
        return int(text)
    raise ValidationError(ERR_CREW_FILTER, code="invalid")


def parse_priority(value) -> int:
    text = str(value).strip()
    if text not in ("1", "2", "3"):
        raise ValidationError(ERR_PRIORITY, code="invalid")
    return int(text)


class PriorityFilter(django_filters.NumberFilter):
    """1, 2 or 3 (documented as the integer it is)."""

    field_class = ParsedFormField


def _area_code_or_name(level: str):
    """A kecamatan or kelurahan by its code (it starts with a digit) or its name (any case)."""

    def filter_area(queryset, name, value):
        if value[:1].isdigit():
            return queryset.filter(**{f"{level}__code": value})
        return queryset.filter(**{f"{level}__name__iexact": value})

    return filter_area


class ComplaintFilter(django_filters.FilterSet):
    """The filters of the public complaint list (`GET /api/v1/complaints/`)."""

    bbox = ParsedFilter(parse=parse_bbox, method="filter_bbox",
                        help_text="min_lon,min_lat,max_lon,max_lat (public list: a private category's "
                                  "report counts at its 500 m Web Mercator grid node)")
    status = ParsedFilter(field_name="status", lookup_expr="in", parse=parse_statuses,
                          help_text="Comma-separated statuses: " + ", ".join(Status.values))
    category = ParsedFilter(field_name="category__slug", lookup_expr="in", parse=parse_csv,
                            help_text="Category slug(s), comma-separated")
    kecamatan = django_filters.CharFilter(method=_area_code_or_name("kecamatan"), help_text="Kecamatan code or name")
    kelurahan = django_filters.CharFilter(method=_area_code_or_name("kelurahan"), help_text="Kelurahan code or name")
    agency = django_filters.CharFilter(field_name="agency__code", help_text="Agency code")
    created_after = ParsedFilter(field_name="created_at", lookup_expr="gte", parse=parse_when,
                                 help_text="ISO date or date-time (inclusive)")
    created_before = ParsedFilter(field_name="created_at", lookup_expr="lt", parse=parse_when,
                                  help_text="ISO date or date-time (exclusive)")

    class Meta:
        model = Complaint
        fields: list[str] = []

    def filter_bbox(self, queryset, name, box):
        return privacy.complaints_in_box(queryset, box)


class StaffComplaintFilter(ComplaintFilter):
    """The staff queue (`GET /api/v1/ops/complaints/`): the public filters with exact points,
    plus channel, overdue, crew, priority, due-time ranges, the search `q` and the order `sort`
    (which the cursor pagination applies)."""

    overdue = BoolFilter(method="filter_overdue", blank_ok=False,
                         help_text="Only complaints past their due time and still open (or, false, the others)")
    crew = ParsedFilter(parse=parse_crew, method="filter_crew", help_text="Crew id, or 'none' for unassigned")
    priority = PriorityFilter(field_name="priority", parse=parse_priority, blank_ok=False,
                              help_text="1 high, 2 normal, 3 low")
    channel = ParsedFilter(field_name="channel", lookup_expr="in", parse=parse_channels,
                           help_text="Comma-separated channels: " + ", ".join(Channel.values))
    due_after = ParsedFilter(field_name="due_at", lookup_expr="gte", parse=parse_when,
                             help_text="ISO date or date-time (inclusive)")
    due_before = ParsedFilter(field_name="due_at", lookup_expr="lt", parse=parse_when,
                              help_text="ISO date or date-time (exclusive)")
    q = django_filters.CharFilter(method="filter_q", max_length=200,
                                  help_text="A tracking code (any case, with or without dashes), words of the "
                                            "description or of a staff note (whole words, all required), "
                                            "and for operators the reporter's phone or e-mail")
    sort = ParsedFilter(parse=parse_sort, method="filter_sort", blank_ok=False,
                        help_text="Order: " + ", ".join(STAFF_SORTS) + "; '-' in front for the latest first "
                                  "(default: due)")

    def filter_q(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        condition = complaint_search(value, contact=permissions.may_search_contact(user))
        return queryset.none() if condition is None else queryset.filter(condition)

    def filter_sort(self, queryset, name, value):
        return queryset  # the pagination orders by it (a cursor needs to know the order)

    def filter_bbox(self, queryset, name, box):
        polygon = Polygon.from_bbox(box)
        polygon.srid = STORAGE_SRID
        return queryset.filter(location__coveredby=polygon)

    def filter_overdue(self, queryset, name, overdue: bool):
        late = Q(due_at__lt=timezone.now(), status__in=OPEN_STATUSES)
        return queryset.filter(late) if overdue else queryset.exclude(late)

    def filter_crew(self, queryset, name, crew):
        return queryset.filter(crew__isnull=True) if crew == "none" else queryset.filter(crew_id=crew)


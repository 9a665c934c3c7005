"""The one parser for each kind of input every face shares: dates, bounding boxes, booleans and
points (and the control-character check of common.text). Each is a plain function raising Django's `ValidationError`, and
each is wrapped once as a DRF serializer field (request bodies and query serializers) and once
as a django-filter filter (list filters), so that a bad value is a 400 naming its field whichever
face it came through: DRF collects the errors per field, django-filter's backend turns a
FilterSet's form errors into the same `{"field": ["message"]}` body, and Open311 turns them into
its own `[{code, description}]`.
"""

from __future__ import annotations

import json
from functools import partial
import math
from datetime import datetime, timezone as dt_timezone

import django_filters
from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError

from common.text import control_chars_message, first_control_char

# Storage SRID of every geometry (boundaries.models.STORAGE_SRID; this floor sits below it).
WGS84 = 4326

# Messages quoting the input carry it as a parameter: django-filter and DRF %-format messages.
ERR_WHEN = gettext_lazy("Not a date or date-time: %(value)r (use YYYY-MM-DD or ISO 8601).")
ERR_WHEN_OR_MS = gettext_lazy("Not a date-time: %(value)r (use ISO 8601 or milliseconds since 1970).")
ERR_BBOX_FORMAT = gettext_lazy("Use bbox=min_lon,min_lat,max_lon,max_lat with four numbers.")
ERR_BBOX_RANGE = gettext_lazy("The box must be min_lon,min_lat,max_lon,max_lat within the globe.")
ERR_BOOL = gettext_lazy("Must be true or false.")
ERR_LAT_RANGE = gettext_lazy("Latitude must be a number between -90 and 90.")
ERR_LON_RANGE = gettext_lazy("Longitude must be a number between -180 and 180.")
ERR_LOCATION_FORMAT = gettext_lazy(
    'Give the location as a GeoJSON Point {"type": "Point", "coordinates": [lon, lat]} or as {"lat": ..., "lon": ...}.'
)
ERR_LOCATION_REQUIRED = gettext_lazy("The location is required.")
ERR_POSITIVE_INT = gettext_lazy("Must be a positive integer.")

# What a form, a query string, a CSV file or a JSON body may say for yes and no.
TRUE_WORDS = {"1", "true", "yes", "on", "y", "ya"}
FALSE_WORDS = {"0", "false", "no", "off", "n", "tidak"}


def check_control_chars(value: str) -> str:
    """`value` unchanged, or a ValidationError under the one text rule (common.text): PostgreSQL
    cannot even hold NUL, so a filter value with one is a 400, never a 500."""
    char = first_control_char(value)
    if char is not None:
        raise ValidationError(control_chars_message(char), code="control_characters")
    return value


# ---------------------------------------------------------------- the parsers


def parse_when(value, *, epoch_ms: bool = False) -> datetime:
    """An aware datetime from `YYYY-MM-DD` (midnight, local time) or ISO 8601; with `epoch_ms`,
    also from milliseconds since 1970 (what a browser's `Date.now()` gives)."""
    if isinstance(value, datetime):
        dt = value
    else:
        text = check_control_chars(str(value).strip())
        error = ValidationError(ERR_WHEN_OR_MS if epoch_ms else ERR_WHEN, code="invalid", params={"value": text[:40]})
        if epoch_ms and text.isdigit():
            try:
                return datetime.fromtimestamp(int(text) / 1000, tz=dt_timezone.utc)
            except (OverflowError, OSError, ValueError):
                raise error from None
        try:
            dt = parse_datetime(text)
            if dt is None and len(text) == 10:
                d = parse_date(text)
                dt = datetime(d.year, d.month, d.day) if d else None
        except ValueError:  # well-formed but impossible, e.g. month 13
            dt = None
        if dt is None:
            raise error
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


def parse_bbox(value) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) from `min_lon,min_lat,max_lon,max_lat`, inside the globe."""
    try:
        x1, y1, x2, y2 = (float(v) for v in check_control_chars(str(value)).split(","))
    except ValueError:
        raise ValidationError(ERR_BBOX_FORMAT, code="invalid") from None
    if not (-180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90):
        raise ValidationError(ERR_BBOX_RANGE, code="invalid")
    return x1, y1, x2, y2


def parse_bool(value) -> bool:
    """True or False from a JSON boolean or one of the words above; anything else is refused."""
    if isinstance(value, bool):
        return value
    text = check_control_chars(str(value if value is not None else "").strip().lower())
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(ERR_BOOL, code="invalid")


def _coordinate(value, *, low: float, high: float) -> float:
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("required" if value in (None, "") else "invalid")
    number = float(value)  # TypeError, ValueError
    if not math.isfinite(number) or not (low <= number <= high):
        raise ValueError("invalid")
    return number


def parse_lonlat(lon, lat) -> Point:
    """A 4326 point from a longitude and a latitude; errors name `lon` and `lat`."""
    errors = {}
    try:
        x = _coordinate(lon, low=-180, high=180)
    except (TypeError, ValueError):
        errors["lon"] = [ValidationError(ERR_LON_RANGE, code="invalid")]
    try:
        y = _coordinate(lat, low=-90, high=90)
    except (TypeError, ValueError):
        errors["lat"] = [ValidationError(ERR_LAT_RANGE, code="invalid")]
    if errors:
        raise ValidationError(errors)
    return Point(x, y, srid=WGS84)


def parse_location(value) -> Point:
    """A point from a GeoJSON Point, `{"lat", "lon"}` (or `lng`), or a JSON string of either.

    A shape error is about the location itself; a bad number names `lon` or `lat` inside it."""
    if value in (None, ""):
        raise ValidationError(ERR_LOCATION_REQUIRED, code="required")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationError(ERR_LOCATION_FORMAT, code="invalid") from None
    if not isinstance(value, dict):
        raise ValidationError(ERR_LOCATION_FORMAT, code="invalid")
    if "coordinates" in value or "type" in value:
        coords = value.get("coordinates")
        if value.get("type") != "Point" or not isinstance(coords, (list, tuple)) or len(coords) not in (2, 3):
            raise ValidationError(ERR_LOCATION_FORMAT, code="invalid")
        return parse_lonlat(coords[0], coords[1])
    if "lat" in value or "lon" in value or "lng" in value:
        return parse_lonlat(value.get("lon", value.get("lng")), value.get("lat"))
    raise ValidationError(ERR_LOCATION_FORMAT, code="invalid")


def parse_csv(value) -> list[str]:
    """The non-blank items of a comma-separated list."""
    return [v.strip() for v in check_control_chars(str(value)).split(",") if v.strip()]


def parse_named(field: str, parse, value, **kwargs):
    """`parse(value)` with its error filed under `field` (for a value read outside a serializer)."""
    try:
        return parse(value, **kwargs)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


# ---------------------------------------------------------------- DRF fields (bodies, query serializers)


class ParsedField(serializers.Field):
    """A serializer field whose value is read by one of the parsers above.

    A blank string counts as not given (its default, or None), as a form sends an empty input."""

    parse = staticmethod(lambda value: value)

    def validate_empty_values(self, data):
        if data == "" and not self.required:
            if self.default is not serializers.empty:
                return True, self.get_default()
            return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        return type(self).parse(data)

    def to_representation(self, value):
        return value


class BlankIsGiven:
    """Serializer field mixin for a query parameter whose empty value (`?level=`) is a bad value
    (a 400), not an absent one as DRF reads an empty form input."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, serializers.empty)


def _parsed_field(name: str, parse, schema_type, doc: str) -> type[ParsedField]:
    field_class = type(name, (ParsedField,), {"parse": staticmethod(parse), "__doc__": doc, "__module__": __name__})
    return extend_schema_field(schema_type)(field_class)


WhenField = _parsed_field("WhenField", parse_when, OpenApiTypes.STR, "A date or date-time (`parse_when`).")
WhenOrEpochMsField = _parsed_field("WhenOrEpochMsField", partial(parse_when, epoch_ms=True), OpenApiTypes.STR,
                                   "A date-time, or milliseconds since 1970 as a browser's Date.now() gives.")
BBoxField = _parsed_field("BBoxField", parse_bbox, OpenApiTypes.STR, "A bounding box (`parse_bbox`).")
BoolField = _parsed_field("BoolField", parse_bool, OpenApiTypes.BOOL, "A yes or no (`parse_bool`).")
CsvField = _parsed_field("CsvField", parse_csv, OpenApiTypes.STR, "A comma-separated list (`parse_csv`).")


@extend_schema_field(OpenApiTypes.ANY)
class LocationField(ParsedField):
    """A point (see `parse_location`); with `lat_lon=True` also from top-level `lat` and `lon`
    (what an HTML form or a multipart upload sends)."""

    parse = staticmethod(parse_location)

    def __init__(self, *, lat_lon: bool = False, **kwargs):
        self.lat_lon = lat_lon
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("required", ERR_LOCATION_REQUIRED)
        kwargs["error_messages"].setdefault("null", ERR_LOCATION_REQUIRED)
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if self.lat_lon and value in (serializers.empty, None, "") and hasattr(dictionary, "get"):
            lat, lon = dictionary.get("lat"), dictionary.get("lon")
            if lat not in (None, "") or lon not in (None, ""):
                return {"lat": lat, "lon": lon}
        return value

    def validate_empty_values(self, data):
        if data == "":
            self.fail("required")
        return super().validate_empty_values(data)


# ---------------------------------------------------------------- django-filter filters (list filters)


class ParsedFormField(forms.Field):
    """The form field behind the filters below: absent is no filter; `blank_ok=False` refuses
    a parameter given without a value (`?overdue=`) instead of ignoring it."""

    def __init__(self, *, parse, blank_ok: bool = True, **kwargs):
        self.parse, self.blank_ok = parse, blank_ok
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None or (value == "" and self.blank_ok):
            return None
        return self.parse(value)


class ParsedFilter(django_filters.CharFilter):
    """A filter whose value is read by one of the parsers (`parse=`); documented as a string."""

    field_class = ParsedFormField


class BoolFilter(django_filters.BooleanFilter):
    """true/false (and the other words of `parse_bool`); anything else is a 400, not ignored."""

    field_class = ParsedFormField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse", parse_bool)
        super().__init__(*args, **kwargs)


class PositivePages:
    """Pagination mixin: `page` and `page_size` are positive integers, or a 400 naming them."""

    def paginate_queryset(self, queryset, request, view=None):
        for name in (self.page_query_param, self.page_size_query_param):
            if any(not v.strip().isdigit() or int(v) < 1 for v in request.query_params.getlist(name)):
                raise ApiValidationError({name: [ERR_POSITIVE_INT]})
        return super().paginate_queryset(queryset, request, view)

"""Reports arriving from SP4N-LAPOR! (JSON, docs/LAPOR.md) become complaints through the same
`complaint_create`, channel "lapor", idempotent on LAPOR!'s id (Complaint.external_id).

`LaporReportIn` is the one reading of a report: the API refuses a batch with a bad report (400
naming it, integrations.apis.LaporImportIn), a file import lists the bad report in its errors and
goes on with the others."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from boundaries.selectors import locate_address
from common.api_errors import flat_errors
from common.errors import interpolate
from common.parsers import parse_lonlat
from fieldops.models import Category, Channel, Complaint
from fieldops.services import FieldError, complaint_create
from fieldops.text import strip_control_chars

ERR_NOT_A_LIST = gettext_lazy('The file must hold a JSON list of reports or {"reports": [...]}.')
ERR_NO_ID = gettext_lazy("report #%(index)s: 'id' is required")
ERR_INVALID = gettext_lazy("report #%(index)s: %(field)s: %(message)s")
ERR_NO_LOCATION = gettext_lazy("report %(id)s: no lat/lon and the address names no kelurahan or kecamatan of this city")
ERR_WRONG_TYPE = gettext_lazy("Wrong type for this field (see docs/LAPOR.md).")


class _Strict:
    """The JSON type the documented format allows, checked strictly (no "1" for a number)."""

    json_types: tuple = (str,)
    default_error_messages = {"wrong_type": ERR_WRONG_TYPE}

    def to_internal_value(self, data):
        if not isinstance(data, self.json_types) or (bool not in self.json_types and isinstance(data, bool)):
            self.fail("wrong_type")
        return super().to_internal_value(data)


class _Text(_Strict, serializers.CharField):
    """Another system's text has nobody to retype it: control characters are stripped, not refused
    (fieldops.text)."""

    def run_validation(self, data=serializers.empty):
        # Before the blank check: an id of nothing but control characters is no id.
        return super().run_validation(strip_control_chars(data) if isinstance(data, str) else data)


class _Number(_Strict, serializers.FloatField):
    json_types = (int, float)


class _Flag(_Strict, serializers.BooleanField):
    json_types = (bool,)


class _When(_Strict, serializers.DateTimeField):
    pass


class LaporReporterIn(serializers.Serializer):
    name = _Text(required=False, allow_blank=True, default="")
    phone = _Text(required=False, allow_blank=True, default="")
    email = _Text(required=False, allow_blank=True, default="")


class LaporReportIn(serializers.Serializer):
    """One report of a LAPOR! export (docs/LAPOR.md)."""

    id = _Text(help_text="LAPOR!'s id; a second import of it is skipped")
    content = _Text(required=False, allow_blank=True, default="")
    category = _Text(required=False, allow_blank=True, default="")
    lat = _Number(required=False)
    lon = _Number(required=False)
    address = _Text(required=False, allow_blank=True, default="")
    created_at = _When(required=False)
    anonymous = _Flag(required=False, default=False)
    reporter = LaporReporterIn(required=False)

    def validate(self, attrs):
        # Without both coordinates the address places the report (lapor_reports_import).
        if "lat" in attrs and "lon" in attrs:
            attrs["location"] = parse_lonlat(attrs["lon"], attrs["lat"])
        return attrs


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # LAPOR! ids already imported
    errors: list[str] = field(default_factory=list)


def _reports(data) -> list:
    if isinstance(data, dict) and isinstance(data.get("reports"), list):
        return data["reports"]
    if isinstance(data, list):
        return data
    raise ValueError(ERR_NOT_A_LIST)


def _category(slug: str) -> Category | None:
    """Our category of that slug, else "other" (LAPOR!'s categories are not ours)."""
    found = {c.slug: c for c in Category.objects.filter(slug__in=[slug, "other"], active=True)}
    return found.get(slug) or found.get("other")


def lapor_import(*, data) -> ImportResult:
    """Import a batch as read from a file; a report that does not read is listed in the errors."""
    valid, errors = [], []
    for index, item in enumerate(_reports(data), start=1):
        report = LaporReportIn(data=item)
        if report.is_valid():
            valid.append(report.validated_data)
            continue
        problems = flat_errors(report.errors)
        if "id" in problems or not isinstance(item, dict):
            errors.append(interpolate(ERR_NO_ID, index=index))
        else:
            name, messages = next(iter(problems.items()))
            errors.append(interpolate(ERR_INVALID, index=index, field=name, message=messages[0]))
    result = lapor_reports_import(reports=valid)
    result.errors[:0] = errors
    return result


def lapor_reports_import(*, reports: list[dict]) -> ImportResult:
    """Import reports read by `LaporReportIn`; each in its own transaction, so one bad report stops nothing else."""
    result = ImportResult()
    for report in reports:
        remote = report["id"][:90]
        external = f"lapor:{remote}"
        reporter = report.get("reporter") or {}
        try:
            with transaction.atomic():
                # Two importers (or the API and the command) never create the same report twice.
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [external])
                if Complaint.objects.filter(external_id=external).exists():
                    result.skipped.append(remote)
                    continue
                location = report.get("location")
                if location is None:
                    found = locate_address(report["address"]) if report["address"] else None
                    if found is None:
                        result.errors.append(interpolate(ERR_NO_LOCATION, id=remote))
                        continue
                    location = parse_lonlat(*found)
                category = _category(report["category"].strip())
                if category is None:
                    result.errors.append(f"report {remote}: category: unknown, and no category 'other'")
                    continue
                c = complaint_create(
                    category=category,
                    location=location,
                    description=report["content"],
                    address=report["address"],
                    channel=Channel.LAPOR,
                    reporter_name=reporter.get("name", ""),
                    reporter_phone=reporter.get("phone", ""),
                    reporter_email=reporter.get("email", ""),
                    is_anonymous=report["anonymous"],
                    external_id=external,
                    created_at=report.get("created_at"),
                ).complaint
                result.created.append(c.tracking_code)
        except FieldError as exc:
            result.errors.append(f"report {remote}: {exc.field}: {exc.message}")
    return result

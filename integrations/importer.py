"""Reports arriving from SP4N-LAPOR! (JSON, docs/LAPOR.md) become complaints through the same
`complaint_create`, channel "lapor", idempotent on LAPOR!'s id (Complaint.external_id)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from boundaries.selectors import locate_address
from fieldops.models import Category, Channel, Complaint
from fieldops.services import FieldError, complaint_create
from fieldops.text import strip_control_chars

ERR_NOT_A_LIST = 'The file must hold a JSON list of reports or {"reports": [...]}.'
ERR_NO_ID = "report #{index}: 'id' is required"
ERR_NO_LOCATION = "report {id}: no lat/lon and the address names no kelurahan or kecamatan of this city"


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


def _category(value: str) -> str:
    slug = (value or "").strip()
    if slug and Category.objects.filter(slug=slug, active=True).exists():
        return slug
    return "other" if Category.objects.filter(slug="other", active=True).exists() else slug


def lapor_import(*, data) -> ImportResult:
    """Import a batch; each report in its own transaction, so one bad report stops nothing else."""
    result = ImportResult()
    for index, item in enumerate(_reports(data), start=1):
        # Another system's text has nobody to retype it: control characters are stripped, not refused.
        remote = strip_control_chars(item.get("id") or "").strip()[:90] if isinstance(item, dict) else ""
        if not remote:
            result.errors.append(ERR_NO_ID.format(index=index))
            continue
        external = f"lapor:{remote}"
        reporter = item.get("reporter") if isinstance(item.get("reporter"), dict) else {}
        location = item.get("location") if isinstance(item.get("location"), dict) else {}
        lat = item.get("lat", location.get("lat"))
        lon = item.get("lon", location.get("lon"))
        address = strip_control_chars(item.get("address") or "")
        try:
            with transaction.atomic():
                # Two importers (or the API and the command) never create the same report twice.
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [external])
                if Complaint.objects.filter(external_id=external).exists():
                    result.skipped.append(remote)
                    continue
                if lat in (None, "") or lon in (None, ""):
                    found = locate_address(address) if address else None
                    if found is None:
                        result.errors.append(ERR_NO_LOCATION.format(id=remote))
                        continue
                    lon, lat = found
                try:
                    created_at = parse_datetime(str(item["created_at"])) if item.get("created_at") else None
                except ValueError:  # well-formed but impossible, e.g. month 13
                    created_at = None
                c = complaint_create(
                    category=_category(strip_control_chars(item.get("category") or "")),
                    lon=lon, lat=lat,
                    description=strip_control_chars(item.get("content") or item.get("description") or ""),
                    address=address,
                    channel=Channel.LAPOR,
                    reporter_name=strip_control_chars(reporter.get("name") or ""),
                    reporter_phone=strip_control_chars(reporter.get("phone") or ""),
                    reporter_email=strip_control_chars(reporter.get("email") or ""),
                    is_anonymous=bool(item.get("anonymous", False)),
                    external_id=external,
                    created_at=created_at,
                ).complaint
                result.created.append(c.tracking_code)
        except FieldError as exc:
            result.errors.append(f"report {remote}: {exc.field}: {exc.message}")
    return result

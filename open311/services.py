"""Writes for Open311: API keys and POST requests. A POSTed request (read by open311.views)
goes through the same `fieldops.services.complaint_create` as every other face; its FieldErrors
become Open311 errors ([{code, description}])."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from common.errors import interpolate
from boundaries.models import Government
from fieldops.models import Category, Channel, Complaint, GovernmentCategory
from fieldops.services import FieldError, complaint_create
from fieldops.text import control_chars_message, first_control_char, strip_control_chars
from open311.models import ApiClient, Open311Request

DEMO_API_KEY = "laksa-demo-open311"

ERR_API_KEY_MISSING = gettext_lazy("api_key is missing: POST requests need the api_key issued to your application.")
ERR_API_KEY_INVALID = gettext_lazy("Invalid api_key received -- can't proceed with create_request.")
ERR_API_KEY_GOVERNMENT = gettext_lazy(
    "This api_key is issued for %(issued)s; it may not post requests to %(jurisdiction)s.")
ERR_ATTRIBUTE_COUNT = gettext_lazy("attribute[...]: at most %(max)s attributes may be sent, this request has %(count)s.")
ERR_ATTRIBUTE_CODE = gettext_lazy("attribute[...]: an attribute code may be at most %(max)s characters.")
ERR_ATTRIBUTE_VALUES = gettext_lazy("attribute[%(code)s]: at most %(max)s values may be sent, this request has %(count)s.")
ERR_SERVICE_NOT_HERE = gettext_lazy("service_code %(code)r is not a service of %(government)s.")
ERR_OTHER_GOVERNMENT = gettext_lazy(
    "lat/long: the location (%(lat)s, %(long)s) is in %(found)s, not in %(government)s (jurisdiction_id)."
)
ERR_ATTRIBUTE_LONG = gettext_lazy("attribute[%(code)s]: a value may be at most %(max)s characters (one has %(length)s).")
# Attribute codes are short identifiers (the service definition's are under 20 characters).
ATTRIBUTE_CODE_MAX = 100

# The attributes every service accepts (GET services/{code} lists them).
ATTRIBUTES = [
    {
        "variable": True, "code": "accuracy_m", "datatype": "number", "required": False,
        "datatype_description": "Meters, e.g. 12.5", "order": 1,
        "description": "GPS accuracy of lat/long in meters, if the device reports it.", "values": [],
    },
    {
        "variable": True, "code": "anonymous", "datatype": "singlevaluelist", "required": False,
        "datatype_description": "", "order": 2,
        "description": "Hide the reporter's name from staff (contact stays private from the public either way).",
        "values": [{"key": "false", "name": "No"}, {"key": "true", "name": "Yes"}],
    },
]


class Open311Error(Exception):
    """An error in the Open311 sense: an HTTP status and a description."""

    def __init__(self, status: int, description: str, code: int | None = None):
        super().__init__(description)
        self.status = status
        self.code = code or status
        self.description = description


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_new() -> str:
    return secrets.token_urlsafe(24)


def api_client_create(*, name: str, key: str | None = None, contact_email: str = "",
                      government=None) -> tuple[ApiClient, str]:
    """Issue an api_key to a client application (for one government, or every one when None);
    returns the client and the raw key (shown once)."""
    key = key or api_key_new()
    client = ApiClient.objects.create(name=name, contact_email=contact_email, key_hash=hash_key(key), key_prefix=key[:8],
                                      government=government)
    return client, key


def demo_key_ensure() -> ApiClient | None:
    """In the local demo mode only: the well-known key `laksa-demo-open311`."""
    if not settings.DEMO_MODE:
        return None
    client = ApiClient.objects.filter(key_hash=hash_key(DEMO_API_KEY)).first()
    if client is None:
        client, _ = api_client_create(name="Demo client (local mode)", key=DEMO_API_KEY)
    return client


def api_key_check(key: str, government=None) -> ApiClient:
    """The active client owning this key, or a 403 Open311Error; a key issued for one government
    posts only to that government's jurisdiction."""
    key = (key or "").strip()
    if not key:
        raise Open311Error(403, ERR_API_KEY_MISSING)
    client = ApiClient.objects.filter(key_hash=hash_key(key), active=True).first()
    if client is None:
        raise Open311Error(403, ERR_API_KEY_INVALID)
    if client.government_id is not None and government is not None and client.government_id != government.pk:
        raise Open311Error(403, interpolate(ERR_API_KEY_GOVERNMENT, issued=client.government.name,
                                            jurisdiction=government.name))
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client


def attributes_bounded(raw: dict[str, list[str]]) -> None:
    """At most OPEN311_MAX_ATTRIBUTES attributes (and values of one), each value at most
    OPEN311_ATTRIBUTE_MAX_CHARS: a client cannot park megabytes in a complaint's attributes."""
    most, longest = settings.OPEN311_MAX_ATTRIBUTES, settings.OPEN311_ATTRIBUTE_MAX_CHARS
    if len(raw) > most:
        raise Open311Error(400, interpolate(ERR_ATTRIBUTE_COUNT, max=most, count=len(raw)))
    for code, values in raw.items():
        if len(code) > ATTRIBUTE_CODE_MAX:
            raise Open311Error(400, interpolate(ERR_ATTRIBUTE_CODE, max=ATTRIBUTE_CODE_MAX))
        if len(values) > most:
            raise Open311Error(400, interpolate(ERR_ATTRIBUTE_VALUES, code=code, max=most, count=len(values)))
        for value in values:
            if len(value) > longest:
                raise Open311Error(400, interpolate(ERR_ATTRIBUTE_LONG, code=code, max=longest, length=len(value)))


# Complaint fields named the Open311 way in error descriptions.
FIELD_NAMES = {"lon": "long", "lat": "lat", "category": "service_code", "location": "lat/long",
               "accuracy": "attribute[accuracy_m]", "address": "address_string", "reporter_name": "first_name/last_name",
               "reporter_phone": "phone", "reporter_email": "email"}


def open311_fields_check(data) -> None:
    """Every field (posted, attributes included, or in the query and path) passes the one text
    rule (fieldops.text): a control character is a 400 naming the Open311 field."""
    pairs = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
    for name, values in pairs:
        for text in (name, *values):
            char = first_control_char(str(text))
            if char is not None:
                field = strip_control_chars(str(name))[:100]
                raise Open311Error(400, f"{field}: {control_chars_message(char)}")


@dataclass
class PostResult:
    complaint: Complaint
    request: Open311Request
    service_notice: str


def open311_request_create(*, client: ApiClient, category: Category, location: Point, description: str,
                           government: Government | None = None,
                           address: str = "", accuracy_m: float | None = None, reporter_name: str = "",
                           reporter_phone: str = "", reporter_email: str = "", is_anonymous: bool = False,
                           account_id: str = "", device_id: str = "", media_url: str = "",
                           attributes: dict | None = None) -> PostResult:
    """Create a complaint from a read Open311 POST (open311.views), channel open311, and its request row.

    With a `government` (the jurisdiction), the category must be one it enabled (else 404, as an
    unknown service_code) and the pin must route into it (else 400 naming the location): the
    complaint is routed inside the transaction and nothing is kept when it lands elsewhere."""
    if government is not None and not GovernmentCategory.objects.filter(
            government=government, category=category, active=True).exists():
        raise Open311Error(404, interpolate(ERR_SERVICE_NOT_HERE, code=category.slug, government=government.name))
    try:
        with transaction.atomic():
            created = complaint_create(
                category=category,
                location=location,
                description=description,
                accuracy_m=accuracy_m,
                address=address,
                channel=Channel.OPEN311,
                reporter_name=reporter_name,
                reporter_phone=reporter_phone,
                reporter_email=reporter_email,
                is_anonymous=is_anonymous,
            )
            if government is not None and created.complaint.government_id != government.pk:
                # Rolls the complaint back (and the socket and LAPOR! reactions waiting for commit).
                raise Open311Error(400, interpolate(
                    ERR_OTHER_GOVERNMENT, lat=round(location.y, 6), long=round(location.x, 6),
                    found=Government.objects.filter(pk=created.complaint.government_id)
                    .values_list("name", flat=True).first() or "-",
                    government=government.name))
            req = Open311Request.objects.create(
                complaint=created.complaint,
                client=client,
                account_id=account_id[:100],
                device_id=device_id[:100],
                media_url=media_url[:500],
                attributes=attributes or {},
                token=secrets.token_hex(16),
            )
    except FieldError as exc:
        field = FIELD_NAMES.get(exc.field.split(".")[-1], exc.field)
        raise Open311Error(400, f"{field}: {exc.message}") from None
    c = created.complaint
    notice = (
        f"Received as {c.tracking_code}. {c.agency.name} handles it; expected within "
        f"{c.category.sla_hours} hours."
    )
    return PostResult(complaint=c, request=req, service_notice=notice)

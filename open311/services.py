"""Writes for Open311: API keys and POST requests. A POSTed request goes through the same
`fieldops.services.complaint_create` as every other face; its FieldErrors become Open311
errors ([{code, description}]) in the view."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone

from boundaries.selectors import locate_address
from fieldops.models import Channel, Complaint
from fieldops.services import FieldError, complaint_create
from fieldops.text import control_chars_message, first_control_char, strip_control_chars
from open311.models import ApiClient, Open311Request

DEMO_API_KEY = "laksa-demo-open311"

ERR_API_KEY_MISSING = "api_key is missing: POST requests need the api_key issued to your application."
ERR_API_KEY_INVALID = "Invalid api_key received -- can't proceed with create_request."
ERR_SERVICE_CODE_MISSING = "service_code was not provided."
ERR_SERVICE_CODE_UNKNOWN = "service_code {code!r} was not found."
ERR_LOCATION_MISSING = "A location is required: send lat and long, or address_string."
ERR_LAT_LONG_PAIR = "lat and long must both be sent."
ERR_ADDRESS_ID = "address_id is not supported here: send lat and long, or address_string."
ERR_ADDRESS_UNKNOWN = (
    "address_string {address!r} names no kelurahan or kecamatan of this city; send lat and long."
)
ERR_EMAIL = "email is not a valid email address."
ERR_MEDIA_URL = "media_url must be an http(s) URL."
ERR_ATTRIBUTE_NUMBER = "attribute[{code}] must be a number."
ERR_ATTRIBUTE_VALUE = "attribute[{code}] must be one of: {keys}."
ERR_ATTRIBUTE_COUNT = "attribute[...]: at most {max} attributes may be sent, this request has {count}."
ERR_ATTRIBUTE_CODE = "attribute[...]: an attribute code may be at most {max} characters."
ERR_ATTRIBUTE_VALUES = "attribute[{code}]: at most {max} values may be sent, this request has {count}."
ERR_ATTRIBUTE_LONG = "attribute[{code}]: a value may be at most {max} characters (one has {length})."
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


def api_client_create(*, name: str, key: str | None = None, contact_email: str = "") -> tuple[ApiClient, str]:
    """Issue an api_key to a client application; returns the client and the raw key (shown once)."""
    key = key or api_key_new()
    client = ApiClient.objects.create(name=name, contact_email=contact_email, key_hash=hash_key(key), key_prefix=key[:8])
    return client, key


def demo_key_ensure() -> ApiClient | None:
    """In the local demo mode only: the well-known key `laksa-demo-open311`."""
    if not settings.DEMO_MODE:
        return None
    client = ApiClient.objects.filter(key_hash=hash_key(DEMO_API_KEY)).first()
    if client is None:
        client, _ = api_client_create(name="Demo client (local mode)", key=DEMO_API_KEY)
    return client


def api_key_check(key: str) -> ApiClient:
    """The active client owning this key, or a 403 Open311Error."""
    key = (key or "").strip()
    if not key:
        raise Open311Error(403, ERR_API_KEY_MISSING)
    client = ApiClient.objects.filter(key_hash=hash_key(key), active=True).first()
    if client is None:
        raise Open311Error(403, ERR_API_KEY_INVALID)
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client


def _attributes_bounded(raw: dict[str, list[str]]) -> None:
    """At most OPEN311_MAX_ATTRIBUTES attributes (and values of one), each value at most
    OPEN311_ATTRIBUTE_MAX_CHARS: a client cannot park megabytes in a complaint's attributes."""
    most, longest = settings.OPEN311_MAX_ATTRIBUTES, settings.OPEN311_ATTRIBUTE_MAX_CHARS
    if len(raw) > most:
        raise Open311Error(400, ERR_ATTRIBUTE_COUNT.format(max=most, count=len(raw)))
    for code, values in raw.items():
        if len(code) > ATTRIBUTE_CODE_MAX:
            raise Open311Error(400, ERR_ATTRIBUTE_CODE.format(max=ATTRIBUTE_CODE_MAX))
        if len(values) > most:
            raise Open311Error(400, ERR_ATTRIBUTE_VALUES.format(code=code, max=most, count=len(values)))
        for value in values:
            if len(value) > longest:
                raise Open311Error(400, ERR_ATTRIBUTE_LONG.format(code=code, max=longest, length=len(value)))


def _attributes(raw: dict[str, list[str]]) -> dict:
    """Validate attribute[code] values of the known attributes; other codes are kept as sent."""
    _attributes_bounded(raw)
    out: dict = {}
    known = {a["code"]: a for a in ATTRIBUTES}
    for code, values in raw.items():
        spec = known.get(code)
        value = values if len(values) > 1 else values[0]
        if spec and spec["datatype"] == "number" and value not in ("", None):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise Open311Error(400, ERR_ATTRIBUTE_NUMBER.format(code=code)) from None
            if not math.isfinite(number):
                raise Open311Error(400, ERR_ATTRIBUTE_NUMBER.format(code=code))
            value = number
        elif spec and spec["datatype"] == "singlevaluelist" and value not in ("", None):
            keys = [v["key"] for v in spec["values"]]
            if value not in keys:
                raise Open311Error(400, ERR_ATTRIBUTE_VALUE.format(code=code, keys=", ".join(keys)))
        out[code] = value
    return out


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


def open311_request_create(*, client: ApiClient, data, attributes: dict[str, list[str]]) -> PostResult:
    """Create a complaint from Open311 POST fields (a QueryDict-like `data`), channel open311."""
    open311_fields_check(data)
    get = lambda k: (data.get(k) or "").strip()  # noqa: E731
    code = get("service_code")
    if not code:
        raise Open311Error(400, ERR_SERVICE_CODE_MISSING)
    from fieldops.models import Category

    if not Category.objects.filter(slug=code, active=True).exists():
        raise Open311Error(404, ERR_SERVICE_CODE_UNKNOWN.format(code=code))
    lat, lon, address = get("lat"), get("long"), get("address_string")
    if bool(lat) != bool(lon):
        raise Open311Error(400, ERR_LAT_LONG_PAIR)
    if not lat and not address:
        raise Open311Error(400, ERR_ADDRESS_ID if get("address_id") else ERR_LOCATION_MISSING)
    if not lat:
        found = locate_address(address)
        if found is None:
            raise Open311Error(400, ERR_ADDRESS_UNKNOWN.format(address=address[:100]))
        lon, lat = found
    email = get("email")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise Open311Error(400, ERR_EMAIL) from None
    media_url = get("media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, ERR_MEDIA_URL) from None
    attrs = _attributes(attributes)
    name = " ".join(part for part in (get("first_name"), get("last_name")) if part)
    try:
        with transaction.atomic():
            created = complaint_create(
                category=code,
                lon=lon,
                lat=lat,
                description=data.get("description") or "",
                accuracy_m=attrs.get("accuracy_m"),
                address=address,
                channel=Channel.OPEN311,
                reporter_name=name,
                reporter_phone=get("phone"),
                reporter_email=email,
                is_anonymous=attrs.get("anonymous") == "true",
            )
            req = Open311Request.objects.create(
                complaint=created.complaint,
                client=client,
                account_id=get("account_id")[:100],
                device_id=get("device_id")[:100],
                media_url=media_url[:500],
                attributes=attrs,
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

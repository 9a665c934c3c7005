"""The Open311 GeoReport v2 endpoints under /open311/v2/, in XML and JSON.

`jurisdiction_id` is a government of this deployment: its Kemendagri code (36.71 or 3671) or
one of its host names (boundaries.sites.government_for_jurisdiction). On a government's own
endpoint (its host, or the /<kode>/open311/v2/ path) it defaults to that government and may
name no other (404). On the shared endpoint of a deployment with several governments it is
required, as the spec says for multi-jurisdiction endpoints: missing is a 400, unknown a 404.
A deployment with one government serves it whether or not the id is sent. Services, requests
and tokens are those of the jurisdiction's government only.

Plain Django views (not DRF): the spec fixes the wire format, including the error array, and
other clients' CSRF-free form POSTs. A POSTed request is read by a DRF serializer like every
other face's input; its first problem becomes the Open311 error."""

from __future__ import annotations

import math
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.urls import get_script_prefix
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers
from rest_framework.settings import api_settings

from boundaries.selectors import locate_address
from boundaries.sites import government_for_jurisdiction, governments_active
from common.api_errors import flat_errors
from common.errors import interpolate
from common.parsers import parse_bool, parse_lonlat
from common.throttling import public_create_wait
from fieldops.apis import CategoryField
from open311 import selectors
from open311.render import error_response, respond
from open311.services import (
    ATTRIBUTES,
    FIELD_NAMES,
    Open311Error,
    api_key_check,
    attributes_bounded,
    open311_fields_check,
    open311_request_create,
)

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
ERR_NOT_FOUND = gettext_lazy("No such Open311 resource: %(path)s")
ERR_METHOD = gettext_lazy("Method %(method)s is not allowed here.")
ERR_JURISDICTION = gettext_lazy("jurisdiction_id %(value)r was not found; this endpoint serves %(expected)r.")
ERR_JURISDICTION_MISSING = gettext_lazy(
    "jurisdiction_id is required: this endpoint serves several governments (%(choices)s); send the code or host name of one."
)
ERR_JURISDICTION_UNKNOWN = gettext_lazy(
    "jurisdiction_id %(value)r was not found; this endpoint serves %(choices)s."
)
ERR_REQUEST_NOT_FOUND = gettext_lazy("service_request_id %(value)r was not found.")
ERR_TOKEN_NOT_FOUND = gettext_lazy("token %(value)r was not found.")
ERR_THROTTLED = gettext_lazy("Too many requests from this address or device_id; try again in %(seconds)s seconds.")
ATTRIBUTE_RE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
ERR_SERVICE_CODE_MISSING = gettext_lazy("service_code was not provided.")
ERR_SERVICE_CODE_UNKNOWN = gettext_lazy("service_code {value!r} was not found.")
ERR_LOCATION_MISSING = gettext_lazy("A location is required: send lat and long, or address_string.")
ERR_LAT_LONG_PAIR = gettext_lazy("lat and long must both be sent.")
ERR_ADDRESS_ID = gettext_lazy("address_id is not supported here: send lat and long, or address_string.")
ERR_ADDRESS_UNKNOWN = gettext_lazy(
    "address_string %(address)r names no kelurahan or kecamatan of this city; send lat and long."
)
ERR_EMAIL = gettext_lazy("email is not a valid email address.")
ERR_MEDIA_URL = gettext_lazy("media_url must be an http(s) URL.")
ERR_ATTRIBUTE_NUMBER = gettext_lazy("attribute[%(code)s] must be a number.")
ERR_ATTRIBUTE_VALUE = gettext_lazy("attribute[%(code)s] must be one of: %(keys)s.")


def _lang(request) -> str:
    return getattr(request, "open311_lang", None) or settings.LANGUAGE_CODE


def _flag(params, name: str) -> bool:
    """A boolean query parameter (absent or empty: false); anything unreadable is an Open311 400."""
    value = params.get(name) or ""
    try:
        return parse_bool(value) if value.strip() else False
    except ValidationError as exc:
        raise Open311Error(400, f"{name}: {exc.messages[0]}") from None


class Open311RequestIn(serializers.Serializer):
    """The form fields of a POSTed service request, read into `open311_request_create`'s arguments."""

    service_code = CategoryField(error_messages={"required": ERR_SERVICE_CODE_MISSING, "null": ERR_SERVICE_CODE_MISSING,
                                                 "does_not_exist": ERR_SERVICE_CODE_UNKNOWN,
                                                 "invalid": ERR_SERVICE_CODE_MISSING})
    lat = serializers.CharField(required=False, allow_blank=True, default="")
    long = serializers.CharField(required=False, allow_blank=True, default="")
    address_string = serializers.CharField(required=False, allow_blank=True, default="")
    address_id = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="", error_messages={"invalid": ERR_EMAIL})
    media_url = serializers.CharField(required=False, allow_blank=True, default="",
                                      validators=[URLValidator(schemes=["http", "https"], message=ERR_MEDIA_URL)])
    description = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    first_name = serializers.CharField(required=False, allow_blank=True, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    account_id = serializers.CharField(required=False, allow_blank=True, default="")
    device_id = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        lat, lon, address = attrs.pop("lat"), attrs.pop("long"), attrs.pop("address_string")
        address_id = attrs.pop("address_id")
        if bool(lat) != bool(lon):
            raise serializers.ValidationError(ERR_LAT_LONG_PAIR)
        if not lat and not address:
            raise serializers.ValidationError(ERR_ADDRESS_ID if address_id else ERR_LOCATION_MISSING)
        if lat:
            attrs["location"] = parse_lonlat(lon, lat)
        else:
            found = locate_address(address)
            if found is None:
                raise serializers.ValidationError({"address_string": [interpolate(ERR_ADDRESS_UNKNOWN, address=address[:100])]})
            attrs["location"] = parse_lonlat(*found)
        name = " ".join(part for part in (attrs.pop("first_name"), attrs.pop("last_name")) if part)
        return {"category": attrs.pop("service_code"), "address": address, "reporter_name": name,
                "reporter_phone": attrs.pop("phone"), "reporter_email": attrs.pop("email"), **attrs}


def _attributes(raw: dict[str, list[str]]) -> dict:
    """Validate attribute[code] values of the known attributes; other codes are kept as sent."""
    attributes_bounded(raw)
    out: dict = {}
    known = {a["code"]: a for a in ATTRIBUTES}
    for code, values in raw.items():
        spec = known.get(code)
        value = values if len(values) > 1 else values[0]
        if spec and spec["datatype"] == "number" and value not in ("", None):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise Open311Error(400, interpolate(ERR_ATTRIBUTE_NUMBER, code=code)) from None
            if not math.isfinite(number):
                raise Open311Error(400, interpolate(ERR_ATTRIBUTE_NUMBER, code=code))
            value = number
        elif spec and spec["datatype"] == "singlevaluelist" and value not in ("", None):
            keys = [v["key"] for v in spec["values"]]
            if value not in keys:
                raise Open311Error(400, interpolate(ERR_ATTRIBUTE_VALUE, code=code, keys=", ".join(keys)))
        out[code] = value
    return out


def request_post_read(post) -> dict:
    """The keyword arguments of `open311_request_create` from POST fields, or the first problem as an
    Open311Error (404 for an unknown service_code, else 400 naming the field the Open311 way)."""
    # The one text rule first (fieldops.text): a control character anywhere is a 400 naming the field.
    open311_fields_check(post)
    body = Open311RequestIn(data=post)
    if not body.is_valid():
        errors = flat_errors(body.errors)
        code = errors.get("service_code", [None])[0]
        if code is not None:
            raise Open311Error(404 if code.code == "does_not_exist" else 400, str(code))
        name, messages = next(iter(errors.items()))
        name, message = FIELD_NAMES.get(name, name), str(messages[0])
        # The messages written for Open311 say what is wrong in full; a field's own gets its name.
        plain = name == api_settings.NON_FIELD_ERRORS_KEY or message.startswith(name)
        raise Open311Error(400, message if plain else f"{name}: {message}")
    attributes: dict[str, list[str]] = {}
    for key in post.keys():
        m = ATTRIBUTE_RE.match(key)
        if m:
            attributes[m.group(1)] = post.getlist(key)
    attrs = _attributes(attributes)
    return {**body.validated_data, "accuracy_m": attrs.get("accuracy_m"),
            "is_anonymous": attrs.get("anonymous") == "true", "attributes": attrs}


def jurisdiction_government(request, value: str):
    """The government `jurisdiction_id` names on this endpoint, or the Open311Error (400 missing
    on a multi-jurisdiction endpoint, 404 unknown or another government's on a per-government one)."""
    governments = getattr(request, "governments", None)
    governments = governments_active() if governments is None else governments
    value = value[:253]
    own = getattr(request, "government", None) if getattr(request, "government_source", None) in ("host", "path") else None
    if own is None and len(governments) == 1:
        own = governments[0]  # one government: its endpoint, whatever the host
    if own is not None:
        if value and government_for_jurisdiction(value, governments) != own:
            expected = getattr(settings, "OPEN311_JURISDICTION_ID", "") or own.code
            raise Open311Error(404, interpolate(ERR_JURISDICTION, value=value[:100], expected=expected))
        return own
    choices = ", ".join(f"{g.code} ({g.name})" for g in governments) or "-"
    if not value:
        raise Open311Error(400, interpolate(ERR_JURISDICTION_MISSING, choices=choices))
    found = government_for_jurisdiction(value, governments)
    if found is None:
        raise Open311Error(404, interpolate(ERR_JURISDICTION_UNKNOWN, value=value[:100], choices=choices))
    return found


def open311_view(methods=("GET",), jurisdiction=True):
    """Method check, jurisdiction_id (request.open311_government), the text rule and
    Open311Error → error array, for every endpoint."""

    def wrap(fn):
        @csrf_exempt
        def view(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return error_response(fmt, 400, interpolate(ERR_METHOD, method=request.method))
            params = request.POST if request.method == "POST" else request.GET
            value = (params.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
            # Service names follow the request's language; error descriptions stay English.
            request.open311_lang = get_language() or settings.LANGUAGE_CODE
            try:
                with translation.override("en"):
                    open311_fields_check(request.GET)
                    open311_fields_check(kwargs)
                    if request.method == "POST":
                        open311_fields_check({"jurisdiction_id": value})
                    if jurisdiction:
                        request.open311_government = jurisdiction_government(request, value)
                    return fn(request, fmt, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.description, exc.code)

        return view

    return wrap


@open311_view(jurisdiction=False)
def discovery(request, fmt):
    # Under a government's /<kode>/ path its endpoint keeps the prefix (the request's script prefix).
    base = request.build_absolute_uri(f"{get_script_prefix()}open311/v2/")
    payload = {
        "changeset": selectors.w3(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)),
        "contact": getattr(settings, "OPEN311_CONTACT", "") or settings.DEFAULT_FROM_EMAIL,
        "key_service": getattr(settings, "OPEN311_KEY_SERVICE", "")
        or "Ask the city's command center for an api_key (issued per application in the admin).",
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": base,
                "changeset": selectors.w3(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)),
                "type": "production" if not settings.DEMO_MODE else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", payload)


@open311_view()
def services(request, fmt):
    return respond(fmt, "services", selectors.services_list(_lang(request), government=request.open311_government))


@open311_view()
def service_definition(request, fmt, code):
    definition = selectors.service_definition(code, government=request.open311_government)
    if definition is None:
        raise Open311Error(404, f"service_code {code!r} was not found.")
    return respond(fmt, "service_definition", definition)


@open311_view(methods=("GET", "POST"))
def requests_collection(request, fmt):
    if request.method == "POST":
        # The REST create's limits and counters (per address, per device_id), checked before
        # the api_key so that guessing keys is limited too.
        wait = public_create_wait(request)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            response = error_response(fmt, 429, interpolate(ERR_THROTTLED, seconds=seconds))
            response["Retry-After"] = str(seconds)
            return response
        client = api_key_check(request.POST.get("api_key", ""), government=request.open311_government)
        result = open311_request_create(client=client, government=request.open311_government,
                                        **request_post_read(request.POST))
        payload = [
            {
                "service_request_id": result.complaint.tracking_code,
                "service_notice": result.service_notice,
                "account_id": result.request.account_id or None,
            }
        ]
        return respond(fmt, "service_requests", payload)
    found = selectors.requests_search(request.GET, government=request.open311_government)
    ext = _flag(request.GET, "extensions")
    records = [selectors.request_record(c, lang=_lang(request), extensions=ext, build_url=request.build_absolute_uri)
               for c in found]
    return respond(fmt, "service_requests", records)


@open311_view()
def request_detail(request, fmt, request_id):
    c = selectors.request_get(request_id, government=request.open311_government)
    if c is None:
        raise Open311Error(404, interpolate(ERR_REQUEST_NOT_FOUND, value=request_id[:40]))
    ext = _flag(request.GET, "extensions")
    return respond(fmt, "service_requests", [
        selectors.request_record(c, lang=_lang(request), extensions=ext, build_url=request.build_absolute_uri)
    ])


@open311_view()
def token_detail(request, fmt, token):
    from open311.models import Open311Request

    # PostgreSQL text cannot hold NUL: such a token is simply unknown (404, not 500).
    req = (Open311Request.objects.select_related("complaint")
           .filter(token=token, complaint__government=request.open311_government).first()
           if "\x00" not in token else None)
    if req is None:
        raise Open311Error(404, interpolate(ERR_TOKEN_NOT_FOUND, value=token[:40]))
    return respond(fmt, "service_requests", [{"service_request_id": req.complaint.tracking_code, "token": req.token}])


@csrf_exempt
def not_found(request, path=""):
    fmt = "json" if path.endswith(".json") else "xml"
    return error_response(fmt, 404, interpolate(ERR_NOT_FOUND, path=request.path[:200]))

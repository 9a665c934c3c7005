"""The Open311 GeoReport v2 endpoints under /open311/v2/, in XML and JSON.

Plain Django views (not DRF): the spec fixes the wire format, including the error array, and
other clients' CSRF-free form POSTs."""

from __future__ import annotations

import math
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt

from common.throttling import public_create_wait
from open311 import selectors
from open311.render import error_response, respond
from open311.services import Open311Error, api_key_check, open311_fields_check, open311_request_create

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
ERR_NOT_FOUND = "No such Open311 resource: {path}"
ERR_METHOD = "Method {method} is not allowed here."
ERR_JURISDICTION = "jurisdiction_id {value!r} was not found; this endpoint serves {expected!r}."
ERR_REQUEST_NOT_FOUND = "service_request_id {value!r} was not found."
ERR_TOKEN_NOT_FOUND = "token {value!r} was not found."
ERR_THROTTLED = "Too many requests from this address or device_id; try again in {seconds} seconds."
ATTRIBUTE_RE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def _lang(request) -> str:
    return getattr(request, "open311_lang", None) or settings.LANGUAGE_CODE


def _truthy(value) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes"}


def open311_view(methods=("GET",)):
    """Method check, jurisdiction_id check, the text rule and Open311Error → error array, for every endpoint."""

    def wrap(fn):
        @csrf_exempt
        def view(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return error_response(fmt, 400, ERR_METHOD.format(method=request.method))
            params = request.POST if request.method == "POST" else request.GET
            jurisdiction = (params.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
            expected = getattr(settings, "OPEN311_JURISDICTION_ID", "")
            if jurisdiction and expected and jurisdiction != expected:
                return error_response(fmt, 404, ERR_JURISDICTION.format(value=jurisdiction[:100], expected=expected))
            # Service names follow the request's language; error descriptions stay English.
            request.open311_lang = get_language() or settings.LANGUAGE_CODE
            try:
                with translation.override("en"):
                    open311_fields_check(request.GET)
                    open311_fields_check(kwargs)
                    return fn(request, fmt, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.description, exc.code)

        return view

    return wrap


@open311_view()
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/")
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
    return respond(fmt, "services", selectors.services_list(_lang(request)))


@open311_view()
def service_definition(request, fmt, code):
    definition = selectors.service_definition(code)
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
            response = error_response(fmt, 429, ERR_THROTTLED.format(seconds=seconds))
            response["Retry-After"] = str(seconds)
            return response
        client = api_key_check(request.POST.get("api_key", ""))
        attributes: dict[str, list[str]] = {}
        for key in request.POST.keys():
            m = ATTRIBUTE_RE.match(key)
            if m:
                attributes[m.group(1)] = request.POST.getlist(key)
        result = open311_request_create(client=client, data=request.POST, attributes=attributes)
        payload = [
            {
                "service_request_id": result.complaint.tracking_code,
                "service_notice": result.service_notice,
                "account_id": result.request.account_id or None,
            }
        ]
        return respond(fmt, "service_requests", payload)
    found = selectors.requests_search(request.GET)
    ext = _truthy(request.GET.get("extensions"))
    records = [selectors.request_record(c, lang=_lang(request), extensions=ext, build_url=request.build_absolute_uri)
               for c in found]
    return respond(fmt, "service_requests", records)


@open311_view()
def request_detail(request, fmt, request_id):
    c = selectors.request_get(request_id)
    if c is None:
        raise Open311Error(404, ERR_REQUEST_NOT_FOUND.format(value=request_id[:40]))
    ext = _truthy(request.GET.get("extensions"))
    return respond(fmt, "service_requests", [
        selectors.request_record(c, lang=_lang(request), extensions=ext, build_url=request.build_absolute_uri)
    ])


@open311_view()
def token_detail(request, fmt, token):
    from open311.models import Open311Request

    # PostgreSQL text cannot hold NUL: such a token is simply unknown (404, not 500).
    req = Open311Request.objects.select_related("complaint").filter(token=token).first() if "\x00" not in token else None
    if req is None:
        raise Open311Error(404, ERR_TOKEN_NOT_FOUND.format(value=token[:40]))
    return respond(fmt, "service_requests", [{"service_request_id": req.complaint.tracking_code, "token": req.token}])


@csrf_exempt
def not_found(request, path=""):
    fmt = "json" if path.endswith(".json") else "xml"
    return error_response(fmt, 404, ERR_NOT_FOUND.format(path=request.path[:200]))

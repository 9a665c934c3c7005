"""Open311 output in XML and JSON. The JSON is the XML mapped by the Spark convention: a list
of records is a JSON array, a nested list keeps its plural name in XML (<values><value>…)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

from fieldops.text import xml_safe

# The element name of one item inside a plural element.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value) -> str:
    """Element text; characters XML 1.0 forbids are dropped, so a stored U+0001 (from before
    intake refused it, or written around the services) cannot make the feed ill-formed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_safe(str(value))


def _fill(parent: ET.Element, name: str, value) -> None:
    el = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for k, v in value.items():
            _fill(el, k, v)
    elif isinstance(value, list):
        child = SINGULAR.get(name, "item")
        for item in value:
            _fill(el, child, item)
    else:
        el.text = _text(value)


def to_xml(root: str, payload) -> bytes:
    """`payload` is a list (items of the root's singular name) or a dict (the root's children)."""
    el = ET.Element(root)
    if isinstance(payload, list):
        for item in payload:
            _fill(el, SINGULAR[root], item)
    else:
        for k, v in payload.items():
            _fill(el, k, v)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, encoding="utf-8", xml_declaration=False)


def respond(fmt: str, root: str, payload, status: int = 200) -> HttpResponse:
    """JSON through DjangoJSONEncoder, which reads lazy (translated) messages in the active language."""
    if fmt == "json":
        return HttpResponse(
            json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder), status=status, content_type="application/json; charset=utf-8"
        )
    return HttpResponse(to_xml(root, payload), status=status, content_type="text/xml; charset=utf-8")


def error_response(fmt: str, status: int, description: str, code: int | None = None) -> HttpResponse:
    return respond(fmt, "errors", [{"code": code or status, "description": description}], status=status)

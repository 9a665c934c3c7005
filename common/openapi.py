"""OpenAPI post-processing: document the error answers every endpoint can give.

Every operation may answer 400 (a field and its problem), 401/403 (not logged in / not
allowed), 404, 409 (a state conflict), 422 (an Idempotency-Key reused for another request),
429 (rate limit) and 503 (database unavailable), all as a JSON object; listing them keeps the
schema honest for clients and for schemathesis.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "`{\"detail\": \"...\"}` or `{\"<field>\": [\"<problem>\", ...]}`",
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: the body names each field and its problem.",
    "401": "Authentication required or invalid.",
    "403": "Not allowed for this account.",
    "404": "Not found.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflict with the current state (e.g. the complaint's status changed).",
    "415": "Unsupported media type.",
    "422": "The Idempotency-Key was already used by this client for another request; send a new key.",
    "429": "Too many requests; retry later.",
    "503": "The database is unavailable; nothing was saved; retry shortly.",
}


def add_error_responses(result, generator, request, public):
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
                )
    return result


def geojson_collection(description: str, *, properties: dict | None = None) -> dict:
    """The schema of a GeoJSON FeatureCollection whose features carry `properties`."""
    return {
        "type": "object",
        "description": description,
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                    "geometry": {"type": "object", "nullable": True,
                                 "description": "A GeoJSON geometry in WGS 84 (lon, lat)"},
                    "properties": {"type": "object", "properties": properties or {}, "additionalProperties": True},
                },
            }},
        },
        "additionalProperties": True,
    }

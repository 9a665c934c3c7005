"""`request.government`: the government (pemda) a request is for (boundaries.sites has the rules).

Order: the host name (`Government.hosts`), else a `/<kode>/` path prefix (`/36.71/...` or
`/3671/...`), else the default (settings `LAKSA_DEFAULT_GOVERNMENT`, else the only active
government), else None: the province landing page.

A path prefix is taken off `request.path_info`, so the same URLconf serves `/peta/` and
`/36.71/peta/`; the prefix becomes the script prefix of the request, so `reverse()` and
`{% url %}` give `/36.71/peta/` on that government's pages. `request.path` keeps what the
browser asked for. `request.government_source` says how it was found: "host", "path",
"default" or None (Open311 uses it: only an endpoint found by host or path is per-government).

Every request reads the active governments once (a handful of rows), except the few addresses
that are the same for every government and are fetched by tools without a database at hand
(`SHARED_PATHS`: the OpenAPI schema and docs, /favicon.ico, static files, the health check):
those get `request.government = None` without a query.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.urls import set_script_prefix

from boundaries.sites import (
    PATH_PREFIX_RE,
    default_government,
    government_by_code,
    government_by_host,
    governments_active,
)
from common.middleware import database_unavailable_answer


SHARED_PATHS = ("/api/schema/", "/api/docs/", "/favicon.ico", "/static/", "/health/")


class GovernmentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(SHARED_PATHS):
            request.government, request.government_source, request.governments = None, None, []
            return self.get_response(request)
        try:
            governments = governments_active()
        except DatabaseError as exc:  # PostgreSQL away: the fast 503, as for a view
            answer = database_unavailable_answer(exc)
            if answer is None:
                raise
            return answer
        government = government_by_host(governments, request.get_host())
        source = "host" if government is not None else None
        if government is None:
            m = PATH_PREFIX_RE.match(request.path_info)
            found = government_by_code(governments, f"{m.group(1)}.{m.group(2)}") if m else None
            if found is not None:
                government, source = found, "path"
                prefix = m.group(0)
                request.path_info = request.path_info[len(prefix):] or "/"
                # reverse() and {% url %} on this request give the prefixed paths.
                set_script_prefix(request.META.get("SCRIPT_NAME", "").rstrip("/") + prefix + "/")
        if government is None:
            government = default_government(governments)
            source = "default" if government is not None else None
        request.government = government
        request.government_source = source
        request.governments = governments
        return self.get_response(request)

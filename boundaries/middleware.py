"""`request.government`: the government (pemda) a request is for (boundaries.sites has the rules).

Order: the host name (`Government.hosts`), else a `/<kode>/` path prefix (`/36.71/...` or
`/3671/...`), else the default (settings `LAKSA_DEFAULT_GOVERNMENT`, else the only active
government), else None: the province landing page.

A path prefix is taken off `request.path_info`, so the same URLconf serves `/peta/` and
`/36.71/peta/`; the prefix becomes the script prefix of the request, so `reverse()` and
`{% url %}` give `/36.71/peta/` on that government's pages. `request.path` keeps what the
browser asked for. `request.government_source` says how it was found: "host", "path",
"default" or None (Open311 uses it: only an endpoint found by host or path is per-government).
"""

from __future__ import annotations

from django.urls import set_script_prefix

from boundaries.sites import PATH_PREFIX_RE, government_by_code, government_by_host, default_government, governments_active


class GovernmentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        governments = governments_active()
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

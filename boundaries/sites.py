"""Which government a request is for, and where each government's pages live.

A deployment serves one or more governments (pemda). A request names its government by the
host name (`Government.hosts`, e.g. laksa.tangerangkota.go.id) or, on a single host, by a
`/<kode>/` path prefix (`/36.71/` or `/3671/`); otherwise it is the deployment's default
(settings `LAKSA_DEFAULT_GOVERNMENT`, a code), else its only active government, else none
(the province landing page). `boundaries.middleware.GovernmentMiddleware` applies this to
every request; Open311 reads `jurisdiction_id` with the same rules (`government_for_jurisdiction`).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.gis.db.models import Extent

from boundaries.models import AdminArea, AreaLevel, BoundaryGeneration, Government

# "/36.71/..." or "/3671/...": a Kemendagri kab/kota code (province 2 digits, kab/kota 2 digits).
PATH_PREFIX_RE = re.compile(r"^/(\d{2})\.?(\d{2})(?=/|$)")
CODE_RE = re.compile(r"^(\d{2})\.?(\d{2})$")
HEX_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def code_normalize(text: str) -> str | None:
    """"36.71" for "36.71" or "3671"; None for anything that is not a kab/kota code."""
    m = CODE_RE.match((text or "").strip())
    return f"{m.group(1)}.{m.group(2)}" if m else None


def host_normalize(host: str) -> str:
    """The host name without port and trailing dot, lower case."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def governments_active() -> list[Government]:
    """The deployment's active governments (a handful of rows: one query, matched in Python)."""
    return list(Government.objects.filter(active=True).order_by("code"))


def government_by_host(governments: list[Government], host: str) -> Government | None:
    host = host_normalize(host)
    if not host:
        return None
    for government in governments:
        if host in (host_normalize(h) for h in government.hosts):
            return government
    return None


def government_by_code(governments: list[Government], code: str | None) -> Government | None:
    return next((g for g in governments if code and g.code == code), None)


def default_government(governments: list[Government]) -> Government | None:
    """settings.LAKSA_DEFAULT_GOVERNMENT (a code) if it is active, else the only active
    government, else None (a province deployment without a default: the province landing)."""
    code = code_normalize(getattr(settings, "LAKSA_DEFAULT_GOVERNMENT", "") or "")
    if code:
        found = government_by_code(governments, code)
        if found is not None:
            return found
    return governments[0] if len(governments) == 1 else None


def government_for_jurisdiction(value: str, governments: list[Government] | None = None) -> Government | None:
    """The active government an Open311 `jurisdiction_id` names: its code (36.71 or 3671) or one
    of its host names; settings.OPEN311_JURISDICTION_ID names the default government."""
    governments = governments_active() if governments is None else governments
    value = (value or "").strip()
    if not value:
        return None
    found = government_by_code(governments, code_normalize(value)) or government_by_host(governments, value)
    legacy = getattr(settings, "OPEN311_JURISDICTION_ID", "")
    if found is None and legacy and value == legacy:
        found = default_government(governments)
    return found


def government_path(government: Government) -> str:
    """The path prefix of a government's pages on a shared host: /36.71/."""
    return f"/{government.code}/"


def allowed_host(host: str) -> bool:
    allowed = [h.lower() for h in settings.ALLOWED_HOSTS]
    host = host_normalize(host)
    return "*" in allowed or host in allowed or any(a.startswith(".") and (host.endswith(a) or host == a[1:]) for a in allowed)


def government_url(government: Government, request=None) -> str:
    """Where a government's pages are: its own host when this deployment answers on it
    (listed in ALLOWED_HOSTS), else the `/<kode>/` path on the current host."""
    current = host_normalize(request.get_host()) if request is not None else ""
    for host in government.hosts:
        if host_normalize(host) == current:
            return "/"
    for host in government.hosts:
        if allowed_host(host):
            scheme = "https" if request is None or request.is_secure() else "http"
            return f"{scheme}://{host_normalize(host)}/"
    return government_path(government)


def governments_extent(governments: list[Government]) -> tuple[float, float, float, float] | None:
    """The box around the kab/kota areas of these governments (the province's served part)."""
    generation = BoundaryGeneration.current()
    if generation is None or not governments:
        return None
    box = AdminArea.objects.filter(generation=generation, level=AreaLevel.KOTA,
                                   code__in=[g.code for g in governments]).aggregate(box=Extent("geom"))["box"]
    return tuple(box) if box else None


def theme_colors(government: Government | None) -> dict | None:
    """The CSS colours of a government's pages (only well-formed #rrggbb values, so a stored
    value cannot break out of the style sheet); None: the stock colours."""
    if government is None:
        return None
    primary = government.color_primary if HEX_COLOR_RE.match(government.color_primary or "") else None
    accent = government.color_accent if HEX_COLOR_RE.match(government.color_accent or "") else None
    if primary is None and accent is None:
        return None
    dark = None
    if primary:
        r, g, b = (int(primary[i:i + 2], 16) for i in (1, 3, 5))
        dark = "#{:02x}{:02x}{:02x}".format(*(round(c * 0.7) for c in (r, g, b)))
    return {"primary": primary, "primary_dark": dark, "accent": accent}

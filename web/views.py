"""Server-rendered pages. Each page is a template plus small JS modules that talk to the
REST API and the sockets; the views only gather what the first paint needs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fieldops import selectors as fieldops_selectors
from fieldops.models import OPEN_STATUSES, Status, event_label, event_public_note, status_color
from fieldops.workflow import REOPEN_WINDOW_DAYS
from web import selectors
from web.jsstrings import js_strings, ops_strings, sigap_strings

# The static files the Tim Sigap page needs; the service worker caches them on install.
SIGAP_SHELL_STATIC = [
    "web/app.css",
    "web/base.js",
    "web/common.js",
    "web/idbstore.js",
    "web/outbox.js",
    "web/resumable.js",
    "web/sigap.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/tus/tus.min.js",  # the outbox sends videos in resumable pieces
    "web/icons/icon-192.png",
]


def _map_config(*, government=None, governments=None, **extra) -> dict:
    """The map's settings; `bounds` is the first view: the government's kab/kota area."""
    return {
        "bounds": selectors.map_bounds(government, governments),
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "kotaUrl": "/api/v1/boundaries/kota/?simplify=10",
        "kecamatanUrl": "/api/v1/boundaries/kecamatan/?simplify=10",
        "strings": js_strings(),
        **extra,
    }


def _base_context(request, **extra) -> dict:
    viewer = selectors.viewer_for(request.user)
    return {"viewer": viewer, **extra}


def _government(request):
    return getattr(request, "government", None)


def _staff_government(request, viewer):
    """The government a staff page is about: the user's own, else the one of the site."""
    return viewer.government or _government(request)


@require_GET
def citizen_page(request):
    """The citizen report page: pin, category, description, photo or video, contact. Without a
    government (a province deployment on its shared host), the province landing page."""
    government = _government(request)
    if government is None:
        return province_page(request)
    ctx = _base_context(
        request,
        categories=selectors.categories_active(government),
        config=_map_config(
            page="citizen", government=government,
            here={"code": government.code, "name": government.name},
            # For the border question: where each government's page is (its host or /<kode>/).
            governmentPages={g["code"]: g for g in selectors.governments_listing(request)},
        ),
        video_max_seconds=round(settings.VIDEO_MAX_SECONDS),
    )
    return render(request, "web/citizen.html", ctx)


@require_GET
def province_page(request):
    """The province landing page: a pin finds the government (GET /api/v1/locate/) and the
    citizen goes on to its page; with the list of governments."""
    governments = selectors.governments_listing(request)
    ctx = _base_context(
        request,
        governments=governments,
        config=_map_config(page="province", governments=getattr(request, "governments", None),
                           governmentList=governments, laporUrl="https://www.lapor.go.id/"),
        **selectors.site_face(None, getattr(request, "governments", None)),
    )
    return render(request, "web/province.html", ctx)


@never_cache
@login_required
def province_dashboard(request):
    """The governor's page: every kab/kota of the province coloured by its figures
    (GET /api/v1/analytics/areas/?level=kota), for the province role and the superuser."""
    viewer = selectors.viewer_for(request.user)
    if not selectors.sees_every_government(request.user):
        return render(request, "web/forbidden.html", {"viewer": viewer}, status=403)
    governments = selectors.governments_listing(request)
    ctx = {
        "viewer": viewer,
        "governments": governments,
        "config": _map_config(page="governor", governments=getattr(request, "governments", None),
                              areasUrl="/api/v1/analytics/areas/?level=kota", governmentList=governments),
        **selectors.site_face(None, getattr(request, "governments", None)),
    }
    return render(request, "web/governor.html", ctx)


@require_GET
def my_reports_page(request):
    """"Laporan saya": the reports sent from this browser. The list lives on the device (local
    storage, with each report's reporter token), so it needs no account; the page reads each
    report's public status and keeps it live, and offers the reopen action where it is allowed."""
    ctx = _base_context(request, config={
        "page": "mine",
        "strings": js_strings(),
        "reopenDays": REOPEN_WINDOW_DAYS,
        "reopenable": [Status.RESOLVED, Status.CLOSED],
    })
    return render(request, "web/mine.html", ctx)


@require_GET
def track_lookup(request):
    """The "follow your report" form: to the report's page, or straight to "not found" for
    something that cannot be a tracking code (a slash would not even make a page address)."""
    raw = request.GET.get("code") or ""
    if not raw.strip():
        return redirect("web-citizen")
    code = fieldops_selectors.tracking_code_clean(raw)
    if code is None:
        return _track_missing(request, raw)
    return redirect("web-track", code=code)


def _track_missing(request, raw: str):
    ctx = _base_context(request, code=fieldops_selectors.display_code(raw.strip().upper()))
    return render(request, "web/track_missing.html", ctx, status=404)


def _track_context(request, complaint) -> dict:
    photos = selectors.photos_by_kind(complaint)
    return {
        "complaint": complaint,
        "status_label": Status(complaint.status).label,
        "status_color": complaint.status_color,
        "category_name": complaint.category.name_for(request.LANGUAGE_CODE),
        "events": [
            {
                "id": e.pk,
                "at": e.at,
                "label": event_label(e),
                "status_label": (Status(e.to_status).label
                                 if e.to_status in Status.values and e.to_status != e.from_status else ""),
                "color": status_color(e.to_status),
                "note": event_public_note(e),
            }
            for e in fieldops_selectors.public_events(complaint)
        ],
        "photos": photos,
        "show_proof": complaint.status in (Status.RESOLVED, Status.CLOSED) and (photos["before"] or photos["after"]),
        "private_location": complaint.category.is_private,
    }


@require_GET
def track_page(request, code: str):
    """Status, timeline and proof photos of one report; the script keeps it live."""
    complaint = fieldops_selectors.complaint_get_public(code)
    if complaint is None:
        return _track_missing(request, code)
    # The complaint's government's face, whichever host or path the link was opened on.
    ctx = _base_context(request, **_track_context(request, complaint), **selectors.site_face(complaint.government))
    if request.GET.get("fragment"):
        return render(request, "web/_track_body.html", ctx)
    location = None
    if not complaint.category.is_private:
        location = [complaint.location.x, complaint.location.y]
    ctx["config"] = _map_config(
        government=complaint.government,
        page="track",
        code=complaint.tracking_code,
        status=complaint.status,
        location=location,
        lastEventId=selectors.last_event_id(complaint),
        reopenable=complaint.status in (Status.RESOLVED, Status.CLOSED),
    )
    return render(request, "web/track.html", ctx)


@require_GET
def public_map_page(request):
    government = _government(request)
    ctx = _base_context(
        request,
        categories=selectors.categories_active(government),
        statuses=list(Status),
        kecamatan=selectors.kecamatan_list(government),
        config=_map_config(page="map", government=government),
    )
    return render(request, "web/map.html", ctx)


@require_GET
def transparency_page(request):
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    per_page = 24
    items = selectors.transparency_items(limit=per_page + 1, offset=(page - 1) * per_page,
                                         government=_government(request))
    cards = []
    for c in items[:per_page]:
        photos = selectors.photos_by_kind(c)
        cards.append({
            "complaint": c,
            "category_name": c.category.name_for(request.LANGUAGE_CODE),
            "before": photos["before"][0] if photos["before"] else (photos["report"][0] if photos["report"] else None),
            "after": photos["after"][-1] if photos["after"] else None,
        })
    ctx = _base_context(request, cards=cards, page=page, has_next=len(items) > per_page)
    return render(request, "web/transparency.html", ctx)


@never_cache
@login_required
def crew_page(request):
    """Tim Sigap: the crew's open tickets, live, with offline-safe actions.

    It lives at /sigap/ on every host: the service worker that opens it offline controls /sigap/
    (sw.js, registered by sigap.js), and a member of a government's staff sees their own
    government's page (name, colours, map) whatever the host or path, so a /<kode>/sigap/ request
    (a link from a page reached by its /<kode>/ path) is sent there."""
    viewer = selectors.viewer_for(request.user)
    own = viewer.crew.agency.government if viewer.crew else viewer.government
    if own is not None and request.path != request.path_info:
        query = request.META.get("QUERY_STRING", "")
        path = request.META.get("SCRIPT_NAME", "").rstrip("/") + request.path_info
        return redirect(path + ("?" + query if query else ""))
    government = own or _staff_government(request, viewer)
    config = _map_config(
        government=government,
        page="sigap",
        crew={"id": viewer.crew.pk, "name": viewer.crew.name} if viewer.crew else None,
        ticketsUrl="/api/v1/ops/complaints/",
        swUrl="/sw.js",
        user=request.user.get_username(),
        lang=request.LANGUAGE_CODE,
        photoMaxDistanceM=round(settings.PHOTO_MAX_DISTANCE_M),
        sigap=sigap_strings(),
    )
    return render(request, "web/sigap.html", {"viewer": viewer, "config": config,
                                              **(selectors.site_face(government) if government is not None else {})})


@never_cache
@login_required
def ops_page(request):
    """The command center (Tangerang LIVE Room): live map, SLA queue, actions, figures."""
    viewer = selectors.viewer_for(request.user)
    if not viewer.is_staff_viewer:
        if viewer.crew is not None:
            return redirect("web-sigap")
        return render(request, "web/forbidden.html", {"viewer": viewer}, status=403)
    government = _staff_government(request, viewer)
    config = _map_config(
        government=government,
        page="ops",
        canAct=viewer.can_act,
        citywide=viewer.citywide,
        agency={"code": viewer.agency.code, "name": viewer.agency.name} if viewer.agency else None,
        queueUrl="/api/v1/ops/complaints/",
        statsUrl="/ops/stats/",
        live=viewer.has_live_stream,
        opsStrings=ops_strings(),
        openStatuses=[str(s) for s in OPEN_STATUSES],
    )
    ctx = {
        "viewer": viewer,
        "stats": selectors.ops_stats(viewer),
        "categories": selectors.categories_active(government),
        "choices": selectors.ops_filter_choices(viewer, government) if viewer.sees_rows else None,
        "config": config,
        **(selectors.site_face(government) if government is not None else {}),
    }
    return render(request, "web/ops.html", ctx)


@never_cache
@login_required
def ops_stats_fragment(request):
    viewer = selectors.viewer_for(request.user)
    if not viewer.is_staff_viewer:
        return HttpResponse(status=403)
    return render(request, "web/_ops_stats.html", {"viewer": viewer, "stats": selectors.ops_stats(viewer)})


@require_GET
def manifest(request):
    """Web app manifest so crews can add Tim Sigap to their home screen."""
    body = {
        "name": "LAKSA Tim Sigap",
        "short_name": "Tim Sigap",
        "description": _("Field tickets for Tim Sigap crews"),
        "start_url": "/sigap/",
        "scope": "/sigap/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b5cab",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("web/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("web/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("web/icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


def _shell_version(urls: list[str]) -> str:
    digest = hashlib.sha256()
    for name in SIGAP_SHELL_STATIC + ["web/sw.js", "web/push-sw.js"]:
        path = finders.find(name)
        if path:
            digest.update(name.encode())
            digest.update(Path(path).read_bytes())
    digest.update("|".join(urls).encode())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request):
    """The service worker, served from the root so it may control /sigap/."""
    path = finders.find("web/sw.js")
    if not path:
        raise Http404
    shell = [static(name) for name in SIGAP_SHELL_STATIC]
    config = {"version": _shell_version(shell), "shell": shell, "pages": ["/sigap/"],
              "icon": static("web/icons/icon-192.png")}  # hashed name: the unhashed one is not served
    body = "const LAKSA_SW = " + json.dumps(config) + ";\n" + Path(path).read_text(encoding="utf-8")
    push = finders.find("web/push-sw.js")  # Web Push: show the notification, open the ticket on tap
    if push:
        body += "\n" + Path(push).read_text(encoding="utf-8")
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response

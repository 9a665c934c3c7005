"""Odd tracking codes are 400/404 on every face, never 500, and anonymous visitors never see
Django's technical pages, even in local mode with DEBUG on (issue 13, finding "/lacak/?code=a/b
answers 500 with the technical debug page").
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from tests.conftest import make_complaint

pytestmark = pytest.mark.django_db

ODD_CODES = [
    "a/b", "a\\b", "..", "../../etc/passwd", " ", "LKS 0000", "lks-0000-0000\n", "\x00", "LKS-\x00", "%00",
    "ÄÖÜ-ß", "لاكسا", "😀😀😀😀", "A" * 1000, "<script>alert(1)</script>", "' OR 1=1 --", "\u202e", "\ufeffLKS",
]
# Markers of Django's technical 404/500 pages.
TECHNICAL = ["Traceback", "Django tried these URL patterns", "technical_500", "You're seeing this error because",
             "DEBUG = True", "Request Method:", "Exception Value"]


def _client(**kwargs) -> Client:
    # Report a 500 as a response (as a browser would see it) rather than re-raising it here.
    return Client(raise_request_exception=False, **kwargs)


def _assert_handled(label: str, response) -> None:
    assert response.status_code in (301, 302, 400, 404), (label, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    for marker in TECHNICAL:
        assert marker.encode() not in body, (label, marker)


def _operator() -> Client:
    from django.contrib.auth import get_user_model

    client = _client()
    client.force_login(get_user_model().objects.get(username="operator"))
    return client


@pytest.mark.parametrize("code", ODD_CODES, ids=range(len(ODD_CODES)))
def test_odd_codes_on_every_http_face_are_400_or_404(city, code):
    anon, operator = _client(), _operator()
    path = quote(code, safe="")
    lookup = anon.get("/lacak/?" + urlencode({"code": code}))
    _assert_handled("/lacak/?code=", lookup)
    if lookup.status_code == 302:  # a blank code goes back to the report page, others to their page
        assert lookup["Location"] == "/" or anon.get(lookup["Location"]).status_code == 404
    for url in [f"/lacak/{path}/", f"/lacak/{path}/?fragment=1", f"/api/v1/complaints/{path}/",
                f"/api/v1/complaints/{path}/events/", f"/open311/v2/requests/{path}.json",
                f"/open311/v2/requests/{path}.xml", f"/open311/v2/tokens/{path}.json",
                f"/open311/v2/services/{path}.xml",
                "/open311/v2/requests.json?" + urlencode({"service_request_id": code})]:
        response = anon.get(url)
        if url.startswith("/open311/v2/requests.json"):
            assert response.status_code in (200, 400), (url, response.status_code)
            continue
        _assert_handled(url, response)
    for url in [f"/api/v1/ops/complaints/{path}/", f"/api/v1/complaints/{path}/events/?view=staff"]:
        _assert_handled(url, operator.get(url))
    for url in [f"/api/v1/complaints/{path}/verify/", f"/api/v1/complaints/{path}/forward-lapor/"]:
        _assert_handled(url, operator.post(url, {}, content_type="application/json"))
    _assert_handled("photos", operator.post(f"/api/v1/complaints/{path}/photos/", {"kind": "report"}))
    _assert_handled("reopen", anon.post(f"/api/v1/complaints/{path}/reopen/", {"reporter_token": "x", "reason": "y"},
                                        content_type="application/json"))
    # A duplicate target with an odd code is refused like an unknown one.
    own = make_complaint().complaint
    response = operator.post(f"/api/v1/complaints/{own.tracking_code}/duplicate/", {"of": code},
                             content_type="application/json")
    _assert_handled("duplicate of", response)


def test_the_lookup_form_sends_a_well_formed_code_to_its_page(city):
    complaint = make_complaint().complaint
    anon = _client()
    r = anon.get("/lacak/?" + urlencode({"code": f"  {complaint.tracking_code.lower()} "}))
    assert r.status_code == 302 and r["Location"] == f"/lacak/{complaint.tracking_code}/"
    r = anon.get("/lacak/?code=a/b")
    assert r.status_code == 404
    assert "lk-form" in r.content.decode(), "the not-found page offers the lookup form again"


@pytest.mark.parametrize("code", ["a%2Fb", "a/b", "%00", quote("\x00"), "A" * 1000, quote("😀"), "%20", "LKS-0000-0000"])
def test_odd_codes_on_the_public_socket_are_refused_cleanly(city, code):
    """The socket accepts first (so a browser sees the close code) and closes 4404, never 500."""
    from laksa_gis.asgi import application
    from realtime.consumers import CLOSE_NOT_FOUND

    async def connect():
        comm = WebsocketCommunicator(application, f"/ws/complaints/{code}/",
                                     headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")])
        connected, _ = await comm.connect(timeout=5)
        assert connected
        while True:
            output = await comm.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                return output.get("code")

    assert async_to_sync(connect)() == CLOSE_NOT_FOUND


# ---------------------------------------------------------------- DEBUG on: no technical page for visitors


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def _boom(*args, **kwargs):
    raise RuntimeError("boom: a bug in a page")


def test_with_debug_anonymous_visitors_get_the_friendly_404(city, debug_on):
    anon = _client()
    for url in ["/no-such-page/", "/lacak/a%2Fb/", "/lacak/?code=a/b", "/lacak/%00/", "/lacak/LKS-0000-0000/",
                "/api/v1/no-such-endpoint/", "/open311/v2/nothing.json"]:
        response = anon.get(url)
        _assert_handled(url, response)
    page = anon.get("/no-such-page/")
    assert page.status_code == 404 and "LAKSA" in page.content.decode()


def test_with_debug_anonymous_visitors_get_the_friendly_500(city, debug_on, monkeypatch):
    from web import views

    complaint = make_complaint().complaint
    monkeypatch.setattr(views.selectors, "photos_by_kind", _boom)
    response = _client().get(f"/lacak/{complaint.tracking_code}/")
    assert response.status_code == 500
    body = response.content.decode()
    for marker in TECHNICAL + ["boom: a bug in a page", "RuntimeError"]:
        assert marker not in body, marker
    assert "LAKSA" in body
    # An API client gets the JSON error instead of an HTML page.
    monkeypatch.setattr("fieldops.selectors.complaint_get_public", _boom)
    api = _client().get(f"/api/v1/complaints/{complaint.tracking_code}/")
    assert api.status_code == 500 and api.json() == {"detail": "Internal error; it has been logged."}


def test_with_debug_developers_still_see_the_technical_pages(city, debug_on, monkeypatch):
    """Local mode keeps DEBUG for developers: a superuser gets Django's technical pages."""
    from django.contrib.auth import get_user_model

    from web import views

    admin = _client()
    admin.force_login(get_user_model().objects.get(username="admin"))
    assert b"Django tried these URL patterns" in admin.get("/no-such-page/").content
    complaint = make_complaint().complaint
    monkeypatch.setattr(views.selectors, "photos_by_kind", _boom)
    response = admin.get(f"/lacak/{complaint.tracking_code}/")
    assert response.status_code == 500 and b"boom: a bug in a page" in response.content

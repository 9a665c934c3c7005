"""Password guessing against the login surfaces (issue 13: "/admin/login/ has no login throttle",
"the browser login throttle is keyed on REMOTE_ADDR").

The three surfaces (admin login, browser login, API token) share one failure counter per client
address, and the client address is the one the proxies report (NUM_PROXIES, as DRF's throttles
read it), so a locked-out guesser cannot switch surface, and citizens behind one nginx do not
share a counter.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db

# The deployed limit (settings.AXES_FAILURE_LIMIT); 10 before django-axes was configured.
LIMIT = getattr(django_settings, "AXES_FAILURE_LIMIT", 10)
RIGHT = "laksa-demo"


def admin_login(client, password, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": "operator", "password": password}, **extra)


def browser_login(client, password, **extra):
    return client.post("/accounts/login/", {"username": "operator", "password": password}, **extra)


def token_login(api, password, **extra):
    return api.post("/api/v1/auth/token/", {"username": "operator", "password": password}, format="json", **extra)


def test_thirty_wrong_passwords_to_the_admin_login_lock_it_and_then_refuse_the_right_one(city, client):
    codes = [admin_login(client, f"tebakan-{i}").status_code for i in range(30)]
    # The form answers its error until the limit, then every answer is 429 ...
    assert codes[: LIMIT - 1] == [200] * (LIMIT - 1)
    assert codes[LIMIT - 1:] == [429] * (30 - LIMIT + 1)
    # ... and while locked, even the right password is refused: no session is opened.
    r = admin_login(client, RIGHT)
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_is_a_friendly_page_in_indonesian_first(city, client):
    for i in range(LIMIT):
        browser_login(client, f"salah-{i}")
    r = browser_login(client, RIGHT)
    assert r.status_code == 429
    page = r.content.decode()
    assert "Terlalu banyak percobaan masuk yang gagal" in page
    assert "<html" in page and "Traceback" not in page
    client.cookies["django_language"] = "en"  # the language switch
    r = browser_login(client, RIGHT)
    assert r.status_code == 429 and "Too many failed login attempts" in r.content.decode()


def test_one_counter_for_all_three_surfaces(city, client, api):
    half = LIMIT // 2
    for i in range(half):
        assert browser_login(client, f"salah-{i}").status_code == 200
    for i in range(LIMIT - half):
        assert token_login(api, f"salah-{i}").status_code in (400, 429)
    # Half the guesses on the browser form and half on the API: the admin login is locked too.
    r = admin_login(client, RIGHT)
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session
    # The API answers in the API's error format, in Bahasa Indonesia unless asked otherwise.
    api.defaults.pop("HTTP_ACCEPT_LANGUAGE", None)  # a client that names no language
    r = token_login(api, RIGHT)
    assert r.status_code == 429
    assert "token" not in r.json()
    assert "Terlalu banyak percobaan masuk yang gagal" in r.json()["detail"]
    r = token_login(api, RIGHT, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 429 and "Too many failed login attempts" in r.json()["detail"]


def test_behind_a_proxy_each_client_address_has_its_own_counter(city, client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    nginx = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy
    guesser = {**nginx, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    officer = {**nginx, "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    for i in range(LIMIT):
        browser_login(client, f"salah-{i}", **guesser)
    assert browser_login(client, RIGHT, **guesser).status_code == 429
    # The guesser cannot escape by naming another address: nginx appends the real one, and with
    # one proxy only the right-most entry is believed.
    spoofed = {**nginx, "HTTP_X_FORWARDED_FOR": "192.0.2.99, 203.0.113.7"}
    assert browser_login(client, RIGHT, **spoofed).status_code == 429
    # The officer behind the same nginx logs in, on the browser form and on the API.
    r = browser_login(client, RIGHT, **officer)
    assert r.status_code == 302 and client.session["_auth_user_id"]
    from rest_framework.test import APIClient

    r = token_login(APIClient(), RIGHT, **officer)
    assert r.status_code == 200 and r.json()["token"]


def test_the_lock_lifts_after_the_cool_off(city, client):
    for i in range(LIMIT):
        browser_login(client, f"salah-{i}")
    assert browser_login(client, RIGHT).status_code == 429
    from axes.models import AccessAttempt
    from django.utils import timezone

    # The cool-off has passed since the last failure.
    AccessAttempt.objects.update(attempt_time=timezone.now() - django_settings.AXES_COOLOFF_TIME)
    r = browser_login(client, RIGHT)
    assert r.status_code == 302 and client.session["_auth_user_id"]


def test_the_lockout_holds_under_the_asgi_server_too(city):
    """daphne runs the middleware chain asynchronously (django-axes' async path)."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def scenario():
        client = AsyncClient()
        codes = []
        for i in range(LIMIT + 1):
            r = await client.post("/admin/login/?next=/admin/", {"username": "operator", "password": f"x{i}"})
            codes.append(r.status_code)
        r = await client.post("/accounts/login/", {"username": "operator", "password": RIGHT})
        return codes, r.status_code, r.content.decode()

    codes, status, page = async_to_sync(scenario)()
    assert codes[-2:] == [429, 429] and codes[0] == 200
    assert status == 429 and "Terlalu banyak percobaan masuk yang gagal" in page

"""Helpers for realtime tests: both channel layers, socket clients with real authentication,
and events made through the real services."""

from __future__ import annotations

import json
import os
import uuid

import pytest

# Redis databases reserved for the realtime tests (1: consumer tests, 2: real servers, 3: bench).
REDIS_URL = os.environ.get("LAKSA_RT_REDIS_URL", "redis://127.0.0.1:6379/1")
TIMEOUT = 3


# Consumers read rows committed by other threads and processes, so these tests run in
# autocommit like the server does. Instead of flushing the database afterwards (and reloading
# the city, ~5 s a test) they delete what they created.
@pytest.fixture(scope="session")
def _rt_test_database(request, django_db_setup, django_db_blocker):
    """Make sure the test database exists even when no selected test uses pytest-django's db
    fixtures (pytest-django only sets up databases that marked tests ask for): these tests
    must never write to the development database."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME") or "test_" + connection.settings_dict["NAME"]
    if connection.settings_dict["NAME"] == test_name:
        yield
        return
    keepdb = bool(request.config.getvalue("reuse_db")) and not request.config.getvalue("create_db")
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, keepdb=keepdb, aliases={"default"})
    assert connection.settings_dict["NAME"] == test_name
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0)


@pytest.fixture
def committed_city(_rt_test_database, django_db_blocker):
    """The city data in autocommit mode; the complaints, events and tokens a test commits are removed."""
    from django.contrib.sessions.models import Session
    from fieldops.models import Complaint
    from rest_framework.authtoken.models import Token

    from tests.conftest import load_city

    with django_db_blocker.unblock():
        load_city()
        before = Complaint.objects.order_by("-id").values_list("id", flat=True).first() or 0
        tokens = set(Token.objects.values_list("key", flat=True))
        sessions = set(Session.objects.values_list("session_key", flat=True))
        yield
        Complaint.objects.filter(id__gt=before).delete()
        Token.objects.exclude(key__in=tokens).delete()
        Session.objects.exclude(session_key__in=sessions).delete()


def redis_layer_settings(url: str = REDIS_URL, **config) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A prefix per test: no flushing, no cross-talk with parallel runs.
            "CONFIG": {"hosts": [url], "prefix": f"rt-test-{uuid.uuid4().hex[:8]}", "group_expiry": 600, **config},
        }
    }


@pytest.fixture(params=["memory", "redis", "redis-pubsub"])
def layer(request, settings):
    """Run the test on the in-memory layer and on both channels-redis layers (CHANNEL_LAYER)."""
    if request.param == "redis":
        settings.CHANNEL_LAYERS = redis_layer_settings()
    elif request.param == "redis-pubsub":
        settings.CHANNEL_LAYERS = redis_layer_settings()
        settings.CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.pubsub.RedisPubSubChannelLayer"
    return request.param


def session_cookie(username: str) -> str:
    from django.test import Client

    client = Client()
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies["sessionid"].value


def token_for(username: str) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=get_user_model().objects.get(username=username))[0].key


def communicator(path: str, *, cookie: str | None = None):
    """A WebsocketCommunicator on the real ASGI application (origin check, session auth)."""
    from channels.testing import WebsocketCommunicator

    from laksa_gis.asgi import application

    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def open_socket(path: str, *, cookie: str | None = None, token: str | None = None, expect_hello: bool = True):
    comm = communicator(path, cookie=cookie)
    connected, _ = await comm.connect(timeout=TIMEOUT)
    assert connected
    if token is not None:
        await comm.send_json_to({"type": "auth", "token": token})
    if expect_hello:
        hello = await comm.receive_json_from(timeout=TIMEOUT)
        assert hello["type"] == "hello", hello
        comm.hello = hello
    return comm


async def receive_all(comm, *, quiet: float = 0.6) -> list[dict]:
    """Every message until the socket has been quiet for `quiet` seconds."""
    out = []
    while True:
        if await comm.receive_nothing(timeout=quiet):
            return out
        out.append(await comm.receive_json_from(timeout=TIMEOUT))


async def close_code(comm) -> int:
    """Wait for the server to close the socket; its close code (error messages skipped)."""
    while True:
        output = await comm.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return output.get("code")


def raw_messages(messages: list[dict]) -> str:
    return json.dumps(messages, ensure_ascii=False)


def crew(name: str):
    from fieldops.models import Crew

    return Crew.objects.get(name=name)


def user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def assign(complaint, crew_name: str, actor: str = "pupr"):
    """Dispatch through the real workflow service (one transaction, event on commit)."""
    from fieldops.workflow import complaint_assign

    return complaint_assign(complaint=complaint, crew=crew(crew_name), actor=user(actor))

"""The session store reads with a prepared statement and behaves as Django's database store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


@pytest.mark.django_db
def test_sessions_round_trip_expire_and_are_read_in_one_statement():
    from django.contrib.sessions.models import Session

    from laksa_gis.sessions import SessionStore

    store = SessionStore()
    store["complaint"] = "LKS-7Q2M"
    store.save()
    key = store.session_key
    loaded = SessionStore(key)
    loaded.load()  # the first read in this database session PREPAREs the statement
    with CaptureQueriesContext(connection) as queries:
        fresh = SessionStore(key)
        assert fresh["complaint"] == "LKS-7Q2M"
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["EXECUTE"]
    # An expired session reads as empty and loses its key, as with Django's own store.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    assert SessionStore("no-such-session-key-0000000000000").load() == {}


def test_signed_in_pages_use_it(client, city):
    from tests.conftest import login

    login(client, "operator")
    assert client.get("/api/v1/me/").json()["roles"] == ["operator"]
    assert client.session.__class__.__module__ == "laksa_gis.sessions"

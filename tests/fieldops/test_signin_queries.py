"""Signing in: the session's user comes with their roles and agency in one query (fieldops/auth.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.mark.parametrize("username", ["planner", "pupr"])
def test_signing_in_reads_user_roles_and_agency_in_one_query(city, username):
    """No further queries for the permission checks a request makes."""
    from django.contrib.auth import get_user_model

    from analytics.permissions import analytics_scope
    from fieldops.auth import StaffModelBackend
    from fieldops.permissions import user_agency, user_roles

    user_id = get_user_model().objects.get(username=username).pk
    with CaptureQueriesContext(connection) as queries:
        user = StaffModelBackend().get_user(user_id)
        roles, agency, scope = user_roles(user), user_agency(user), analytics_scope(user)
    # One statement (PREPAREd the first time a database session runs it).
    assert [q["sql"].split()[0] for q in queries.captured_queries if not q["sql"].startswith("PREPARE")] == ["EXECUTE"]
    with CaptureQueriesContext(connection) as queries:
        StaffModelBackend().get_user(user_id)
    assert len(queries.captured_queries) == 1
    assert roles == {"planner"} if username == "planner" else roles == {"agency_staff"}
    assert user.username == username and user.is_active and not user.is_superuser
    assert (agency is None) == (username == "planner")
    assert agency is None or agency.code == "dpupr"
    assert scope == (True, None if agency is None else agency.pk)


def test_switched_off_or_groupless_users(city):
    from django.contrib.auth import get_user_model

    from fieldops.auth import StaffModelBackend
    from fieldops.permissions import user_roles

    User = get_user_model()
    nobody = User.objects.create_user("tanpa-peran", password="x-123456789")
    assert user_roles(StaffModelBackend().get_user(nobody.pk)) == set()
    nobody.is_active = False
    nobody.save()
    assert StaffModelBackend().get_user(nobody.pk) is None
    assert StaffModelBackend().get_user(987654321) is None


def test_without_prepared_statements(city, settings):
    """Behind PgBouncer in transaction mode (DB_PREPARED_STATEMENTS off) the same SQL is sent plainly."""
    from django.contrib.auth import get_user_model

    from fieldops.auth import StaffModelBackend
    from fieldops.permissions import user_roles
    from laksa_gis.sessions import SessionStore

    settings.DB_PREPARED_STATEMENTS = False
    user_id = get_user_model().objects.get(username="operator").pk
    with CaptureQueriesContext(connection) as queries:
        assert user_roles(StaffModelBackend().get_user(user_id)) == {"operator"}
        store = SessionStore()
        store["k"] = "v"
        store.save()
        assert SessionStore(store.session_key)["k"] == "v"
    assert not any(q["sql"].startswith(("PREPARE", "EXECUTE")) for q in queries.captured_queries)

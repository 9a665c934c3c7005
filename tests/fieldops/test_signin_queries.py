"""Signing in with Django's own backend: a request's permission checks read roles and agency once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.mark.parametrize("username", ["planner", "pupr"])
def test_roles_and_agency_are_read_once_per_request(city, username):
    """Repeated permission checks on one user object make no further queries."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend

    from analytics.permissions import analytics_scope
    from fieldops.permissions import user_agency, user_roles

    user = ModelBackend().get_user(get_user_model().objects.get(username=username).pk)
    roles, agency, scope = user_roles(user), user_agency(user), analytics_scope(user)
    with CaptureQueriesContext(connection) as queries:
        assert (user_roles(user), user_agency(user), analytics_scope(user)) == (roles, agency, scope)
    assert queries.captured_queries == []
    assert roles == {"planner"} if username == "planner" else roles == {"agency_staff"}
    assert user.username == username and user.is_active and not user.is_superuser
    assert (agency is None) == (username == "planner")
    assert agency is None or agency.code == "dpupr"
    from boundaries.models import Government

    home = frozenset({Government.objects.get(code="36.71").pk})
    assert scope == (True, None if agency is None else agency.pk, home)


def test_switched_off_or_groupless_users(city):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend

    from fieldops.permissions import user_roles

    User = get_user_model()
    nobody = User.objects.create_user("tanpa-peran", password="x-123456789")
    assert user_roles(ModelBackend().get_user(nobody.pk)) == set()
    nobody.is_active = False
    nobody.save()
    assert ModelBackend().get_user(nobody.pk) is None
    assert ModelBackend().get_user(987654321) is None

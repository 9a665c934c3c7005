"""Schemathesis over every operation of /api/schema/: no 500 and no schema violation.

Runs in `make fuzz` (pytest -m fuzz), which CI runs after `make test`. About 1,000+ generated
cases: FUZZ_EXAMPLES per operation and per identity (anonymous and operator).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hsettings

from laksa_gis.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
# CI replays the same generated cases every run (no flaky red builds); FUZZ_RANDOM=1 explores
# new ones locally, e.g. `FUZZ_RANDOM=1 FUZZ_EXAMPLES=200 make fuzz`.
DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# A tus piece (PATCH /api/v1/uploads/{id}/) is raw bytes: send the generated body as they are.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


@pytest.fixture
def operator_token(city):
    from rest_framework.authtoken.models import Token
    from django.contrib.auth import get_user_model

    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username="operator"))
    return token.key


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test client: don't let request signals close the test's transaction."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttles(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "complaint_create": "100000/min", "complaint_create_device": "100000/min"}}
    settings.AXES_FAILURE_LIMIT = 100_000  # the fuzzer guesses passwords; the lockout has its own tests


@schema.parametrize()
@hsettings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
           suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
@pytest.mark.parametrize("identity", ["anonymous", "operator"])
def test_api_never_errors(case, identity, operator_token, request):
    # Uncompressed answers: the WSGI transport hands the fuzzer the raw body, and compression has
    # its own tests (tests/web/test_compression.py).
    headers = {"Accept-Encoding": "identity"}
    if identity == "operator":
        headers["Authorization"] = f"Token {operator_token}"
    # Every check but two: "positive data acceptance" (a schema-valid but unknown category or
    # a point outside the city is rightly a 400) and "ignored auth" (a garbage session cookie on
    # a public endpoint is rightly ignored).
    case.call_and_validate(headers=headers, excluded_checks=[
        schemathesis.checks.positive_data_acceptance, schemathesis.checks.ignored_auth])

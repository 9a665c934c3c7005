"""The header links follow the user's roles on every page, the analytics pages included."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def _client(username=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def test_statistics_link_for_everyone_dashboard_link_for_analytics_roles(city):
    anon = _client().get("/statistik/").content.decode()
    assert 'href="/statistik/"' in anon and 'href="/dasbor/"' not in anon
    planner = _client("planner").get("/statistik/").content.decode()
    assert 'href="/dasbor/"' in planner
    crew = _client("sigap1").get("/").content.decode()
    assert 'href="/dasbor/"' not in crew and 'href="/sigap/"' in crew


def test_dashboard_page_shows_the_staff_navigation(city):
    page = _client("operator").get("/dasbor/")
    assert page.status_code == 200
    assert 'href="/ops/"' in page.content.decode()

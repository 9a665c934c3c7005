"""Shared fixtures: the real Kota Tangerang reference data in a real PostGIS test database."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures" / "tangerang"
# Tangerang city hall, approximately (lon, lat): in kecamatan Tangerang.
CITY_HALL = (106.640, -6.178)
# A point well inside kecamatan Karawaci.
KARAWACI = (106.6100, -6.1830)
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def load_city():
    from boundaries.models import BoundaryGeneration
    from fieldops.citysetup import city_load_from_dir

    if not BoundaryGeneration.objects.exists():
        city_load_from_dir(FIXTURES_DIR, demo=True)


def collect_static() -> None:
    """The static files collected as `make run` and `make test` collect them (hashed and
    compressed; with DEBUG off a page naming a file missing from the manifest is an error).
    Runs collectstatic only when a source file is newer than the manifest (a bare pytest run)."""
    import subprocess
    import sys

    from django.contrib.staticfiles import finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        built = manifest.stat().st_mtime
        newest = max((Path(storage.path(path)).stat().st_mtime
                      for finder in finders.get_finders() for path, storage in finder.list(["CVS", ".*", "*~"])),
                     default=0)
        if newest <= built:
            return
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=settings.BASE_DIR,
                   check=True, stdout=subprocess.DEVNULL)


def pytest_sessionstart(session):
    # Before collection: test modules may call static() at import, and the storage reads the
    # manifest once.
    import django

    django.setup()
    collect_static()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.test import override_settings

    from django.db import connection

    # pytest-django sets up the test database only when a collected test asks for it; when none
    # does (browser tests alone), this connection still points at the development database,
    # which must not be touched (tests/browser/conftest.py's e2e_database sets up its own).
    name, test_name = connection.settings_dict["NAME"], (connection.settings_dict.get("TEST") or {}).get("NAME")
    if not (name == test_name if test_name else name.startswith("test_")):
        return
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        load_city()


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"complaint_create": "100000/min", "complaint_create_device": "100000/min",
                                   "public_search": "100000/min"},
    }
    # DRF's throttle class keeps the rates it read at import; a test that changed them must not
    # leave them to the next one (DRF reloads api_settings on setting_changed, not this copy).
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture
def city(db):
    """The Tangerang data (reloaded when a transactional test flushed it)."""
    load_city()


@pytest.fixture
def api():
    """An API client that asks for English, as a developer's script would (the API honours
    Accept-Language; its Indonesian answers are tested with explicit headers)."""
    from rest_framework.test import APIClient

    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def login(client, username: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    client.force_authenticate(user=user) if hasattr(client, "force_authenticate") else client.force_login(user)
    return user


def jpeg_bytes(size=(64, 48), color=(200, 30, 30), exif=None) -> bytes:
    from PIL import Image

    img = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif is not None:
        img.save(out, format="JPEG", exif=exif)
    else:
        img.save(out, format="JPEG")
    return out.getvalue()


def make_complaint(*, lonlat=CITY_HALL, category="roads", description="Jalan berlubang besar", **kwargs):
    """A complaint through the one intake service; `category` by slug or as a Category."""
    from django.contrib.gis.geos import Point

    from fieldops.models import Category
    from fieldops.services import complaint_create

    if isinstance(category, str):
        category = Category.objects.get(slug=category, active=True)
    return complaint_create(category=category, location=Point(*lonlat, srid=4326), description=description, **kwargs)

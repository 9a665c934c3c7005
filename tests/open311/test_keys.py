"""Open311 api keys: hashed at rest, the demo key only in the local demo mode."""

import pytest
from django.core.management import call_command

from open311.models import ApiClient
from open311.services import DEMO_API_KEY, Open311Error, api_client_create, api_key_check, demo_key_ensure, hash_key

pytestmark = pytest.mark.django_db


def test_keys_are_stored_only_as_hashes(city):
    client, raw = api_client_create(name="FixMyStreet Tangerang")
    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.key_hash == hash_key(raw) and raw not in (stored.key_hash, stored.key_prefix, str(stored))
    assert api_key_check(raw).pk == client.pk
    with pytest.raises(Open311Error) as err:
        api_key_check(raw[:-1] + ("y" if raw.endswith("x") else "x"))  # another key, whatever raw ends with
    assert err.value.status == 403


def test_load_city_fixtures_creates_the_demo_key_in_demo_mode(city, settings):
    call_command("load_city_fixtures")
    assert api_key_check(DEMO_API_KEY).name.startswith("Demo")
    call_command("load_city_fixtures")  # idempotent
    assert ApiClient.objects.filter(key_hash=hash_key(DEMO_API_KEY)).count() == 1


def test_no_demo_key_outside_demo_mode(city, settings):
    settings.DEMO_MODE = False
    assert demo_key_ensure() is None
    with pytest.raises(Open311Error):
        api_key_check(DEMO_API_KEY)

"""The intake's prepared statement: prepared once per database session, prepared again after a
reconnect, and plain SQL when turned off (for poolers that share sessions)."""

import pytest
from django.db import connection

from fieldops.services import complaint_create
from tests.conftest import CITY_HALL, KARAWACI

NAME = "laksa_intake_category"


def _prepared_here() -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM pg_prepared_statements WHERE name = %s", [NAME])
        return [r[0] for r in cur.fetchall()]


def _create(lon_lat, text="Lubang besar di jalan"):
    return complaint_create(category="roads", lon=lon_lat[0], lat=lon_lat[1], description=text)


@pytest.mark.django_db(transaction=True)
def test_prepared_once_per_session_and_again_after_a_reconnect(city):
    first = _create(CITY_HALL)
    assert _prepared_here() == [NAME]
    # Same category, same spot: the prepared statement finds the first report as a duplicate hint.
    second = _create(CITY_HALL, "Jalan berlubang lagi")
    assert second.similar_nearby == [first.complaint.tracking_code]

    connection.close()  # a new session: the old statement is gone with it
    third = _create(CITY_HALL, "Masih berlubang")
    assert _prepared_here() == [NAME]
    # Equal distances (the same spot): the older report first.
    assert third.similar_nearby == [first.complaint.tracking_code, second.complaint.tracking_code]
    assert third.complaint.kecamatan.name == "Tangerang"


@pytest.mark.django_db(transaction=True)
def test_turned_off_sends_plain_sql(city, settings):
    settings.DB_PREPARED_STATEMENTS = False
    connection.close()
    created = _create(KARAWACI)
    assert created.complaint.kecamatan.name == "Karawaci"
    assert _prepared_here() == []


@pytest.mark.django_db
def test_unknown_category_is_still_a_field_error(city):
    from fieldops.services import FieldError

    with pytest.raises(FieldError) as err:
        complaint_create(category="no-such-thing", lon=CITY_HALL[0], lat=CITY_HALL[1], description="x")
    assert err.value.field == "category"

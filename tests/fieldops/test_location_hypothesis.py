"""Property tests: coordinate and GeoJSON parsing accepts exactly the valid points."""

import json
import math

from hypothesis import given, settings as hsettings, strategies as st
from rest_framework.exceptions import ValidationError

from common.api_errors import flat_errors
from fieldops.apis import ComplaintCreateInput

anything = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def parse_location(data):
    """The location of a create body as the create endpoint reads it: (lon, lat), or the errors
    named the way the API answers them (`location`, `location.lon`, `location.lat`)."""
    body = ComplaintCreateInput(data=data, partial=True)
    if not body.is_valid():
        raise ValidationError(flat_errors(body.errors))
    point = body.validated_data["location"]
    return point.x, point.y


@hsettings(max_examples=300, deadline=None)
@given(lon=st.floats(-180, 180), lat=st.floats(-90, 90))
def test_valid_points_round_trip_in_every_accepted_shape(lon, lat):
    for data in (
        {"location": {"type": "Point", "coordinates": [lon, lat]}},
        {"location": {"lat": lat, "lon": lon}},
        {"location": json.dumps({"type": "Point", "coordinates": [lon, lat]})},
        {"lat": str(lat), "lon": str(lon)},
    ):
        assert parse_location(data) == (lon, lat)


@hsettings(max_examples=300, deadline=None)
@given(lon=st.floats(allow_nan=True, allow_infinity=True), lat=st.floats(allow_nan=True, allow_infinity=True))
def test_out_of_range_or_non_finite_numbers_name_the_coordinate(lon, lat):
    valid = math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
    try:
        result = parse_location({"location": {"type": "Point", "coordinates": [lon, lat]}})
    except ValidationError as exc:
        assert not valid
        assert exc.detail and set(exc.detail) <= {"location.lon", "location.lat"}
        assert all(messages and messages[0] for messages in exc.detail.values())
    else:
        assert valid and result == (lon, lat)


@hsettings(max_examples=500, deadline=None)
@given(location=anything)
def test_arbitrary_json_never_crashes(location):
    try:
        lon, lat = parse_location({"location": location})
    except ValidationError as exc:
        assert exc.detail and all(name.startswith("location") for name in exc.detail)
    else:
        assert -180 <= lon <= 180 and -90 <= lat <= 90

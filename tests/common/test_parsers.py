"""The one parser per kind of input (common.parsers), and the faces that use them."""

import json

import pytest
from django.core.exceptions import ValidationError

from common.parsers import parse_bbox, parse_bool, parse_location, parse_when
from common.text import control_chars_message, first_control_char

pytestmark = pytest.mark.django_db


def test_dates_dates_with_time_and_milliseconds_are_aware_and_impossible_dates_are_refused():
    assert parse_when("2026-11-01").isoformat().startswith("2026-11-01T00:00:00")
    assert parse_when("2026-11-01T08:00:00+07:00").utcoffset().total_seconds() == 7 * 3600
    assert parse_when("1767225600000", epoch_ms=True).year == 2026
    for bad in ("yesterday", "2026-13-45", "2026-13-45T00:00:00", "50%", "2026-01-01\x00"):
        with pytest.raises(ValidationError):
            parse_when(bad)
    with pytest.raises(ValidationError):
        parse_when("1767225600000")  # milliseconds only where the face allows them


def test_boxes_booleans_and_points():
    assert parse_bbox("106.6,-6.2,106.7,-6.1") == (106.6, -6.2, 106.7, -6.1)
    for bad in ("1,2,3", "a,b,c,d", "10,0,5,1", "0,0,nan,1", "-181,0,0,1"):
        with pytest.raises(ValidationError):
            parse_bbox(bad)
    assert [parse_bool(v) for v in (True, "true", "1", "Ya", "no", "0", False)] == [True, True, True, True, False, False, False]
    with pytest.raises(ValidationError):
        parse_bool("maybe")
    point = parse_location(json.dumps({"type": "Point", "coordinates": [106.64, -6.178]}))
    assert (point.x, point.y, point.srid) == (106.64, -6.178, 4326)
    with pytest.raises(ValidationError) as exc:
        parse_location({"lat": 95, "lon": 106.6})
    assert set(exc.value.message_dict) == {"lat"}


def test_the_public_list_refuses_nul_with_a_400_naming_the_filter(city, api):
    for param in ("category", "kecamatan", "agency", "status", "bbox", "created_after"):
        r = api.get("/api/v1/complaints/", {param: "a\x00b"})
        assert r.status_code == 400 and r.json() == {param: [control_chars_message("U+0000")]}, (param, r.content)


def test_the_shared_parsers_refuse_control_characters_by_the_one_rule():
    for bad in ("a\x00b", "a\x1bb", "a\x85b"):
        for parse in (parse_bbox, parse_bool, parse_when):
            with pytest.raises(ValidationError) as exc:
                parse(bad)
            assert exc.value.messages == [control_chars_message(first_control_char(bad))]


def test_the_list_parameters_in_the_schema_come_from_the_filtersets(city, api):
    schema = api.get("/api/schema/?format=json").json()
    public = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/complaints/"]["get"]["parameters"]}
    staff = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/ops/complaints/"]["get"]["parameters"]}
    filters = {"bbox", "status", "category", "kecamatan", "kelurahan", "agency", "created_after", "created_before"}
    assert filters | {"page", "page_size"} <= set(public)
    assert filters | {"overdue", "crew", "priority", "q", "cursor", "page_size", "sort"} <= set(staff)
    assert staff["overdue"]["type"] == "boolean" and staff["priority"]["type"] == "integer"
    assert "overdue" not in public


def test_a_lapor_batch_names_the_report_and_field_at_fault(city, api):
    from tests.conftest import login

    login(api, "operator")
    r = api.post("/api/v1/integrations/lapor/import/", data=json.dumps({"reports": [{"id": "x"}, {"id": "y", "lat": "1"}]}),
                 content_type="application/json")
    assert r.status_code == 400 and list(r.json()) == ["reports[1].lat"]

"""One way out (issue 14): one complaint read through the REST detail, the staff and public
socket messages and Open311 agrees on every field they share, and the public faces carry no
reporter contact."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async as db
from rest_framework.test import APIClient

from tests.conftest import login, make_complaint
from tests.realtime.conftest import assign, open_socket, receive_all, token_for

pytestmark = [pytest.mark.timeout(60)]

REPORTER = dict(reporter_name="Siti Rahayu", reporter_phone="+6281234567890", reporter_email="siti.rahayu@example.id")
CONTACT_VALUES = ("Siti Rahayu", "6281234567890", "siti.rahayu@example.id")
# The fields every representation of a complaint shares, by their names in fieldops.representation.
SHARED = ["tracking_code", "status", "status_label", "status_color", "category", "description", "address",
          "location", "kecamatan", "kelurahan", "agency", "channel", "created_at", "updated_at", "due_at",
          "resolved_at", "is_overdue", "duplicate_of"]
STAFF_ONLY = ["crew", "priority", "accuracy_m", "first_response_at", "closed_at", "escalated_at"]


def _when(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _comparable(data: dict) -> dict:
    """The shared fields with times as instants (faces may write the same instant differently)."""
    out = {}
    for name in SHARED + STAFF_ONLY:
        if name in data:
            value = data[name]
            out[name] = _when(value) if name.endswith("_at") else value
    return out


def _from_open311(record: dict) -> dict:
    """Open311's names mapped back to ours (GeoReport v2 and our extended attributes)."""
    ext = record["extended_attributes"]
    return {
        "tracking_code": record["service_request_id"],
        "status": ext["status_detail"],
        "status_label": ext["status_label"],
        "status_color": ext["status_color"],
        "category": {"slug": record["service_code"], "name": record["service_name"]},
        "description": record["description"],
        "address": record["address"] or "",
        "location": ({"type": "Point", "coordinates": [record["long"], record["lat"]]}
                     if record["lat"] is not None else None),
        "kecamatan": {"code": ext["kecamatan_code"], "name": ext["kecamatan"]},
        "kelurahan": {"code": ext["kelurahan_code"], "name": ext["kelurahan"]},
        "agency": {"name": record["agency_responsible"], "code": ext["agency_code"]},
        "channel": ext["channel"],
        "created_at": _when(record["requested_datetime"]),
        "due_at": _when(record["expected_datetime"]),
        "is_overdue": ext["is_overdue"],
    }


def _socket_complaints(code: str, cookie_token: str) -> tuple[dict, dict]:
    """The complaint of the last event on the operator's socket and on the public socket."""

    async def scenario():
        staff = await open_socket("/ws/ops/", token=cookie_token)
        public = await open_socket(f"/ws/complaints/{code}/")
        await staff.send_json_to({"type": "resume", "after": 0})
        await public.send_json_to({"type": "resume", "after": 0})
        staff_msgs = [m for m in await receive_all(staff) if m.get("complaint", {}).get("tracking_code") == code]
        public_msgs = [m for m in await receive_all(public) if "complaint" in m]
        await staff.disconnect()
        await public.disconnect()
        return staff_msgs, public_msgs

    staff_msgs, public_msgs = async_to_sync(scenario)()
    assert staff_msgs and public_msgs
    # Every message carries the complaint as it is now (the resume log rebuilds the envelope).
    return staff_msgs[-1]["complaint"], public_msgs[-1]["complaint"]


@pytest.mark.parametrize("category", ["roads", "adminduk"])
def test_rest_sockets_and_open311_agree_and_public_faces_carry_no_contact(committed_city, category):
    c = make_complaint(category=category, address="Jl. Daan Mogot 1", **REPORTER).complaint
    if category == "roads":  # Dinas PUPR's crew; a Disdukcapil report stays unassigned
        assign(c, "Tim Sigap PUPR 1")
    code = c.tracking_code

    public_api = APIClient()
    rest_public = public_api.get(f"/api/v1/complaints/{code}/").json()
    staff_api = APIClient()
    login(staff_api, "operator")
    rest_staff = staff_api.get(f"/api/v1/ops/complaints/{code}/").json()
    socket_staff, socket_public = _socket_complaints(code, token_for("operator"))
    open311 = APIClient().get(f"/open311/v2/requests/{code}.json", {"extensions": "true"}).json()[0]

    # The staff faces agree with each other on every field, the staff-only ones included.
    assert _comparable(socket_staff) == {k: v for k, v in _comparable(rest_staff).items()}
    assert rest_staff["reporter"]["name"] == "Siti Rahayu"
    assert (rest_staff["crew"] or {}).get("name") == ("Tim Sigap PUPR 1" if category == "roads" else None)
    # The public faces agree with each other on every shared field.
    assert _comparable(socket_public) == _comparable({k: rest_public[k] for k in SHARED})
    mapped = _from_open311(open311)
    for name, value in mapped.items():
        ours = _comparable(rest_public).get(name, rest_public.get(name))
        if name in ("category", "agency", "kecamatan", "kelurahan"):
            ours = {k: ours[k] for k in value}
        elif isinstance(ours, datetime):  # GeoReport's W3C times are to the second
            ours = ours.replace(microsecond=0)
        assert value == ours, name
    # The public and staff views differ only where the staff see more.
    differs = {k for k in SHARED if _comparable(rest_staff).get(k) != _comparable(rest_public).get(k)}
    if category == "adminduk":  # a report about a person: no place for the public
        assert differs == {"location", "address"}
        assert rest_public["location"] is None and rest_public["address"] == "" and open311["lat"] is None
    else:
        assert differs == set()
    for public in (rest_public, socket_public, open311):
        text = json.dumps(public, ensure_ascii=False)
        assert not any(v in text for v in CONTACT_VALUES), public
        assert "reporter" not in public and "crew" not in public
    assert not any(v in json.dumps(socket_staff) for v in CONTACT_VALUES)  # sockets never carry contact

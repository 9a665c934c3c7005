"""A daphne process is killed: its Tim Sigap crew reconnects to another process and resumes
with nothing lost, nothing repeated, in event-id order.

Two real daphne processes (laksa_gis.asgi:application) share a private redis-server and the
pytest test database (rows committed by `committed_city`). The crew member `sigap1` (crew
"Tim Sigap PUPR 1") follows /ws/crew/ on process A with token auth; A is SIGKILLed; the
operator verifies and assigns complaints through the action API on process B while A is
down; the crew's phone reconnects to B with `?after=<highest event_id seen>`.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets
from django.db import connection
from django.db.models import Q

from tests.conftest import CITY_HALL, KARAWACI
from tests.realtime import servers
from tests.realtime.conftest import _rt_test_database, committed_city, token_for  # noqa: F401 (fixtures)
from tests.realtime.test_servers import _open, _post_complaint, _until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

CREW_1, CREW_2 = "Tim Sigap PUPR 1", "Tim Sigap PUPR 2"


def _dispatch(base: str, token: str, crew_id: int, *, lonlat=CITY_HALL) -> str:
    """A citizen reports a pothole; the operator verifies it and assigns it to a crew (real HTTP)."""
    created = _post_complaint(base, lonlat=lonlat)
    assert created.status_code == 201, created.text
    code = created.json()["tracking_code"]
    headers = {"Authorization": f"Token {token}"}
    verified = httpx.post(f"{base}/api/v1/complaints/{code}/verify/", json={}, headers=headers, timeout=20)
    assert verified.status_code == 200, verified.text
    assigned = httpx.post(f"{base}/api/v1/complaints/{code}/assign/", json={"crew": crew_id}, headers=headers,
                          timeout=20)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "assigned"
    return code


def _crew_events_after(crew_id: int, after: int) -> list[tuple[int, str, str]]:
    """The crew's audience in the event log: (event id, type, tracking code) after `after`."""
    from fieldops.models import ComplaintEvent

    return list(
        ComplaintEvent.objects.filter(Q(crew_id=crew_id) | Q(previous_crew_id=crew_id), id__gt=after)
        .order_by("id").values_list("id", "type", "complaint__tracking_code")
    )


@pytest.fixture
def two_daphnes(committed_city):
    """Processes A and B on loopback ports, sharing a private Redis and the test database."""
    procs = []
    try:
        redis_proc, redis_port = servers.start_redis()
        procs.append(redis_proc)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        db_url = servers.database_url_for(connection.settings_dict["NAME"])
        a, a_port = servers.start_daphne(database_url=db_url, redis_url=redis_url, wait=False)
        procs.append(a)
        b, b_port = servers.start_daphne(database_url=db_url, redis_url=redis_url, wait=False)
        procs.append(b)
        servers.wait_daphne(a, a_port)
        servers.wait_daphne(b, b_port)
        yield {"a": a_port, "b": b_port, "a_proc": a}
    finally:
        for proc in reversed(procs):
            servers.stop(proc)


def test_killed_daphne_crew_resumes_on_another_process_with_no_gap_and_no_duplicate(two_daphnes):
    from fieldops.models import Crew

    crew_id = Crew.objects.get(name=CREW_1).pk
    other_crew_id = Crew.objects.get(name=CREW_2).pk
    crew_token, operator_token = token_for("sigap1"), token_for("operator")
    a_ws, b_ws = f"ws://127.0.0.1:{two_daphnes['a']}", f"ws://127.0.0.1:{two_daphnes['b']}"
    b = f"http://127.0.0.1:{two_daphnes['b']}"

    async def scenario():
        # The crew's phone on A: it keeps the highest event id it has seen as its cursor.
        ws = await _open(a_ws, crew_token, path="/ws/crew/")
        first_code = await asyncio.to_thread(_dispatch, b, operator_token, crew_id)
        live = await _until(ws, lambda m: m.get("type") == "assigned", timeout=10)
        assert live["complaint"]["tracking_code"] == first_code, "the live path A<-Redis<-B works before the kill"
        cursor = live["event_id"]

        # Process A dies without a goodbye; the phone notices the dead connection.
        two_daphnes["a_proc"].kill()
        two_daphnes["a_proc"].wait(5)
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                cursor = max(cursor, msg.get("event_id") or 0)  # nothing should arrive, but keep it honest

        # While A is down the operator keeps dispatching on B: three tickets for this crew, one for
        # another crew (which this phone must never see).
        missed_codes = []
        for i, lonlat in enumerate((CITY_HALL, KARAWACI, CITY_HALL)):
            missed_codes.append(await asyncio.to_thread(_dispatch, b, operator_token, crew_id, lonlat=lonlat))
            if i == 0:
                await asyncio.to_thread(_dispatch, b, operator_token, other_crew_id)

        # Reconnect to B, resuming right after the cursor.
        ws = await _open(b_ws, crew_token, path=f"/ws/crew/?after={cursor}")
        replay = []
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if msg["type"] == "resumed":
                break
            replay.append(msg)
        resumed = msg

        # Then live events again, on the new socket, exactly once.
        live_code = await asyncio.to_thread(_dispatch, b, operator_token, crew_id)
        after_resume = []
        while not any("event_id" in m for m in after_resume):
            after_resume.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        # A quiet second more: a late duplicate (e.g. a buffered copy) would show up here.
        with pytest.raises(TimeoutError):
            after_resume.append(json.loads(await asyncio.wait_for(ws.recv(), 1.0)))
        await ws.close()
        return first_code, cursor, missed_codes, replay, resumed, live_code, after_resume

    started = time.monotonic()
    first_code, cursor, missed_codes, replay, resumed, live_code, after_resume = asyncio.run(scenario())
    elapsed = time.monotonic() - started

    # The log says what the crew missed: its own assignments while A was down, in id order.
    stored = _crew_events_after(crew_id, cursor)
    missed = [row for row in stored if row[2] in missed_codes]
    assert [(t, c) for _id, t, c in missed] == [("assigned", c) for c in missed_codes]
    assert stored[: len(missed)] == missed, "no other crew event was logged between the kill and the resume"

    # Exactly the missed events: same ids, same tickets, strictly increasing, nothing twice.
    ids = [m["event_id"] for m in replay]
    assert ids == [row[0] for row in missed], (ids, missed)
    assert ids == sorted(set(ids)) and ids[0] > cursor
    assert [(m["type"], m["complaint"]["tracking_code"]) for m in replay] == [("assigned", c) for c in missed_codes]
    assert all(m["complaint"]["crew"] for m in replay)
    assert first_code not in {m["complaint"]["tracking_code"] for m in replay}, "the event seen on A is not repeated"
    assert resumed == {"type": "resumed", "last_event_id": ids[-1], "count": len(missed_codes)}

    # Then the live event, once, after the resumed ones.
    events = [m for m in after_resume if "event_id" in m]
    live_rows = _crew_events_after(crew_id, ids[-1])
    assert [(r[1], r[2]) for r in live_rows] == [("assigned", live_code)]
    assert [(m["event_id"], m["type"], m["complaint"]["tracking_code"]) for m in events] == live_rows
    assert elapsed < 40, f"failover scenario took {elapsed:.1f} s"

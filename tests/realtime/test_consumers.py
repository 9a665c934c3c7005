"""WebSocket consumers on the real ASGI stack, on the in-memory and on the Redis channel layer."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async as db

from tests.conftest import KARAWACI, make_complaint
from tests.realtime.conftest import (
    assign,
    close_code,
    open_socket,
    communicator,
    raw_messages,
    receive_all,
    redis_layer_settings,
    session_cookie,
    token_for,
    user,
    TIMEOUT,
)

pytestmark = [pytest.mark.timeout(60)]

REPORTER = dict(reporter_name="Siti Rahayu", reporter_phone="+6281234567890", reporter_email="siti.rahayu@example.id")


def test_crew_receives_its_assignment_and_another_crew_does_not(committed_city, layer):
    one_cookie, two_token = session_cookie("sigap1"), token_for("sigap2")

    async def scenario():
        one = await open_socket("/ws/crew/", cookie=one_cookie)  # browser: session cookie
        two = await open_socket("/ws/crew/", token=two_token)  # mobile app: token as first message
        assert one.hello["stream"] == "crew"
        complaint = (await db(make_complaint)()).complaint
        await db(assign)(complaint, "Tim Sigap PUPR 1")

        got = await one.receive_json_from(timeout=TIMEOUT)
        assert got["type"] == "assigned"
        assert got["complaint"]["tracking_code"] == complaint.tracking_code
        assert got["complaint"]["crew"]["name"] == "Tim Sigap PUPR 1"
        assert got["to_status"] == "assigned" and got["complaint"]["status_color"] == "yellow"
        assert await two.receive_nothing(timeout=0.3), "crew 2 must not see crew 1's ticket"

        # Reassigned: crew 2 gets the ticket, crew 1 learns it was taken away.
        await db(assign)(complaint, "Tim Sigap PUPR 2")
        away = await one.receive_json_from(timeout=TIMEOUT)
        came = await two.receive_json_from(timeout=TIMEOUT)
        assert away["event_id"] == came["event_id"]
        assert away["complaint"]["crew"]["name"] == "Tim Sigap PUPR 2"
        assert await one.receive_nothing(timeout=0.2)
        await one.disconnect()
        await two.disconnect()

    async_to_sync(scenario)()


def test_public_socket_never_carries_reporter_contact_or_staff_notes(committed_city, layer):
    from fieldops.workflow import complaint_add_note, complaint_set_priority, complaint_verify

    ops_cookie = session_cookie("operator")
    created = make_complaint(**REPORTER)
    complaint = created.complaint
    secret_note = "Pelapor Siti minta ditelepon di 0812-3456-7890"

    created_id = complaint.events.get().pk  # start after it (its live copy may still be on its way)

    async def scenario():
        public = await open_socket(f"/ws/complaints/{complaint.tracking_code}/?after={created_id}")
        ops = await open_socket(f"/ws/ops/?after={created_id}", cookie=ops_cookie)
        await db(complaint_verify)(complaint=complaint, actor=await db(user)("operator"))
        await db(complaint_add_note)(complaint=complaint, actor=await db(user)("operator"), note=secret_note)
        await db(complaint_set_priority)(complaint=complaint, actor=await db(user)("operator"), priority=1)
        await db(assign)(complaint, "Tim Sigap PUPR 1", actor="operator")
        public_msgs = [m for m in await receive_all(public) if m["type"] != "resumed"]
        ops_msgs = [m for m in await receive_all(ops) if m["type"] != "resumed"]
        await public.disconnect()
        await ops.disconnect()
        return public_msgs, ops_msgs

    public_msgs, ops_msgs = async_to_sync(scenario)()
    # The citizen watches the report turn from red to yellow ...
    assert [(m["type"], m["to_status"], m["complaint"]["status_color"]) for m in public_msgs] == [
        ("status", "verified", "red"),
        ("assigned", "assigned", "yellow"),
    ]
    # ... and never sees who reported it, the staff note, the crew or the priority.
    raw = raw_messages(public_msgs)
    for private in ("Siti", "6281234567890", "siti.rahayu@example.id", "0812-3456-7890", "Tim Sigap", "priority"):
        assert private not in raw, private
    assert all("note" not in m for m in public_msgs)
    # The command center does get the note (so the filter above is not vacuous).
    assert secret_note in [m.get("note") for m in ops_msgs]
    assert {m["type"] for m in ops_msgs} == {"status", "note", "priority", "assigned"}
    staff_raw = raw_messages(ops_msgs)
    assert "siti.rahayu@example.id" not in staff_raw and "6281234567890" not in staff_raw, "no contact in events"


def test_resume_after_a_disconnect_delivers_exactly_the_missed_events(committed_city, layer):
    token = token_for("sigap1")

    async def scenario():
        from fieldops.workflow import complaint_add_note, complaint_start

        first = (await db(make_complaint)()).complaint
        sock = await open_socket("/ws/crew/", token=token)
        await db(assign)(first, "Tim Sigap PUPR 1")
        seen = await sock.receive_json_from(timeout=TIMEOUT)
        cursor = seen["event_id"]
        await sock.disconnect()  # the phone loses its signal

        operator = await db(user)("operator")
        missed = []
        second = (await db(make_complaint)(lonlat=KARAWACI)).complaint
        other = (await db(make_complaint)(lonlat=KARAWACI)).complaint
        await db(assign)(second, "Tim Sigap PUPR 1")
        await db(assign)(other, "Tim Sigap PUPR 2")  # not ours: must not be resumed
        await db(complaint_add_note)(complaint=first, actor=operator, note="Bawa pompa air")
        await db(complaint_start)(complaint=first, actor=await db(user)("sigap1"))
        from fieldops.models import ComplaintEvent

        missed = await db(lambda: list(
            ComplaintEvent.objects.filter(id__gt=cursor, crew__name="Tim Sigap PUPR 1").values_list("id", flat=True)
        ))()
        assert len(missed) == 3

        back = await open_socket("/ws/crew/", token=token)
        await back.send_json_to({"type": "resume", "after": cursor})
        replay = []
        while True:
            msg = await back.receive_json_from(timeout=TIMEOUT)
            if msg["type"] == "resumed":
                break
            replay.append(msg)
        # Exactly the missed events, each once. (A live copy published late may arrive between
        # hello and the resume request; the resume then skips it. `?after=` below is atomic.)
        assert sorted(m["event_id"] for m in replay) == missed
        assert sorted(m["type"] for m in replay) == ["assigned", "note", "status"]
        assert "Bawa pompa air" in [m.get("note") for m in replay]
        assert msg["type"] == "resumed" and msg["last_event_id"] >= missed[-1] and msg["count"] <= 3
        # Live again, and nothing twice.
        await db(complaint_add_note)(complaint=second, actor=operator, note="Segera")
        live = await receive_all(back)
        assert [m["type"] for m in live] == ["note"] and live[0]["event_id"] > missed[-1]
        await back.disconnect()

        # Resuming in the URL works the same way.
        again = await open_socket(f"/ws/crew/?after={cursor}", token=token)
        msgs = await receive_all(again)
        assert [m["event_id"] for m in msgs if m["type"] != "resumed"] == missed + [live[0]["event_id"]]
        assert [m for m in msgs if m["type"] == "resumed"] == [
            {"type": "resumed", "last_event_id": live[0]["event_id"], "count": 4}
        ]
        await again.disconnect()

    async_to_sync(scenario)()


def test_ops_scopes_city_wide_agency_and_kecamatan(committed_city):
    cookies = {name: session_cookie(name) for name in ("operator", "leader", "pupr", "dlh")}

    async def scenario():
        from boundaries.models import AdminArea, Agency

        socks = {name: await open_socket("/ws/ops/", cookie=c) for name, c in cookies.items()}
        complaint = (await db(make_complaint)(category="roads")).complaint  # → DPUPR, kecamatan Tangerang
        kec = complaint.kecamatan.code
        other_kec = await db(lambda: AdminArea.objects.filter(level="kecamatan").exclude(code=kec).first().code)()
        created_id = await db(lambda: complaint.events.get().pk)()
        for name, code in (("op-here", kec), ("op-there", other_kec)):  # from after the creation on
            socks[name] = await open_socket(f"/ws/ops/?kecamatan={code}&after={created_id}", cookie=cookies["operator"])
            assert (await socks[name].receive_json_from(timeout=TIMEOUT))["type"] == "resumed"
        await db(assign)(complaint, "Tim Sigap PUPR 1")
        await asyncio.sleep(0.6)  # let every socket's events arrive, then read each one
        got = {name: [m["type"] for m in await receive_all(s, quiet=0.15)] for name, s in socks.items()}
        # Misrouted: DPUPR sends it to DLH. Both desks hear of it, then only DLH.
        from fieldops.workflow import complaint_add_note, complaint_reroute

        operator = await db(user)("operator")
        dlh = await db(lambda: Agency.objects.get(code="dlh"))()
        await db(complaint_reroute)(complaint=complaint, actor=operator, agency=dlh, reason="Sampah, bukan jalan")
        await db(complaint_add_note)(complaint=complaint, actor=operator, note="Sudah di DLH")
        await asyncio.sleep(0.6)
        later = {name: [m["type"] for m in await receive_all(s, quiet=0.15)] for name, s in socks.items()}
        for s in socks.values():
            await s.disconnect()
        return got, later

    got, later = async_to_sync(scenario)()
    assert got["operator"] == ["created", "assigned"]
    assert got["leader"] == ["created", "assigned"]
    assert got["pupr"] == ["created", "assigned"]
    assert got["dlh"] == [], "another agency's desk sees nothing of DPUPR's complaint"
    assert got["op-here"] == ["assigned"]
    assert got["op-there"] == []
    assert later["pupr"] == ["rerouted"], "the desk a complaint left is told, and then no more"
    assert later["dlh"] == ["rerouted", "note"]
    assert later["operator"] == ["rerouted", "note"]


def test_refusals_have_their_close_codes(committed_city, settings):
    settings.REALTIME_AUTH_TIMEOUT_S = 0.3
    cookies = {name: session_cookie(name) for name in ("operator", "sigap1", "planner")}
    complaint = make_complaint().complaint

    async def code_for(path, *, cookie=None, send=None):
        comm = communicator(path, cookie=cookie)
        connected, _ = await comm.connect(timeout=TIMEOUT)
        assert connected
        if send is not None:
            await comm.send_json_to(send)
        return await close_code(comm)

    async def scenario():
        return {
            "anonymous crew": await code_for("/ws/crew/"),
            "anonymous ops": await code_for("/ws/ops/"),
            "bad token": await code_for("/ws/crew/", send={"type": "auth", "token": "not-a-token"}),
            "ping before auth is fine, resume is not": await code_for("/ws/crew/", send={"type": "resume", "after": 0}),
            "operator on crew": await code_for("/ws/crew/", cookie=cookies["operator"]),
            "crew on ops": await code_for("/ws/ops/", cookie=cookies["sigap1"]),
            "planner on ops": await code_for("/ws/ops/", cookie=cookies["planner"]),
            "unknown complaint": await code_for("/ws/complaints/LKS-0000-0000/"),
            "garbage tracking code": await code_for("/ws/complaints/lks%20'%3B--/"),
            "unknown kecamatan": await code_for("/ws/ops/?kecamatan=99.99.99", cookie=cookies["operator"]),
            "bad after": await code_for(f"/ws/complaints/{complaint.tracking_code}/?after=abc"),
        }

    codes = async_to_sync(scenario)()
    assert codes == {
        "anonymous crew": 4401,
        "anonymous ops": 4401,
        "bad token": 4401,
        "ping before auth is fine, resume is not": 4401,
        "operator on crew": 4403,
        "crew on ops": 4403,
        "planner on ops": 4403,
        "unknown complaint": 4404,
        "garbage tracking code": 4404,
        "unknown kecamatan": 4404,
        "bad after": 4400,
    }


def test_ping_pong_bad_messages_and_a_flood_closes_4429(committed_city, settings):
    settings.REALTIME_RATE_BURST = 14
    complaint = make_complaint().complaint
    created_id = complaint.events.get().pk

    async def scenario():
        sock = await open_socket(f"/ws/complaints/{complaint.tracking_code}/?after={created_id}")
        assert (await sock.receive_json_from(timeout=TIMEOUT))["type"] == "resumed"
        await sock.send_json_to({"type": "ping"})
        assert await sock.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
        await sock.send_to(text_data="not json")
        assert (await sock.receive_json_from(timeout=TIMEOUT))["type"] == "error"
        for bad in ("x", -1, 1.5, True, None, [1]):
            await sock.send_json_to({"type": "resume", "after": bad})
            assert "after" in (await sock.receive_json_from(timeout=TIMEOUT))["detail"]
        await sock.send_to(text_data='{"type": "resume", "after": Infinity}')
        assert "after" in (await sock.receive_json_from(timeout=TIMEOUT))["detail"]
        for _ in range(20):
            await sock.send_json_to({"type": "ping"})
        return await close_code(sock)

    assert async_to_sync(scenario)() == 4429


def test_periodic_rejoin_keeps_a_long_shift_subscribed_and_drops_a_removed_member(committed_city, settings):
    # Group memberships expire after 1 s here (a day in production); re-joins every 0.3 s.
    settings.CHANNEL_LAYERS = redis_layer_settings(group_expiry=1)
    settings.REALTIME_REJOIN_S = 0.3
    token = token_for("sigap1")

    async def scenario():
        import asyncio

        from fieldops.models import CrewMember

        sock = await open_socket("/ws/crew/", token=token)
        await asyncio.sleep(2.0)  # longer than group_expiry: only the re-joins keep us in
        complaint = (await db(make_complaint)()).complaint
        await db(assign)(complaint, "Tim Sigap PUPR 1")
        got = await sock.receive_json_from(timeout=TIMEOUT)
        assert got["type"] == "assigned"
        # Moved to another team mid-shift: the next re-join notices and closes the socket.
        await db(lambda: CrewMember.objects.filter(user__username="sigap1").delete())()
        return await close_code(sock)

    from fieldops.models import CrewMember

    membership = CrewMember.objects.get(user__username="sigap1")
    try:
        assert async_to_sync(scenario)() == 4403
    finally:
        CrewMember.objects.get_or_create(user_id=membership.user_id, crew_id=membership.crew_id)


def test_socket_errors_follow_the_sockets_language(committed_city):
    """Bahasa Indonesia by default, English with ?lang=en (or the language switch's cookie)."""
    complaint = make_complaint().complaint

    async def error_after_bad_message(query: str) -> str:
        sock = await open_socket(f"/ws/complaints/{complaint.tracking_code}/{query}")
        await sock.send_to(text_data="not json")
        detail = (await sock.receive_json_from(timeout=TIMEOUT))["detail"]
        await sock.disconnect()
        return detail

    assert async_to_sync(error_after_bad_message)("") == "Pesan harus berupa objek JSON dengan 'type'."
    assert async_to_sync(error_after_bad_message)("?lang=en") == "Messages must be JSON objects with a 'type'."

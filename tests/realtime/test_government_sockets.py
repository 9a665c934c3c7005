"""The ops sockets per government (issue 18): a government's desks stream from `ops.gov.<id>`, the
province role from every government's group; the audience check and the resume from the event
log give the same answer as the groups. Kabupaten Serang is tests/governments.py."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async as db

from tests.conftest import make_complaint
from tests.governments import PROVINCE_USER, SERANG_CODE, SERANG_USERS, serang_setup
from tests.realtime.conftest import TIMEOUT, open_socket, receive_all, session_cookie, user

pytestmark = [pytest.mark.timeout(60)]


@pytest.fixture
def committed_serang(committed_city, django_db_blocker):
    """Kabupaten Serang, committed (the sockets read it from other threads), removed afterwards."""
    from django.contrib.auth import get_user_model

    from boundaries.models import Agency, Government
    from fieldops.models import Complaint, Crew, GovernmentCategory

    with django_db_blocker.unblock():
        try:
            yield serang_setup()
        finally:  # also when the setup failed half-way: nothing of Serang stays committed
            government = Government.objects.filter(code=SERANG_CODE).first()
            get_user_model().objects.filter(username__in=SERANG_USERS.values()).delete()
            if government is not None:
                Complaint.objects.filter(government=government).delete()
                Crew.objects.filter(agency__government=government).delete()
                GovernmentCategory.objects.filter(government=government).delete()
                Agency.objects.filter(government=government).delete()
                government.delete()


def test_each_government_streams_its_own_events_and_the_province_both(committed_serang):
    from fieldops.models import ComplaintEvent

    names = ("operator", "leader", SERANG_USERS["operator"], SERANG_USERS["agency_staff"], PROVINCE_USER)
    cookies = {name: session_cookie(name) for name in names}
    before = ComplaintEvent.objects.order_by("-id").values_list("id", flat=True).first()

    async def scenario():
        from fieldops.workflow import complaint_add_note, complaint_verify

        socks = {name: await open_socket("/ws/ops/", cookie=c) for name, c in cookies.items()}
        tangerang = (await db(make_complaint)(category="roads")).complaint
        serang = committed_serang["verified"]
        await db(complaint_add_note)(complaint=serang, actor=await db(user)(SERANG_USERS["operator"]),
                                     note="Cek lokasi di Ciruas")
        await db(complaint_verify)(complaint=tangerang, actor=await db(user)("operator"))
        await asyncio.sleep(0.6)
        got = {name: [(m["type"], m["complaint"]["tracking_code"]) for m in await receive_all(s, quiet=0.15)]
               for name, s in socks.items()}
        for s in socks.values():
            await s.disconnect()
        # Resumed from the event log: the same answer as live.
        resumed = {}
        for name in names:
            sock = await open_socket(f"/ws/ops/?after={before}", cookie=cookies[name])
            msgs = await receive_all(sock, quiet=0.3)
            resumed[name] = [(m["type"], m["complaint"]["tracking_code"]) for m in msgs if m["type"] != "resumed"]
            await sock.disconnect()
        return tangerang.tracking_code, serang.tracking_code, got, resumed

    t, s, got, resumed = async_to_sync(scenario)()
    tangerang_events = [("created", t), ("status", t)]
    serang_events = [("note", s)]
    assert got["operator"] == tangerang_events and got["leader"] == tangerang_events
    assert got[SERANG_USERS["operator"]] == serang_events
    assert got[SERANG_USERS["agency_staff"]] == serang_events, "Serang's DPUPR desk: its own DPUPR only"
    assert sorted(got[PROVINCE_USER]) == sorted(tangerang_events + serang_events)
    assert resumed == got


def test_the_groups_of_each_stream(committed_serang):
    from boundaries.models import Government
    from realtime.groups import groups_for_stream
    from realtime.selectors import ops_stream_for

    tangerang = Government.objects.get(code="36.71").pk
    serang = committed_serang["government"].pk
    assert groups_for_stream(ops_stream_for(user("operator"))) == [f"ops.gov.{tangerang}"]
    assert groups_for_stream(ops_stream_for(user(SERANG_USERS["leader"]))) == [f"ops.gov.{serang}"]
    assert groups_for_stream(ops_stream_for(user(SERANG_USERS["agency_staff"]))) == [
        f"ops.agency.{committed_serang['dpupr'].pk}"]
    assert groups_for_stream(ops_stream_for(user(PROVINCE_USER))) == [
        f"ops.gov.{pk}" for pk in sorted(Government.objects.values_list("pk", flat=True))]
    assert ops_stream_for(user(SERANG_USERS["planner"])) is None

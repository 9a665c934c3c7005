"""Revocation is immediate on open sockets (issue 13: "revoking a token does not close its open
WebSockets: a socket opened with dlh's token kept receiving staff notes after
DELETE /api/v1/auth/token/").

Each test opens real sockets on the ASGI application, revokes through the real face (the API,
a save of the user, the group membership, the logout page) and expects the socket closed within
a couple of seconds, with nothing more delivered on it, while another user's socket goes on.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async as db

from tests.conftest import make_complaint
from tests.realtime.conftest import (  # noqa: F401 (fixtures)
    _rt_test_database,
    close_code,
    committed_city,
    layer,
    open_socket,
    receive_all,
    session_cookie,
    token_for,
    user,
)

pytestmark = [pytest.mark.timeout(60)]
WITHIN_S = 2.5  # "within a couple of seconds"
NOTE = "Pelapor minta ditelepon di 0812-3456-7890"


def add_note(complaint, note: str):
    from fieldops.workflow import complaint_add_note

    return complaint_add_note(complaint=complaint, actor=user("operator"), note=note)


async def closed_with(sock) -> int:
    import asyncio

    return await asyncio.wait_for(close_code(sock), WITHIN_S)


async def notes_of(sock) -> list[str]:
    return [m.get("note") for m in await receive_all(sock, quiet=0.5) if m.get("type") == "note"]


def api_delete_token(token: str) -> int:
    from rest_framework.test import APIClient

    return APIClient().delete("/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_deleting_the_token_closes_the_sockets_it_opened(committed_city, layer):
    dlh_token = token_for("dlh")
    dlh_cookie, operator_cookie = session_cookie("dlh"), session_cookie("operator")
    complaint = make_complaint(category="garbage").complaint  # routed to DLH

    async def scenario():
        by_token = await open_socket("/ws/ops/", token=dlh_token)
        by_session = await open_socket("/ws/ops/", cookie=dlh_cookie)  # dlh's browser: not this token
        operator = await open_socket("/ws/ops/", cookie=operator_cookie)
        await db(add_note)(complaint, "sebelum")
        assert await notes_of(by_token) == ["sebelum"]  # the socket works before the revocation
        assert await db(api_delete_token)(dlh_token) == 204
        code = await closed_with(by_token)
        await db(add_note)(complaint, NOTE)
        after = {"by_token": await by_token.receive_nothing(timeout=0.5),
                 "by_session": await notes_of(by_session), "operator": await notes_of(operator)}
        for sock in (by_session, operator):
            await sock.disconnect()
        return code, after

    code, after = async_to_sync(scenario)()
    assert code == 4401
    assert after["by_token"] is True, "nothing more on the revoked socket"
    assert after["by_session"] == ["sebelum", NOTE], "the same user's socket opened otherwise stays open"
    assert NOTE in after["operator"], "another user's socket stays open"


def test_deactivating_the_user_closes_all_their_sockets(committed_city):
    dlh_token, dlh_cookie, operator_token = token_for("dlh"), session_cookie("dlh"), token_for("operator")
    complaint = make_complaint(category="garbage").complaint

    def deactivate(active: bool):
        u = user("dlh")
        u.is_active = active
        u.save()

    async def scenario():
        by_token = await open_socket("/ws/ops/", token=dlh_token)
        by_session = await open_socket("/ws/ops/", cookie=dlh_cookie)
        operator = await open_socket("/ws/ops/", token=operator_token)
        await db(deactivate)(False)
        codes = [await closed_with(by_token), await closed_with(by_session)]
        await db(add_note)(complaint, NOTE)
        quiet = [await by_token.receive_nothing(timeout=0.3), await by_session.receive_nothing(timeout=0.3)]
        got = await notes_of(operator)
        await operator.disconnect()
        return codes, quiet, got

    try:
        codes, quiet, got = async_to_sync(scenario)()
    finally:
        deactivate(True)
    assert codes == [4401, 4401]
    assert quiet == [True, True]
    assert got == [NOTE]


def test_removing_the_role_closes_the_sockets_it_entitled(committed_city):
    from django.contrib.auth.models import Group

    dlh_token, dlh_cookie, operator_token = token_for("dlh"), session_cookie("dlh"), token_for("operator")
    complaint = make_complaint(category="garbage").complaint
    role = Group.objects.get(name="agency_staff")

    async def scenario():
        by_token = await open_socket("/ws/ops/", token=dlh_token)
        by_session = await open_socket("/ws/ops/", cookie=dlh_cookie)
        operator = await open_socket("/ws/ops/", token=operator_token)
        await db(lambda: user("dlh").groups.remove(role))()
        codes = [await closed_with(by_token), await closed_with(by_session)]
        await db(add_note)(complaint, NOTE)
        quiet = [await by_token.receive_nothing(timeout=0.3), await by_session.receive_nothing(timeout=0.3)]
        got = await notes_of(operator)
        await operator.disconnect()
        return codes, quiet, got

    try:
        codes, quiet, got = async_to_sync(scenario)()
    finally:
        user("dlh").groups.add(role)
    assert codes == [4403, 4403], "authenticated, but no longer entitled to the desk's stream"
    assert quiet == [True, True]
    assert got == [NOTE]


def test_removing_the_role_from_the_groups_side_works_too(committed_city):
    from django.contrib.auth.models import Group

    dlh_token = token_for("dlh")
    role = Group.objects.get(name="agency_staff")

    async def scenario():
        sock = await open_socket("/ws/ops/", token=dlh_token)
        await db(lambda: role.user_set.remove(user("dlh")))()
        return await closed_with(sock)

    try:
        assert async_to_sync(scenario)() == 4403
    finally:
        user("dlh").groups.add(role)


def test_logging_out_closes_the_sockets_of_that_session_only(committed_city):
    from django.test import Client

    browser = Client()
    browser.force_login(user("dlh"))
    cookie = browser.cookies["sessionid"].value
    other_cookie = session_cookie("dlh")  # dlh on a second computer
    complaint = make_complaint(category="garbage").complaint

    async def scenario():
        sock = await open_socket("/ws/ops/", cookie=cookie)
        other = await open_socket("/ws/ops/", cookie=other_cookie)
        r = await db(browser.post)("/accounts/logout/")
        assert r.status_code in (200, 302)
        code = await closed_with(sock)
        await db(add_note)(complaint, NOTE)
        got = await notes_of(other)
        await other.disconnect()
        return code, got

    code, got = async_to_sync(scenario)()
    assert code == 4401
    assert got == [NOTE], "the other session's socket stays open"

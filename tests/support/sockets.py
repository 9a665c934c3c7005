"""Reading a complaint's public socket as an anonymous citizen's tracking page would."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator


def public_socket_messages(code: str, *, after: int = 0, quiet_s: float = 1.0) -> list[str]:
    """Every message the public socket of `code` sends (resumed from `after`) until it is quiet."""
    from laksa_gis.asgi import application

    async def listen():
        comm = WebsocketCommunicator(application, f"/ws/complaints/{code}/?after={after}",
                                     headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")])
        connected, _ = await comm.connect(timeout=5)
        assert connected
        messages = []
        while not await comm.receive_nothing(timeout=quiet_s):
            messages.append(await comm.receive_from(timeout=2))
        await comm.disconnect()
        return messages

    return async_to_sync(listen)()

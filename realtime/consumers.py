"""WebSocket consumers: live complaint events for Tim Sigap crews, operator desks and citizens.

PROTOCOL (the browser JS and mobile clients are written against exactly this)
==============================================================================
Endpoints (wss:// in production, behind nginx; see docs/DEPLOY.md):
  /ws/crew/                      a crew member: their crew's tickets (assigned, updated,
                                 reassigned away from the crew, operator notes)
  /ws/ops/[?kecamatan=<code>]    operators, leaders, admins: every event in the city;
                                 agency staff and supervisors: their agency's events;
                                 optional filter to one kecamatan (area code)
  /ws/complaints/<tracking_code>/  public, no login: the public events of one complaint
                                 (fieldops.models.event_is_public), never personal data and
                                 never notes
Any endpoint also takes `?after=<event_id>` to resume right after connecting (an event id is
not a secret; a token never goes in the URL). Prefer it on reconnects: the resume then starts
before any live event is forwarded, so events arrive strictly in id order. A `resume` message
works too, but a live event may slip in between `hello` and the message (it is then not repeated).

Authentication (crew and ops): the Django session cookie, or for token clients (mobile app,
scripts) the FIRST message `{"type": "auth", "token": "<DRF token>"}` within 10 seconds (get
the token from POST /api/v1/auth/token/).

Client -> server:
  {"type": "auth", "token": "..."}       only when there is no session
  {"type": "ping"}                       answered by {"type": "pong"}; send one every ~25 s
  {"type": "resume", "after": <event_id>}  replay what you missed (send on every reconnect)

Server -> client:
  {"type": "hello", "stream": "crew"|"ops"|"public", "last_event_id": N}
      once authorized and subscribed. N is the newest event id now: a client without a cursor
      stores it and resumes after it on its next reconnect.
  an event, one JSON object per event:
      {"type": "created"|"status"|"assigned"|"rerouted"|"photo"|"note"|"priority"|"escalated"|...,
       "event_id": 123, "at": "2026-11-22T08:00:00+07:00", "from_status": "new", "to_status": "assigned",
       "complaint": the public representation of the complaint (fieldops.representation,
                     the same fields as GET /api/v1/complaints/{code}/ without photos; location
                     null for a private category); staff streams get the staff representation
                     (also crew, priority, SLA times; never reporter contact),
       "data": {...},          (public: only the keys of fieldops.models.PUBLIC_EVENT_DATA)
       "note": "..."}          (staff streams only)
  {"type": "resumed", "last_event_id": N, "count": K}
      after a resume: K missed events (event_id > after, in id order) were sent before this
      message and before any live event that arrived meanwhile; nothing is sent twice on one
      socket. Keep `last_event_id` (the highest event_id seen) as the cursor.
  {"type": "pong"}
  {"type": "error", "detail": "..."}     a bad message (the socket stays open)

Close codes: 4400 bad parameter (e.g. ?after=abc), 4401 not authenticated (no session, no or
bad token, auth timeout; or, on an open socket, its token was revoked, its session logged out or
the account deactivated), 4403 authenticated but not entitled to this stream (also when a role,
agency or crew was taken away while the socket was open), 4404 unknown
complaint, kecamatan or path, 4429 too many messages (more than RATE_BURST at once or RATE_PER_S
sustained), 4500 server error, 4503 reconnect now (the server's connection to Redis dropped and
came back: events may have been missed, resume). Reconnect with backoff and resume on anything but
4401/4403/4404.

A resumed event carries the complaint summary as the complaint is now; its from/to status
are those of the event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.consumer import get_handler_name
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from common.errors import interpolate
from realtime import liveness, selectors
from realtime.audience import PUBLIC, Stream, audience_allows
from realtime.groups import groups_for_stream, user_group
from realtime.revocation import credential_digest

logger = logging.getLogger(__name__)

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_MANY = 4429
CLOSE_SERVER_ERROR = 4500
CLOSE_RECONNECT = 4503  # realtime.liveness: the connection to Redis dropped and came back

ERR_BAD_JSON = gettext_lazy("Messages must be JSON objects with a 'type'.")
ERR_UNKNOWN_TYPE = gettext_lazy("Unknown message type %(type)r; use ping or resume.")
ERR_BAD_AFTER = gettext_lazy("'after' must be a non-negative integer event id.")
ERR_RESUMING = gettext_lazy("A resume is already running on this socket.")
ERR_AUTH_FIRST = gettext_lazy("Authenticate first: send {\"type\": \"auth\", \"token\": ...}.")
ERR_ALREADY_AUTHENTICATED = gettext_lazy("Already authenticated.")

AUTH_TIMEOUT_S = 10.0
RECENT_IDS = 4096  # event ids remembered per socket to never send one twice


def _setting(name: str, default):
    return getattr(settings, name, default)


class TokenBucket:
    """Per-socket message rate limit: `burst` at once, `rate` per second sustained."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _parse_after(value) -> int:
    """An event id cursor: a non-negative integer (JSON number or decimal string), else ValueError."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 19:
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    raise ValueError(ERR_BAD_AFTER)


def socket_language(scope, lang: str | None) -> str:
    """The language of a socket's error messages, chosen as for an HTTP request (Django's own
    rule: the language switch's cookie, then Accept-Language), with `?lang=` first. As for our
    pages' fetches (web.middleware.DefaultLanguageMiddleware), a socket opened by one of our own
    pages ignores the browser's Accept-Language."""
    if lang:
        try:
            return translation.get_supported_language_variant(lang)
        except LookupError:
            pass
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin", b"").decode("latin-1").split("://")[-1]
    own_page = bool(origin) and origin == headers.get(b"host", b"").decode("latin-1")
    accept = "" if own_page else headers.get(b"accept-language", b"").decode("latin-1")
    request = SimpleNamespace(COOKIES=scope.get("cookies") or {}, META={"HTTP_ACCEPT_LANGUAGE": accept})
    return translation.get_language_from_request(request)


class EventStreamConsumer(AsyncJsonWebsocketConsumer):
    """Base: authenticate, authorize (`is_authorized`), join groups, forward, resume."""

    requires_login = True

    # Handlers that never touch the ORM directly (ORM work goes through database_sync_to_async,
    # which closes stale connections itself).
    NO_DB_HANDLERS = frozenset({"complaint.event", "websocket.receive"})

    async def dispatch(self, message):
        """Skip channels' per-message `aclose_old_connections()` for forwarded events.

        Channels hops to the one thread-sensitive sync thread before every handler call; with
        hundreds of sockets in a group every delivery queued behind that single thread (about
        1 s p50 at 100 sockets in bench/fanout.py). Forwarding an event needs no database.
        """
        if message.get("type") in self.NO_DB_HANDLERS:
            handler = getattr(self, get_handler_name(message), None)
            if handler is not None:
                await handler(message)
                return
        await super().dispatch(message)

    # ------------------------------------------------------------------ lifecycle

    async def connect(self):
        """Accept first so that refusals reach the browser as close codes, not as HTTP 403."""
        self.stream: Stream | None = None
        self.refusal = CLOSE_FORBIDDEN
        self.joined: list[str] = []
        self.sent = OrderedDict()  # recent event ids sent on this socket
        self.resume_floor = 0
        self.resuming = False
        self.buffer: list[dict] = []
        self.tasks: list[asyncio.Task] = []
        self.closed = False
        # Which credential opened this socket, to close it when that one is revoked (realtime.revocation).
        self.token_digest: str | None = None
        self.session_digest: str | None = None
        self.bucket = TokenBucket(_setting("REALTIME_RATE_PER_S", 5.0), _setting("REALTIME_RATE_BURST", 30))
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.query = {k: v[-1] for k, v in query.items()}
        self.language = socket_language(self.scope, self.query.get("lang"))
        self.after = None
        if "after" in self.query:
            try:
                self.after = _parse_after(self.query["after"])
            except ValueError:
                await self.refuse(CLOSE_BAD_REQUEST, ERR_BAD_AFTER)
                return
        user = self.scope.get("user")
        if self.requires_login and not (user is not None and user.is_authenticated):
            self.tasks.append(asyncio.ensure_future(self._auth_deadline()))
            return
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key and user is not None and user.is_authenticated:
            self.session_digest = credential_digest(session_key)
        await self.start(user)

    async def is_authorized(self, user) -> bool:
        """Decide whether `user` may open this socket; set `self.stream` (or `self.refusal`)."""
        raise NotImplementedError

    async def start(self, user):
        """Authorize, join the stream's groups, greet, and resume if asked in the URL."""
        if not await self.is_authorized(user):
            await self.refuse(self.refusal)
            return
        await self.join(self.wanted_groups())
        liveness.watch.register(self)
        last = await database_sync_to_async(selectors.last_event_id)(self.stream)
        await self.send_json({"type": "hello", "stream": self.stream.kind, "last_event_id": last})
        if self.after is not None:
            self.start_resume(self.after)
        self.tasks.append(asyncio.ensure_future(self._rejoin_loop()))

    def wanted_groups(self) -> list[str]:
        """The stream's groups, and for a staff stream the user's own (revocations arrive there)."""
        names = groups_for_stream(self.stream)
        user = self.user
        if not self.stream.public and user is not None and user.is_authenticated:
            names.append(user_group(user.pk))
        return names

    async def join(self, names: list[str]):
        for name in names:
            if name not in self.joined:
                await self.channel_layer.group_add(name, self.channel_name)
                self.joined.append(name)

    async def disconnect(self, code):
        """Leave only the groups this socket joined; stop its timers."""
        self.closed = True
        liveness.watch.unregister(self)
        for task in self.tasks:
            task.cancel()
        for name in self.joined:
            try:
                await self.channel_layer.group_discard(name, self.channel_name)
            except Exception:  # Redis gone: group membership expires on its own
                pass
        self.joined = []

    async def send_json(self, content, close=False):
        """Error messages are lazy: read them in the socket's language."""
        if "detail" in content:
            with translation.override(getattr(self, "language", settings.LANGUAGE_CODE)):
                content = {**content, "detail": str(content["detail"])}
        await super().send_json(content, close)

    async def refuse(self, code: int, detail: str = ""):
        if self.closed:
            return
        self.closed = True
        if detail:
            await self.send_json({"type": "error", "detail": detail})
        await self.close(code=code)

    async def _auth_deadline(self):
        await asyncio.sleep(_setting("REALTIME_AUTH_TIMEOUT_S", AUTH_TIMEOUT_S))
        if self.stream is None:
            await self.refuse(CLOSE_UNAUTHENTICATED, ERR_AUTH_FIRST)

    async def _rejoin_loop(self):
        """Re-join groups periodically (channels-redis expires memberships after group_expiry)
        and re-check entitlement, so a 12-hour shift neither falls out nor outlives a transfer."""
        interval = _setting("REALTIME_REJOIN_S", 30 * 60)
        while not self.closed:
            await asyncio.sleep(interval)
            if not await self.recheck():
                return

    async def recheck(self) -> bool:
        """Authorize again with the user as stored now; close (False) or move to the right groups."""
        user = await database_sync_to_async(selectors.user_refresh)(self.user)
        if not await self.is_authorized(user):
            await self.refuse(self.refusal)
            return False
        wanted = self.wanted_groups()
        for name in [n for n in self.joined if n not in wanted]:
            await self.channel_layer.group_discard(name, self.channel_name)
            self.joined.remove(name)
        for name in wanted:
            await self.channel_layer.group_add(name, self.channel_name)
            if name not in self.joined:
                self.joined.append(name)
        return True

    # ------------------------------------------------------------------ client messages

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.closed:
            return
        if not self.bucket.take():
            await self.refuse(CLOSE_TOO_MANY, "Too many messages.")
            return
        try:
            content = json.loads(text_data) if text_data else None
        except ValueError:
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_json({"type": "error", "detail": ERR_BAD_JSON})
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif self.stream is None:
            if kind == "auth" and self.requires_login:
                token = content.get("token")
                user = await database_sync_to_async(selectors.user_for_token)(token)
                if user is None:
                    await self.refuse(CLOSE_UNAUTHENTICATED, "Invalid token.")
                else:
                    self.token_digest = credential_digest(token)
                    await self.start(user)
                    # Revoked between the check above and joining the user's group: that
                    # revocation was sent before we listened, so look once more.
                    if self.stream is not None and not self.closed:
                        if await database_sync_to_async(selectors.user_for_token)(token) is None:
                            await self.refuse(CLOSE_UNAUTHENTICATED)
            else:
                await self.refuse(CLOSE_UNAUTHENTICATED, ERR_AUTH_FIRST)
        elif kind == "resume":
            try:
                after = _parse_after(content.get("after"))
            except (TypeError, ValueError):
                await self.send_json({"type": "error", "detail": ERR_BAD_AFTER})
                return
            if self.resuming:
                await self.send_json({"type": "error", "detail": ERR_RESUMING})
                return
            self.start_resume(after)
        elif kind == "auth":
            await self.send_json({"type": "error", "detail": ERR_ALREADY_AUTHENTICATED})
        else:
            await self.send_json({"type": "error", "detail": interpolate(ERR_UNKNOWN_TYPE, type=kind[:40])})

    # ------------------------------------------------------------------ events

    async def complaint_event(self, message):
        """A live event from a group: filter by the one audience function, then forward."""
        if self.stream is None or self.closed:
            return
        if message.get("variant") != ("public" if self.stream.public else "staff"):
            return
        if not audience_allows(self.stream, message["facts"]):
            return
        if self.resuming:
            self.buffer.append(message)
            return
        await self._deliver(message["event_id"], message["text"])

    async def user_revoke(self, message):
        """A credential of this user was revoked: close if it opened this socket (or all were)."""
        if self.closed:
            return
        token, session = message.get("token"), message.get("session")
        if (token is None and session is None) or (token is not None and token == self.token_digest) or (
            session is not None and session == self.session_digest
        ):
            await self.refuse(CLOSE_UNAUTHENTICATED)

    async def user_recheck(self, message):
        """The user's roles, agency or crews changed: authorize again now, not at the next re-join."""
        if not self.closed and self.stream is not None:
            await self.recheck()

    async def _deliver(self, event_id: int, text: str) -> bool:
        """Send one event's JSON text unless this socket already has it."""
        if event_id in self.sent or event_id <= self.resume_floor:
            return False
        self.sent[event_id] = None
        if len(self.sent) > RECENT_IDS:
            self.sent.popitem(last=False)
        await self.send(text_data=text)
        return True

    def start_resume(self, after: int):
        self.resuming = True
        self.tasks.append(asyncio.ensure_future(self._resume(after)))

    async def _resume(self, after: int):
        """Replay the log after `after`, then the live events buffered meanwhile, deduplicated."""
        count, cursor, last = 0, after, after
        try:
            while True:
                cursor, scanned, batch = await database_sync_to_async(selectors.events_after)(
                    stream=self.stream, after=cursor
                )
                for event_id, payload in batch:
                    if await self._deliver(event_id, json.dumps(payload, separators=(",", ":"))):
                        count += 1
                    last = max(last, event_id)
                if scanned < selectors.RESUME_BATCH:
                    break
            # The client has everything up to `after` and got the log after it: a late live
            # copy of any of those ids is a duplicate.
            self.resume_floor = max(self.resume_floor, after)
            await self.send_json({"type": "resumed", "last_event_id": last, "count": count})
            while self.buffer:
                message = self.buffer.pop(0)
                await self._deliver(message["event_id"], message["text"])
        except asyncio.CancelledError:
            raise
        except Exception:  # database gone mid-resume: close so the client reconnects and resumes again
            logger.warning("resume after %s failed", after, exc_info=True)
            await self.refuse(CLOSE_SERVER_ERROR)
        finally:
            self.resuming = False
            self.buffer = []

    @property
    def user(self):
        return getattr(self, "_user", None)


class CrewConsumer(EventStreamConsumer):
    """/ws/crew/: a Tim Sigap member's crews' tickets."""

    async def is_authorized(self, user) -> bool:
        """Any active member of an active crew."""
        self._user = user
        stream = await database_sync_to_async(selectors.crew_stream_for)(user)
        if stream is None:
            self.refusal = CLOSE_FORBIDDEN
            return False
        self.stream = stream
        return True


class OpsConsumer(EventStreamConsumer):
    """/ws/ops/: the command center (whole city) or an agency desk, optionally one kecamatan."""

    async def is_authorized(self, user) -> bool:
        """Operators/leaders/admins city-wide, agency staff and supervisors their agency."""
        self._user = user
        code = (self.query.get("kecamatan") or "").strip() or None
        if code and not await database_sync_to_async(selectors.kecamatan_exists)(code):
            self.refusal = CLOSE_NOT_FOUND
            return False
        stream = await database_sync_to_async(selectors.ops_stream_for)(user, kecamatan_code=code)
        if stream is None:
            self.refusal = CLOSE_FORBIDDEN
            return False
        self.stream = stream
        return True


class ComplaintConsumer(EventStreamConsumer):
    """/ws/complaints/<tracking_code>/: a citizen follows one report; no login."""

    requires_login = False

    async def is_authorized(self, user) -> bool:
        """Anyone who knows the tracking code of an existing complaint."""
        self._user = user
        code = self.scope["url_route"]["kwargs"]["tracking_code"].strip().upper()
        if not await database_sync_to_async(selectors.complaint_exists)(code):
            self.refusal = CLOSE_NOT_FOUND
            return False
        self.stream = Stream(kind=PUBLIC, tracking_code=code)
        return True


class NotFoundConsumer(AsyncJsonWebsocketConsumer):
    """Any socket path no route matches: accepted, then closed 4404 (no router error)."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)

"""Reads for the realtime layer: who a socket user is, what stream they are entitled to, and
the resume query over the ComplaintEvent log. Synchronous: consumers call these through
`database_sync_to_async`."""

from __future__ import annotations

from django.db.models import Max, Q

from realtime.audience import CREW, MOVES, OPS, PUBLIC, Stream, audience_allows, client_message, event_facts

RESUME_BATCH = 500


def user_for_token(key) -> object | None:
    """The active user of a DRF auth token, or None."""
    from rest_framework.authtoken.models import Token

    if not isinstance(key, str) or not key or len(key) > 64:
        return None
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


def user_refresh(user):
    """The user re-read from the database (roles, crews and active flag may have changed)."""
    from django.contrib.auth import get_user_model

    if user is None or not getattr(user, "is_authenticated", False):
        return user
    return get_user_model().objects.filter(pk=user.pk, is_active=True).first()


def crew_stream_for(user) -> Stream | None:
    """The crews a Tim Sigap member belongs to (fieldops.permissions.stream_crew_ids), or None."""
    from fieldops import permissions

    crew_ids = permissions.stream_crew_ids(user)
    return Stream(kind=CREW, crew_ids=crew_ids) if crew_ids else None


def ops_stream_for(user, *, kecamatan_code: str | None = None) -> Stream | None:
    """The whole city (the user's government; every government for the province role and admins)
    or one agency, as fieldops.permissions.ops_stream_scope decides; else None."""
    from boundaries.models import Government
    from fieldops import permissions

    scope = permissions.ops_stream_scope(user)
    if not scope.allowed:
        return None
    governments = scope.government_ids
    if governments is None:
        governments = frozenset(Government.objects.values_list("id", flat=True))
    return Stream(kind=OPS, government_ids=frozenset(governments), agency_id=scope.agency_id,
                  kecamatan_code=kecamatan_code)


def kecamatan_exists(code: str) -> bool:
    from boundaries.models import AdminArea

    return AdminArea.objects.filter(level="kecamatan", code=code).exists()


def complaint_exists(tracking_code: str) -> bool:
    from fieldops.models import Complaint
    from fieldops.selectors import tracking_code_clean

    code = tracking_code_clean(tracking_code)
    return code is not None and Complaint.objects.filter(tracking_code=code).exists()


def stream_q(stream: Stream) -> Q:
    """A SQL pre-filter matching `audience_allows` (which still decides, row by row)."""
    if stream.kind == CREW:
        return Q(crew_id__in=stream.crew_ids) | Q(previous_crew_id__in=stream.crew_ids)
    if stream.kind == OPS:
        ids = sorted(stream.government_ids)
        q = Q(complaint__government_id__in=ids) | Q(type="transferred", data__from_government_id__in=ids)
        if stream.agency_id is not None:
            q &= Q(agency_id=stream.agency_id) | Q(type__in=MOVES, data__previous_agency_id=stream.agency_id)
        if stream.kecamatan_code:
            q &= Q(complaint__kecamatan__code=stream.kecamatan_code)
        return q
    if stream.kind == PUBLIC:
        from fieldops.models import public_events_q

        return Q(complaint__tracking_code=stream.tracking_code) & public_events_q()
    return Q(pk__in=[])


def last_event_id(stream: Stream) -> int:
    """The newest event id a client of this stream can use as its resume cursor."""
    from fieldops.models import ComplaintEvent

    qs = ComplaintEvent.objects.all()
    if stream.kind == PUBLIC:
        qs = qs.filter(complaint__tracking_code=stream.tracking_code)
    return qs.aggregate(m=Max("id"))["m"] or 0


def events_after(*, stream: Stream, after: int, limit: int = RESUME_BATCH) -> tuple[int, int, list[tuple[int, dict]]]:
    """One batch of the resume log: events with id > after that the stream may see, in id order.

    Returns (highest id scanned, rows scanned, [(event_id, client message)]). The messages are
    built by the same functions as live ones (realtime.envelope.event_envelope, then
    audience_allows and client_message), so a resumed event looks exactly like a live one,
    except that its complaint summary shows the complaint as it is now.
    """
    from realtime.envelope import event_envelope
    from fieldops.models import ComplaintEvent

    rows = list(
        ComplaintEvent.objects.filter(id__gt=after)
        .filter(stream_q(stream))
        .select_related(
            "complaint__category", "complaint__kecamatan", "complaint__kelurahan", "complaint__agency",
            "complaint__crew",
        )
        .order_by("id")[:limit]
    )
    out = []
    for event in rows:
        envelope = event_envelope(event, event.complaint)
        if audience_allows(stream, event_facts(envelope)):
            out.append((event.pk, client_message(envelope, public=stream.public)))
    return (rows[-1].pk if rows else after), len(rows), out

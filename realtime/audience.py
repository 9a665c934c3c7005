"""Who may see which complaint event, and what each audience is sent.

One decision function, `audience_allows`, is used both for live events (in the consumer, on
every message a group delivers) and for resumed events (in `realtime.selectors.events_after`,
on every row read back from the ComplaintEvent log). The channel-layer groups only route
coarsely; this function is the authority, so a resumed stream and a live one can never
disagree about what a crew, an agency desk or a citizen may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Streams: a Tim Sigap crew member's phone, a command-center or agency desk, a citizen's
# tracking page.
CREW, OPS, PUBLIC = "crew", "ops", "public"
# The event types that move a complaint away from an agency (and, a transfer, from a government).
MOVES = ("rerouted", "transferred")


@dataclass(frozen=True)
class Stream:
    """What one socket is entitled to."""

    kind: str
    crew_ids: frozenset = field(default_factory=frozenset)
    # OPS: the governments whose events the desk receives (its own; every government for the
    # province role and admins, listed when the socket authorized).
    government_ids: frozenset = field(default_factory=frozenset)
    # OPS: None means every agency of those governments (command center, leaders); otherwise one agency.
    agency_id: int | None = None
    # OPS: optional kecamatan (sub-district) filter, by area code.
    kecamatan_code: str | None = None
    # PUBLIC: the complaint a citizen follows.
    tracking_code: str | None = None

    @property
    def public(self) -> bool:
        return self.kind == PUBLIC


def event_facts(envelope: dict) -> dict:
    """The routing facts of an event envelope (built by realtime.envelope.event_envelope)."""
    audience = envelope.get("audience") or {}
    data = envelope.get("data") or {}
    return {
        "agency_id": audience.get("agency_id"),
        # A rerouted or transferred complaint is also announced to the agency it left.
        "previous_agency_id": data.get("previous_agency_id") if envelope.get("type") in MOVES else None,
        # A transferred complaint is also announced to the government it left (issue 18).
        "government_id": audience.get("government_id"),
        "previous_government_id": data.get("from_government_id") if envelope.get("type") == "transferred" else None,
        "crew_id": audience.get("crew_id"),
        "previous_crew_id": audience.get("previous_crew_id"),
        "kecamatan_code": audience.get("kecamatan_code"),
        "tracking_code": audience.get("tracking_code"),
        "is_public": bool(envelope.get("is_public")),
        "type": envelope.get("type"),
        "from_status": envelope.get("from_status") or "",
        "to_status": envelope.get("to_status") or "",
    }


def audience_allows(stream: Stream, facts: dict) -> bool:
    """THE filter: may this stream see the event with these facts?"""
    if stream.kind == CREW:
        # The crew's tickets, including the event that reassigned one away from it.
        return facts["crew_id"] in stream.crew_ids or facts["previous_crew_id"] in stream.crew_ids
    if stream.kind == OPS:
        if not ({facts.get("government_id"), facts.get("previous_government_id")} & stream.government_ids):
            return False
        if stream.agency_id is not None and stream.agency_id not in (facts["agency_id"], facts["previous_agency_id"]):
            return False
        if stream.kecamatan_code and facts["kecamatan_code"] != stream.kecamatan_code:
            return False
        return True
    if stream.kind == PUBLIC:
        # `is_public` is fieldops' one visibility rule, applied when the envelope was built.
        return facts["tracking_code"] == stream.tracking_code and facts["is_public"]
    return False


def client_message(envelope: dict, *, public: bool) -> dict:
    """The JSON a socket client receives for one event.

    Staff streams get the staff summary and the note; the public stream gets
    `complaint_public` only (never reporter contact, never notes: the tracking page re-reads its
    timeline, where fieldops' rule shows the public reasons) and the public data.
    """
    message = {
        "type": envelope["type"],
        "event_id": envelope["event_id"],
        "at": envelope["at"],
        "from_status": envelope.get("from_status") or "",
        "to_status": envelope.get("to_status") or "",
    }
    data = envelope.get("data") or {}
    if public:
        message["complaint"] = envelope["complaint_public"]
        message["data"] = envelope.get("public_data") or {}
    else:
        message["complaint"] = envelope["complaint"]
        message["note"] = envelope.get("note") or ""
        message["data"] = data
    return message

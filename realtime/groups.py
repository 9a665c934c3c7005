"""Channel-layer group names, built in one place. Dot-separated: channels forbids colons.

Groups are kept small on purpose: most events concern one crew, one agency or one complaint,
so each is sent to a handful of sockets instead of one city-wide group.
"""

from __future__ import annotations

from realtime.audience import CREW, OPS, PUBLIC, Stream


def crew_group(crew_id: int) -> str:
    return f"crew.{crew_id}"


def ops_government_group(government_id: int) -> str:
    """The operators and leaders of one government (issue 18: replaces ops.all)."""
    return f"ops.gov.{government_id}"


def ops_agency_group(agency_id: int) -> str:
    return f"ops.agency.{agency_id}"


def complaint_group(tracking_code: str) -> str:
    return f"complaint.{tracking_code}"


def user_group(user_id: int) -> str:
    """Every staff socket of one user: revocations (realtime.revocation) are sent here."""
    return f"user.{user_id}"


def groups_for_stream(stream: Stream) -> list[str]:
    """The groups a socket with this stream joins."""
    if stream.kind == CREW:
        return [crew_group(c) for c in sorted(stream.crew_ids)]
    if stream.kind == OPS:
        if stream.agency_id is not None:
            return [ops_agency_group(stream.agency_id)]
        return [ops_government_group(g) for g in sorted(stream.government_ids)]
    if stream.kind == PUBLIC:
        return [complaint_group(stream.tracking_code)]
    return []

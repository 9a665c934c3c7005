"""The red/yellow/green workflow: every transition of a complaint is a service here.

Each service locks the complaint row (`SELECT ... FOR UPDATE`), checks the current status
against the statuses it may leave from, changes the row and writes exactly one event through
`fieldops.events.event_record`, all in one transaction. Two concurrent transitions on one
complaint therefore run one after the other: the second sees the first's result and gets a 409
naming the current and the requested status.

    new (red) → verified (red) → assigned (yellow) → in_progress (yellow) → resolved (green) → closed (green)
    on_hold (red, "menunggu tindak lanjut", reason), rejected (reason), duplicate (of an original),
    reopened (yellow; by the reporter with their token, within 14 days of resolution, reason)
    transfer: to a neighbouring government of the deployment (back to new, for it to verify)

Who may call which service is decided by `fieldops.permissions` in the API layer; the services
check what depends on the actor beyond that (the supervisor override). Photos and the proof a
resolution needs live in `fieldops.proof`; the reporter token in `fieldops.reporters`.

Each service takes the complaint its caller loaded and answers the locked, changed row: a
request reads the complaint once to authorize, and once more under the lock
(`fieldops.selectors.complaint_lock`), never a third time for its answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from boundaries.models import Agency, Government
from boundaries.neighbours import NEIGHBOUR_DISTANCE_M, governments_near
from common.errors import interpolate
from fieldops import permissions
from fieldops.errors import (
    FieldError,
    TargetForbidden,
    TargetNotFound,
    TransitionError,
    WorkflowError,
    WorkflowForbidden,
)
from fieldops.events import complaint_touch, event_record
from fieldops.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    ComplaintFollower,
    Crew,
    EventType,
    GovernmentCategory,
    Status,
)
from fieldops.proof import proof_problems
from fieldops.reporters import reporter_authenticate
from fieldops.selectors import complaint_lock, display_code, tracking_code_clean
from fieldops.text import check_text, clean_text

REOPEN_WINDOW_DAYS = 14
NOTE_MAX = 2000
PRIORITIES = (1, 2, 3)

ERR_TRANSITION = gettext_lazy("Cannot change complaint %(code)s from “%(current)s” to “%(requested)s”.")
ERR_REASON_REQUIRED = gettext_lazy("A reason is required.")
ERR_NOTE_REQUIRED = gettext_lazy("The note may not be empty.")
ERR_TEXT_LONG = gettext_lazy("At most %(max)s characters (it has %(length)s).")
ERR_CREW_OTHER_AGENCY = gettext_lazy("Crew %(crew)s belongs to %(crew_agency)s, not to %(agency)s, the agency of this complaint; reroute it first.")
ERR_ALREADY_ASSIGNED = gettext_lazy("Complaint %(code)s is already assigned to %(crew)s.")
ERR_NO_CREW = gettext_lazy("Complaint %(code)s has no crew assigned; assign one before starting work.")
ERR_AGENCY_SAME = gettext_lazy("Complaint %(code)s is already with %(agency)s.")
ERR_DUPLICATE_OF_REQUIRED = gettext_lazy("Give the tracking code of the original complaint.")
ERR_DUPLICATE_OF_UNKNOWN = gettext_lazy("No complaint with tracking code %(code)r.")
ERR_DUPLICATE_OF_OUT_OF_SCOPE = gettext_lazy(
    "%(code)s is a duplicate of %(original)s, which is not in your scope; ask the command center to link them."
)
ERR_DUPLICATE_SELF = gettext_lazy("A complaint cannot be a duplicate of itself.")
ERR_DUPLICATE_CLOSED_ORIGINAL = gettext_lazy("The original %(code)s is “%(status)s”; choose an original that is not rejected.")
ERR_PRIORITY = gettext_lazy("Priority must be 1 (high), 2 (normal) or 3 (low).")
ERR_RESOLVE_PHOTOS = gettext_lazy("Complaint %(code)s cannot be resolved: it needs a before and an after photo taken on site.")
ERR_OVERRIDE_ROLE = gettext_lazy("Only a supervisor of the complaint's agency may resolve without the photo proof.")
ERR_OVERRIDE_REASON = gettext_lazy("An override needs a reason.")
ERR_TRANSFER_SAME = gettext_lazy("Complaint %(code)s is already with %(government)s.")
ERR_TRANSFER_INACTIVE = gettext_lazy("%(government)s is not active on this deployment.")
ERR_TRANSFER_NOT_NEIGHBOUR = gettext_lazy(
    "%(government)s does not border %(current)s within %(km)s km of this report; only a neighbouring government can take it over."
)
ERR_TRANSFER_NO_COMMAND_CENTER = gettext_lazy("%(government)s has no command center yet to receive the complaint.")
ERR_REOPEN_WINDOW = gettext_lazy("Complaint %(code)s was resolved more than %(days)s days ago and can no longer be reopened.")


# Action → (statuses it may leave from, status it goes to). None: the status does not change.
TRANSITIONS: dict[str, tuple[set[str], str | None]] = {
    "verify": ({Status.NEW}, Status.VERIFIED),
    "assign": ({Status.NEW, Status.VERIFIED, Status.ON_HOLD, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED},
               Status.ASSIGNED),
    "reroute": ({Status.NEW, Status.VERIFIED, Status.ON_HOLD, Status.ASSIGNED, Status.REOPENED}, Status.VERIFIED),
    "start": ({Status.ASSIGNED, Status.REOPENED, Status.ON_HOLD}, Status.IN_PROGRESS),
    "hold": ({Status.NEW, Status.VERIFIED, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED}, Status.ON_HOLD),
    "reject": ({Status.NEW, Status.VERIFIED, Status.ON_HOLD}, Status.REJECTED),
    "duplicate": ({Status.NEW, Status.VERIFIED, Status.ON_HOLD}, Status.DUPLICATE),
    "resolve": ({Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED}, Status.RESOLVED),
    "close": ({Status.RESOLVED}, Status.CLOSED),
    "reopen": ({Status.RESOLVED, Status.CLOSED}, Status.REOPENED),
    # Before a crew is at work on it: the new government verifies it again.
    "transfer": ({Status.NEW, Status.VERIFIED, Status.ON_HOLD, Status.ASSIGNED, Status.REOPENED}, Status.NEW),
}
# Plain strings: they end up in messages and JSON.
TRANSITIONS = {a: ({str(s.value) for s in froms}, str(to.value)) for a, (froms, to) in TRANSITIONS.items()}


# ---------------------------------------------------------------- helpers


def _check_from(c: Complaint, action: str, requested: str | None = None) -> None:
    allowed, to_status = TRANSITIONS[action]
    if c.status not in allowed:
        requested = requested or to_status
        raise TransitionError(
            interpolate(ERR_TRANSITION, code=c.tracking_code, current=Status(c.status).label,
                        requested=Status(requested).label if requested else "-"),
            {"current_status": c.status, "requested_status": requested, "action": action},
        )


def _text(value, *, field: str, required: bool, message: str = ERR_REASON_REQUIRED, max_len: int = NOTE_MAX) -> str:
    text = clean_text(value or "", field=field).strip()
    if required and not text:
        raise FieldError(field, message, "required")
    if len(text) > max_len:
        raise FieldError(field, interpolate(ERR_TEXT_LONG, max=max_len, length=len(text)), "max_length")
    return text


def _move(c: Complaint, *, actor, action: str, to_status: str, note: str = "", data: dict | None = None,
          event_type: str = EventType.STATUS, is_public: bool = True, previous_crew_id: int | None = None,
          extra_fields: tuple[str, ...] = (), location=None, now=None) -> ComplaintEvent:
    """Set the new status, save and write the one event of this transition."""
    now = now or timezone.now()
    from_status = c.status
    to_status = str(getattr(to_status, "value", to_status))
    c.status = to_status
    fields = ["status", *extra_fields, *complaint_touch(c, actor, now)]
    c.save(update_fields=list(dict.fromkeys(fields)))
    return event_record(
        complaint=c, type=event_type, actor=actor, from_status=from_status, to_status=to_status, note=note,
        is_public=is_public, previous_crew_id=previous_crew_id, location=location, at=now,
        data={"action": action, **(data or {})},
    )


# ---------------------------------------------------------------- transitions


def _transition(complaint: Complaint, *, actor, action: str, note: str,
                check: Callable[[Complaint], None] | None = None, stamp: str | None = None) -> Complaint:
    """A transition that changes the status (with its note) and perhaps stamps when: lock, check, move.

    `check(c)` may refuse the locked row; `stamp` names the time field set to now."""
    with transaction.atomic():
        c = complaint_lock(complaint)
        _check_from(c, action)
        if check is not None:
            check(c)
        now = timezone.now()
        if stamp:
            setattr(c, stamp, now)
        _move(c, actor=actor, action=action, to_status=TRANSITIONS[action][1], note=note, now=now,
              extra_fields=(stamp,) if stamp else ())
    return c


def complaint_verify(*, complaint: Complaint, actor, note: str = "") -> Complaint:
    """An operator or the agency confirms a new report is real: new → verified."""
    return _transition(complaint, actor=actor, action="verify", note=_text(note, field="note", required=False))


def complaint_assign(*, complaint: Complaint, actor, crew: Crew, note: str = "") -> Complaint:
    """Dispatch to a Tim Sigap crew of the complaint's agency (or reassign): → assigned."""
    note = _text(note, field="note", required=False)
    with transaction.atomic():
        c = complaint_lock(complaint)
        _check_from(c, "assign")
        if crew.agency_id != c.agency_id:
            raise FieldError("crew", interpolate(ERR_CREW_OTHER_AGENCY,
                crew=crew.name, crew_agency=crew.agency.short_name or crew.agency.name,
                agency=c.agency.short_name or c.agency.name))
        if c.crew_id == crew.pk and c.status == Status.ASSIGNED:
            raise TransitionError(interpolate(ERR_ALREADY_ASSIGNED, code=c.tracking_code, crew=crew.name),
                                  {"current_status": c.status, "requested_status": Status.ASSIGNED, "action": "assign"})
        previous = c.crew_id
        c.crew = crew
        _move(c, actor=actor, action="assign", to_status=Status.ASSIGNED, note=note, event_type=EventType.ASSIGNED,
              previous_crew_id=previous, extra_fields=("crew",),
              data={"crew_id": crew.pk, "crew": crew.name, "previous_crew_id": previous})
    return c


def complaint_reroute(*, complaint: Complaint, actor, agency: Agency, reason: str) -> Complaint:
    """Send a misrouted complaint to another OPD (reason required); its crew is released."""
    reason = _text(reason, field="reason", required=True)
    with transaction.atomic():
        c = complaint_lock(complaint)
        _check_from(c, "reroute")
        if agency.pk == c.agency_id:
            raise FieldError("agency", interpolate(ERR_AGENCY_SAME, code=c.tracking_code, agency=agency.name))
        previous_agency = c.agency
        previous_crew = c.crew_id
        c.agency = agency
        c.crew = None
        # A fresh report stays new for the new agency to verify; anything further is verified.
        to_status = Status.NEW if c.status == Status.NEW else Status.VERIFIED
        _move(c, actor=actor, action="reroute", to_status=to_status, note=reason, event_type=EventType.REROUTED,
              previous_crew_id=previous_crew, extra_fields=("agency", "crew"),
              data={"agency": agency.code, "previous_agency": previous_agency.code,
                    "previous_agency_id": previous_agency.pk, "previous_crew_id": previous_crew})
    return c


class TransferConflict(FieldError):
    """The government asked for cannot take the complaint now (no command center): 409."""

    http_status = 409


def complaint_transfer(complaint: Complaint, *, to_government: Government, actor, note: str) -> Complaint:
    """Hand a complaint to a neighbouring government of this deployment (reason required).

    The neighbour's command center receives it (it triages, as for anything its rules do not
    route), back to new with a fresh SLA of the neighbour; the crew is released. Areas stay as
    routed (they say where the pin is). One event, `transferred`, records both governments; the
    public reads "Transferred to <government>" with the reason."""
    note = _text(note, field="note", required=True)
    if not to_government.active:
        raise FieldError("government", interpolate(ERR_TRANSFER_INACTIVE, government=to_government.name), "inactive")
    with transaction.atomic():
        c = complaint_lock(complaint)
        _check_from(c, "transfer")
        previous_government = c.government
        if to_government.pk == c.government_id:
            raise FieldError("government", interpolate(ERR_TRANSFER_SAME, code=c.tracking_code,
                                                       government=to_government.name), "same")
        near = {g.id for g in governments_near(government_id=c.government_id, lon=c.location.x, lat=c.location.y)}
        if to_government.pk not in near:
            raise FieldError("government", interpolate(ERR_TRANSFER_NOT_NEIGHBOUR, government=to_government.name,
                current=previous_government.name, km=f"{NEIGHBOUR_DISTANCE_M / 1000:g}"), "not_neighbour")
        agency = Agency.command_center(to_government)
        if agency is None or not agency.active:
            raise TransferConflict("government", interpolate(ERR_TRANSFER_NO_COMMAND_CENTER,
                                                             government=to_government.name), "no_command_center")
        previous_agency, previous_crew = c.agency, c.crew_id
        setting = GovernmentCategory.objects.filter(government=to_government, category_id=c.category_id).first()
        sla = (setting.sla_hours if setting and setting.sla_hours else None) or c.category.sla_hours
        now = timezone.now()
        c.government, c.agency, c.crew = to_government, agency, None
        c.due_at, c.escalated_at = now + timedelta(hours=sla), None
        _move(c, actor=actor, action="transfer", to_status=TRANSITIONS["transfer"][1], note=note, now=now,
              event_type=EventType.TRANSFERRED, previous_crew_id=previous_crew,
              extra_fields=("government", "agency", "crew", "due_at", "escalated_at"),
              data={"from_government": previous_government.code, "from_government_name": previous_government.name,
                    "from_government_id": previous_government.pk,
                    "to_government": to_government.code, "to_government_name": to_government.name,
                    "to_government_id": to_government.pk,
                    "agency": agency.code, "previous_agency": previous_agency.code,
                    "previous_agency_id": previous_agency.pk, "previous_crew_id": previous_crew})
    return c


def transfer_targets(complaint: Complaint) -> list:
    """The governments this complaint may be transferred to (`boundaries.neighbours`' rule), nearest first."""
    return governments_near(government_id=complaint.government_id, lon=complaint.location.x, lat=complaint.location.y)


def complaint_start(*, complaint: Complaint, actor, note: str = "") -> Complaint:
    """The crew starts work on site: → in_progress."""

    def crew_assigned(c: Complaint) -> None:
        if c.crew_id is None:
            raise TransitionError(interpolate(ERR_NO_CREW, code=c.tracking_code),
                                  {"current_status": c.status, "requested_status": Status.IN_PROGRESS,
                                   "action": "start"})

    return _transition(complaint, actor=actor, action="start", note=_text(note, field="note", required=False),
                       check=crew_assigned)


def complaint_hold(*, complaint: Complaint, actor, reason: str) -> Complaint:
    """"Menunggu tindak lanjut": the problem is complex and waits (reason required)."""
    return _transition(complaint, actor=actor, action="hold", note=_text(reason, field="reason", required=True))


def complaint_reject(*, complaint: Complaint, actor, reason: str) -> Complaint:
    """Not a valid complaint (reason required): → rejected."""
    return _transition(complaint, actor=actor, action="reject", note=_text(reason, field="reason", required=True))


def complaint_mark_duplicate(*, complaint: Complaint, actor, of, note: str = "") -> Complaint:
    """Link a report to its original; the original's followers gain this report's reporter."""
    note = _text(note, field="note", required=False)
    code = of.tracking_code if isinstance(of, Complaint) else str(of or "").strip().upper()
    if not code:
        raise FieldError("of", ERR_DUPLICATE_OF_REQUIRED, "required")
    check_text(code, field="of")
    clean = tracking_code_clean(code)
    target = Complaint.objects.filter(tracking_code=clean).first() if clean else None
    # A merge writes to the original (a follower with this reporter's contact, an event): the
    # actor must be allowed to act on it exactly as on the complaint acted on.
    if target is None or not permissions.may_act(actor, "duplicate", target):
        raise TargetNotFound("of", interpolate(ERR_DUPLICATE_OF_UNKNOWN, code=display_code(code)), "unknown")
    named = target.tracking_code
    # Follow a chain of duplicates to the original.
    seen = set()
    while target.duplicate_of_id and target.pk not in seen:
        seen.add(target.pk)
        target = target.duplicate_of
    if target.pk == complaint.pk:
        raise FieldError("of", ERR_DUPLICATE_SELF)
    with transaction.atomic():
        # Lock both rows in id order so two merges in opposite directions cannot deadlock.
        first, second = sorted([complaint.pk, target.pk])
        locked = {first: complaint_lock(first), second: complaint_lock(second)}
        c, original = locked[complaint.pk], locked[target.pk]
        # Checked again on the locked row: the original may lie at the end of a chain (or have
        # been rerouted since the lookup).
        if not permissions.may_act(actor, "duplicate", original):
            if original.tracking_code == named:
                raise TargetNotFound("of", interpolate(ERR_DUPLICATE_OF_UNKNOWN, code=named), "unknown")
            raise TargetForbidden("of", interpolate(ERR_DUPLICATE_OF_OUT_OF_SCOPE,
                code=named, original=original.tracking_code), "forbidden")
        _check_from(c, "duplicate")
        if original.status == Status.REJECTED or original.duplicate_of_id:
            raise FieldError("of", interpolate(ERR_DUPLICATE_CLOSED_ORIGINAL, code=original.tracking_code, status=Status(original.status).label))
        now = timezone.now()
        c.duplicate_of = original
        _move(c, actor=actor, action="duplicate", to_status=Status.DUPLICATE, note=note, now=now,
              extra_fields=("duplicate_of",), data={"duplicate_of": original.tracking_code})
        if c.reporter_token_hash or c.reporter_phone or c.reporter_email:
            ComplaintFollower.objects.get_or_create(
                complaint=original, source=c,
                defaults={"reporter_token_hash": c.reporter_token_hash, "name": c.reporter_name,
                          "phone": c.reporter_phone, "email": c.reporter_email},
            )
        # Followers this report had gathered move to the original, and so do its own duplicates.
        ComplaintFollower.objects.filter(complaint=c).exclude(
            source__in=ComplaintFollower.objects.filter(complaint=original).values("source")
        ).update(complaint=original)
        Complaint.objects.filter(duplicate_of=c).update(duplicate_of=original)
        original.updated_at = now
        original.save(update_fields=["updated_at"])
        event_record(complaint=original, type=EventType.FOLLOWER, actor=actor, at=now,
                     data={"action": "duplicate", "duplicate": c.tracking_code,
                           "followers": original.followers.count()})
    return c


def complaint_resolve(*, complaint: Complaint, actor, note: str = "", override: bool = False,
                      override_reason: str = "") -> Complaint:
    """Done on site, proven by geotagged before and after photos (or a supervisor's recorded override)."""
    note = _text(note, field="note", required=False)
    override_reason = _text(override_reason, field="override_reason", required=False)
    with transaction.atomic():
        c = complaint_lock(complaint)
        _check_from(c, "resolve")
        data: dict = {}
        if override:
            if not permissions.may_override_resolution(actor, c):
                raise WorkflowForbidden(ERR_OVERRIDE_ROLE)
            if not override_reason:
                raise FieldError("override_reason", ERR_OVERRIDE_REASON, "required")
            # The event log keeps the reasons as text (in the language of the request that resolved).
            problems = {kind: str(message) for kind, message in proof_problems(c).items()}
            data = {"override": True, "override_reason": override_reason, "photo_problems": problems}
            c.resolution_override, c.resolution_override_reason = True, override_reason
        else:
            problems = proof_problems(c)
            if problems:
                raise WorkflowError(interpolate(ERR_RESOLVE_PHOTOS, code=c.tracking_code),
                                    {kind: [msg] for kind, msg in problems.items()})
            c.resolution_override, c.resolution_override_reason = False, ""
        now = timezone.now()
        c.resolved_at = now
        _move(c, actor=actor, action="resolve", to_status=Status.RESOLVED, note=note, now=now, data=data,
              extra_fields=("resolved_at", "resolution_override", "resolution_override_reason"))
    return c


def complaint_close(*, complaint: Complaint, actor, note: str = "") -> Complaint:
    """The agency accepts the resolution: resolved → closed."""
    return _transition(complaint, actor=actor, action="close", note=_text(note, field="note", required=False),
                       stamp="closed_at")


def complaint_reopen(*, complaint: Complaint, reporter_token: str, reason: str) -> Complaint:
    """The reporter is not satisfied: within 14 days of resolution, back to yellow (reason required).

    The reporter proves who they are with their token; the request is checked in that order."""
    reporter_authenticate(complaint=complaint, token=reporter_token)
    reason = _text(reason, field="reason", required=True)
    with transaction.atomic():
        c = complaint_lock(complaint)
        _check_from(c, "reopen")
        now = timezone.now()
        if c.resolved_at and now - c.resolved_at > timedelta(days=REOPEN_WINDOW_DAYS):
            raise TransitionError(interpolate(ERR_REOPEN_WINDOW, code=c.tracking_code, days=REOPEN_WINDOW_DAYS),
                                  {"current_status": c.status, "requested_status": Status.REOPENED, "action": "reopen"})
        previous_resolved = c.resolved_at
        c.resolved_at = None
        c.closed_at = None
        c.resolution_override, c.resolution_override_reason = False, ""
        # A new deadline, and a new escalation if it is missed again.
        c.due_at = now + timedelta(hours=c.category.sla_hours)
        c.escalated_at = None
        _move(c, actor=None, action="reopen", to_status=Status.REOPENED, note=reason, now=now,
              extra_fields=("resolved_at", "closed_at", "resolution_override", "resolution_override_reason",
                            "due_at", "escalated_at"),
              data={"by": "reporter",
                    "previous_resolved_at": previous_resolved.isoformat() if previous_resolved else None})
    return c


def complaint_set_priority(*, complaint: Complaint, actor, priority: int) -> Complaint:
    """1 high, 2 normal, 3 low; a staff-only event."""
    if priority not in PRIORITIES:
        raise FieldError("priority", ERR_PRIORITY)
    value = priority
    with transaction.atomic():
        c = complaint_lock(complaint)
        now = timezone.now()
        previous = c.priority
        c.priority = value
        fields = ["priority", *complaint_touch(c, actor, now)]
        c.save(update_fields=fields)
        event_record(complaint=c, type=EventType.PRIORITY, actor=actor, is_public=False, at=now,
                     from_status=c.status, to_status=c.status,
                     data={"action": "priority", "priority": value, "previous_priority": previous})
    return c


def complaint_add_note(*, complaint: Complaint, actor, note: str) -> Complaint:
    """An internal note for staff (never public)."""
    note = _text(note, field="note", required=True, message=ERR_NOTE_REQUIRED)
    with transaction.atomic():
        c = complaint_lock(complaint)
        now = timezone.now()
        c.save(update_fields=complaint_touch(c, actor, now))
        event_record(complaint=c, type=EventType.NOTE, actor=actor, note=note, is_public=False, at=now,
                     from_status=c.status, to_status=c.status, data={"action": "note"})
    return c


# ---------------------------------------------------------------- SLA


def complaint_escalate_overdue(*, now=None, limit: int = 5000) -> list[str]:
    """Raise one `escalated` event per complaint that went overdue, once, for the agency's
    supervisors and the command center of the complaint's government. Returns the tracking codes
    escalated by this run."""
    now = now or timezone.now()
    command_centers: dict[int, Agency | None] = {}
    done: list[str] = []
    with transaction.atomic():
        # SKIP LOCKED: a complaint being changed right now is escalated by the next run, and two
        # runs at once never escalate the same complaint twice.
        rows = list(
            Complaint.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("category", "agency", "kecamatan", "kelurahan", "crew")
            .filter(status__in=OPEN_STATUSES, due_at__lt=now, escalated_at__isnull=True)
            .order_by("due_at", "id")[:limit]
        )
        supervisors: dict[int, list[str]] = {}
        for c in rows:
            if c.agency_id not in supervisors:
                supervisors[c.agency_id] = permissions.supervisor_usernames(c.agency_id)
            if c.government_id not in command_centers:
                command_centers[c.government_id] = Agency.command_center(c.government_id)
            command_center = command_centers[c.government_id]
            c.escalated_at = now
            c.save(update_fields=["escalated_at"])
            event_record(
                complaint=c, type=EventType.ESCALATED, at=now, is_public=False,
                from_status=c.status, to_status=c.status,
                data={"action": "escalate", "due_at": c.due_at.isoformat(),
                      "overdue_hours": round((now - c.due_at).total_seconds() / 3600, 1),
                      "notify": {"supervisors": supervisors[c.agency_id],
                                 "agency": c.agency.code,
                                 "command_center": command_center.code if command_center else None}},
            )
            done.append(c.tracking_code)
    return done

"""Complaints, their append-only event log, Tim Sigap crews and photos."""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from boundaries.models import STORAGE_SRID, AdminArea, Agency, BoundaryGeneration, Government


class Category(models.Model):
    """A kind of complaint (roads, drainage, garbage...), with its default OPD and SLA."""

    slug = models.SlugField(max_length=60, unique=True)
    name_id = models.CharField("name (Bahasa Indonesia)", max_length=120)
    name_en = models.CharField("name (English)", max_length=120)
    description = models.CharField(max_length=300, blank=True)
    default_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sla_hours = models.PositiveIntegerField(default=72)
    # Private categories (e.g. reports about a person) never show their exact location publicly.
    is_private = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name_id

    def name_for(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_id


class GovernmentCategory(models.Model):
    """A catalogue category that one government handles: its OPD and SLA there.

    Categories are one catalogue for the deployment; a government offers those it enabled here
    (`active`), sends them to `agency` when no routing rule says otherwise, and answers them
    within `sla_hours` (empty: the category's)."""

    government = models.ForeignKey(Government, on_delete=models.CASCADE, related_name="categories")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="governments")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sla_hours = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["government", "category__order"]
        constraints = [models.UniqueConstraint(fields=["government", "category"], name="uniq_category_per_government")]

    def __str__(self):
        return f"{self.category} @ {self.government}"


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    MOBILE = "mobile", _("Mobile")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social media")
    # Names of products and standards are the same in every language.
    WHATSAPP = "whatsapp", "WhatsApp"
    OPEN311 = "open311", "Open311"
    LAPOR = "lapor", "SP4N-LAPOR!"


class Status(models.TextChoices):
    # Short words ("New", "Closed") mean other things elsewhere: translators get the context.
    NEW = "new", pgettext_lazy("complaint status", "New")
    VERIFIED = "verified", pgettext_lazy("complaint status", "Verified")
    ON_HOLD = "on_hold", pgettext_lazy("complaint status", "Awaiting follow-up")
    ASSIGNED = "assigned", pgettext_lazy("complaint status", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("complaint status", "In progress")
    REOPENED = "reopened", pgettext_lazy("complaint status", "Reopened")
    RESOLVED = "resolved", pgettext_lazy("complaint status", "Resolved")
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")
    REJECTED = "rejected", pgettext_lazy("complaint status", "Rejected")
    DUPLICATE = "duplicate", pgettext_lazy("complaint status", "Duplicate")


# The colors citizens know from LAKSA: red waits, yellow is being worked, green is done.
STATUS_COLOR = {
    Status.NEW: "red",
    Status.VERIFIED: "red",
    Status.ON_HOLD: "red",
    Status.ASSIGNED: "yellow",
    Status.IN_PROGRESS: "yellow",
    Status.REOPENED: "yellow",
    Status.RESOLVED: "green",
    Status.CLOSED: "green",
    Status.REJECTED: "grey",
    Status.DUPLICATE: "grey",
}


def status_color(status: str) -> str:
    """The colour of a status (red waits, yellow is being worked, green is done; grey otherwise)."""
    return STATUS_COLOR.get(status, "grey")


OPEN_STATUSES = [Status.NEW, Status.VERIFIED, Status.ON_HOLD, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED]


class Crew(models.Model):
    """A Tim Sigap field crew belonging to one agency."""

    name = models.CharField(max_length=120)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="crews")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="CrewMember", related_name="crews")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency__code", "name"]

    def __str__(self):
        return f"{self.name} ({self.agency.short_name})"


class CrewMember(models.Model):
    crew = models.ForeignKey(Crew, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crew_memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["crew", "user"], name="uniq_crew_member")]


class StaffProfile(models.Model):
    """Which government and agency a staff account works for (agency staff, supervisors, crew
    members, operators, leaders). No government: the province role (every government)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    government = models.ForeignKey(Government, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff")
    phone = models.CharField(max_length=40, blank=True)

    def __str__(self):
        return f"{self.user} @ {self.agency or '-'}"


def report_language() -> str:
    """The active language when a report is made (the request's), else the site's."""
    from django.utils import translation

    return (translation.get_language() or settings.LANGUAGE_CODE)[:8]


class Complaint(models.Model):
    """A citizen report, stored as a point and routed to areas and an agency when created."""

    tracking_code = models.CharField(max_length=16, unique=True)
    location = models.PointField(srid=STORAGE_SRID)
    accuracy_m = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    description = models.TextField(max_length=4000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="complaints")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    priority = models.PositiveSmallIntegerField(default=2)  # 1 high, 2 normal, 3 low
    kecamatan = models.ForeignKey(AdminArea, null=True, on_delete=models.PROTECT, related_name="+")
    kelurahan = models.ForeignKey(AdminArea, null=True, on_delete=models.PROTECT, related_name="+")
    government = models.ForeignKey(Government, on_delete=models.PROTECT, related_name="complaints")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="complaints")
    # The boundaries this complaint was routed with; a later redraw does not move it.
    generation = models.ForeignKey(BoundaryGeneration, on_delete=models.PROTECT, related_name="+")
    crew = models.ForeignKey(Crew, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints")
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates")
    # Reporter contact: private, never in public responses.
    reporter_name = models.CharField(max_length=120, blank=True)
    reporter_phone = models.CharField(max_length=40, blank=True)
    reporter_email = models.EmailField(blank=True)
    # The reporter agreed to get status changes on reporter_phone (WhatsApp/SMS gateway).
    reporter_phone_consent = models.BooleanField(default=False)
    # The language the report was made in: the reporter's messages are written in it.
    reporter_language = models.CharField(max_length=8, default=report_language)
    is_anonymous = models.BooleanField(default=False)
    reporter_token_hash = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A supervisor may resolve without the geotagged before/after photos; who and why is kept.
    resolution_override = models.BooleanField(default=False)
    resolution_override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["government", "status"]),
            models.Index(fields=["category", "created_at"]),
        ]

    def __str__(self):
        return self.tracking_code

    @property
    def status_color(self) -> str:
        return status_color(self.status)


class ComplaintFollower(models.Model):
    """A reporter who follows a complaint: the reporters of its duplicates gain its updates."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="followers")
    # The duplicate report this follower came from (its reporter token keeps working there).
    source = models.ForeignKey(Complaint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reporter_token_hash = models.CharField(max_length=64, blank=True)
    # Contact of the follower: private like the reporter contact of a complaint.
    name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "source"], name="uniq_follower_source"),
        ]


class EventType(models.TextChoices):
    CREATED = "created", _("Report received")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned to a crew")
    REROUTED = "rerouted", _("Rerouted to another agency")
    PHOTO = "photo", _("Photo added")
    NOTE = "note", _("Note")
    PRIORITY = "priority", _("Priority changed")
    ESCALATED = "escalated", _("Overdue, escalated")
    FOLLOWER = "follower", _("Follower added")
    # Handed to a neighbouring government of the same deployment (fieldops.workflow.complaint_transfer).
    TRANSFERRED = "transferred", _("Transferred to another government")


# ---------------------------------------------------------------- who outside the staff sees an event
#
# THE visibility rule for events, their notes and their data. Every public face goes through
# these functions: the REST public timeline, the tracking page, the public socket (through the
# envelope built in fieldops.events), Open311's status_notes, the reporter's e-mail and the
# status pushed to SP4N-LAPOR!. Staff faces show everything to the staff in scope.
#
# - An event is public when it was recorded public: notes, priority changes and escalations are
#   recorded staff-only (`is_public=False`).
# - Its note is public only on a status change or a reroute: there the note is the reason given
#   to the reporter (why it waits, why it was rejected, what was done). Notes on other events
#   are working notes for staff and crews, e.g. an assignment's "call the reporter at 0812-...".
# - Of its data, only the keys below; never actors, crews, distances or positions.

PUBLIC_NOTE_TYPES = frozenset({EventType.STATUS.value, EventType.REROUTED.value, EventType.TRANSFERRED.value})
PUBLIC_EVENT_DATA = frozenset({"action", "kind", "channel", "photo_id", "duplicate_of", "duplicate", "agency",
                               "previous_agency", "override", "by", "from_government", "from_government_name",
                               "to_government", "to_government_name"})


def public_events_q() -> models.Q:
    """The rule as a filter over ComplaintEvent rows (`event_is_public` row by row)."""
    return models.Q(is_public=True)


def event_label(event) -> str:
    """What an event is called on a timeline: its type, "Video added" for a video and "Transferred
    to <government>" for a transfer."""
    if event.type == EventType.PHOTO and (event.data or {}).get("media_type") == "video":
        return str(_("Video added"))
    if event.type == EventType.TRANSFERRED and (event.data or {}).get("to_government_name"):
        # What the citizen reads on the tracking page: "Dialihkan ke Kabupaten Tangerang".
        return str(_("Transferred to %(government)s")) % {"government": event.data["to_government_name"]}
    return str(EventType(event.type).label) if event.type in EventType.values else event.type


def event_is_public(event) -> bool:
    """Whether anyone (a citizen, Open311, the public socket) may see this event at all."""
    return bool(event.is_public)


def event_public_note(event) -> str:
    """The note of an event as the public may read it: the reason of a status change or a
    reroute, else nothing."""
    if not event_is_public(event) or event.type not in PUBLIC_NOTE_TYPES:
        return ""
    return event.note or ""


def event_public_data(event) -> dict:
    """The data of an event that the public may read (a whitelist)."""
    if not event_is_public(event):
        return {}
    return {k: v for k, v in (event.data or {}).items() if k in PUBLIC_EVENT_DATA}


class ComplaintEventQuerySet(models.QuerySet):
    def public(self):
        """Events the public may see (the rule of `event_is_public`)."""
        return self.filter(public_events_q())

    def with_public_note(self):
        """Public events whose note the public may read (the rule of `event_public_note`)."""
        return self.public().filter(type__in=PUBLIC_NOTE_TYPES).exclude(note="")


class ComplaintEvent(models.Model):
    """One thing that happened to a complaint. Append-only.

    Its increasing id is the audit log order, the public timeline order and the resume cursor
    for realtime clients.
    """

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=12, choices=EventType.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    location = models.PointField(srid=STORAGE_SRID, null=True, blank=True)
    # Who may see the event: public ones go to the tracking page and the public socket.
    is_public = models.BooleanField(default=True)
    # Routing facts at the time of the event (agency id, crew id...) for audience filtering.
    agency = models.ForeignKey(Agency, null=True, on_delete=models.SET_NULL, related_name="+")
    crew = models.ForeignKey(Crew, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    previous_crew = models.ForeignKey(Crew, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    objects = ComplaintEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("complaint events are append-only")
        super().save(*args, **kwargs)


class PhotoKind(models.TextChoices):
    REPORT = "report", _("Report")
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")


class MediaType(models.TextChoices):
    IMAGE = "image", _("Photo")
    VIDEO = "video", _("Video")


class MediaState(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Photo(models.Model):
    """A photo or video of a complaint: the private original (staff only) and a public copy and
    thumbnail made from its pixels alone. The three files have independent random names.

    A video's public copy is a metadata-free H.264/AAC MP4 and its thumbnail is the poster frame.
    The public files of both kinds are made after the upload by a job (`fieldops.tasks.media_process`):
    until then the row is `processing` (a processing video proves nothing)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=8, choices=PhotoKind.choices)
    original = models.FileField(upload_to="private/originals/%Y/%m/")
    public = models.FileField(upload_to="public/photos/%Y/%m/")
    thumb = models.FileField(upload_to="public/thumbs/%Y/%m/")
    media_type = models.CharField(max_length=8, choices=MediaType.choices, default=MediaType.IMAGE)
    state = models.CharField(max_length=12, choices=MediaState.choices, default=MediaState.READY)
    duration_s = models.FloatField(null=True, blank=True)  # videos only
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    location = models.PointField(srid=STORAGE_SRID, null=True, blank=True)
    location_source = models.CharField(max_length=8, blank=True)  # exif, browser or ''
    accuracy_m = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_at_source = models.CharField(max_length=8, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "client_id"], condition=~models.Q(client_id=""), name="uniq_photo_client_id"
            ),
        ]
        # /media/ finds a public copy or thumbnail by its exact stored name (fieldops/media.py).
        indexes = [
            models.Index(fields=["public"], name="photo_public_name"),
            models.Index(fields=["thumb"], name="photo_thumb_name"),
        ]


class IdempotencyKey(models.Model):
    """Remembers the first response to a request sent with an Idempotency-Key header, for the
    client that sent it and that one request only (see fieldops.idempotency)."""

    key = models.CharField(max_length=100)
    scope = models.CharField(max_length=60)
    # Who sent it: "user:<id>", else "anon:" and a keyed hash of the device id and client address.
    client = models.CharField(max_length=80, default="")
    # SHA-256 of the method, path and payload: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64, default="")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    # Answers are replayed for IDEMPOTENCY_KEY_TTL_HOURS; purge_idempotency_keys deletes older rows.
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "client", "key"], name="uniq_idempotency_key_client")]


class Upload(models.Model):
    """A resumable (tus 1.0) upload in progress or complete, before it is attached to a complaint
    as a photo or video (fieldops.uploads). Its bytes are a file on local disk under
    MEDIA_ROOT/private/uploads/, named by the random id; abandoned ones expire
    (`manage.py purge_uploads`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    # Who may continue and attach it: the staff member who created it, or (reporters, who have
    # no login) the holder of the random id for this one complaint.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    complaint = models.ForeignKey(Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    @property
    def complete(self) -> bool:
        return self.offset == self.length

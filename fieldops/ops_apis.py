"""REST endpoints of field operations: workflow actions, photos, event logs, crews, the staff
queue and who-am-I. Views translate HTTP into the services of `fieldops.workflow`; who may do
what is decided by `fieldops.permissions` (out of scope → 404, role refused → 403)."""

from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

from django.db import connection, transaction
from django.db.models import Count, DateTimeField, Prefetch, Q, Value
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from boundaries.models import Agency, Government
from common.errors import interpolate
from common.parsers import ERR_POSITIVE_INT, BlankIsGiven, BoolField, LocationField, WhenOrEpochMsField
from fieldops import permissions, proof, uploads, workflow
from fieldops.errors import FieldError
from fieldops.representation import (
    CodeNameSerializer,
    ComplaintPublicSerializer,
    ComplaintStaffDetailSerializer,
    ComplaintStaffRowSerializer,
    ComplaintStaffSerializer,
    CrewRefSerializer,
    PhotoUploadedSerializer,
    point_geojson,
)
from fieldops.filters import STAFF_SORT_DEFAULT, STAFF_SORTS, StaffComplaintFilter
from fieldops.idempotency import respond_once
from fieldops.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    Crew,
    Photo,
    event_label,
    event_public_data,
    event_public_note,
    status_color,
)
from fieldops.ops_selectors import similar_open_nearby
from fieldops.selectors import display_code, tracking_code_clean
from fieldops.reporters import reporter_authenticate
from fieldops.text import ControlCharGuardMixin

ERR_NO_COMPLAINT = gettext_lazy("No complaint with tracking code %(code)r.")
ERR_LOGIN_REQUIRED = gettext_lazy("Log in with a staff account (session or `Authorization: Token ...`).")
ERR_PHOTO_AUTH = gettext_lazy("Log in as staff of this complaint, or send the reporter_token of the report.")
ERR_NO_PHOTO = gettext_lazy("Complaint %(code)s has no photo %(id)s.")
ERR_CURSOR = gettext_lazy("Not a cursor of this list; follow the next or previous link.")
ERR_TRACE_READ_ONLY = gettext_lazy(
    "Complaint %(code)s was transferred to %(government)s; your government keeps a read-only trace of it.")



# ---------------------------------------------------------------- helpers


def _code(tracking_code: str) -> str:
    return display_code((tracking_code or "").strip().upper())


def _complaint(tracking_code: str) -> Complaint:
    code = tracking_code_clean(tracking_code)
    c = (Complaint.objects.select_related("category", "agency", "kecamatan", "kelurahan", "crew", "duplicate_of")
         .filter(tracking_code=code).first()) if code else None
    if c is None:
        code = _code(tracking_code)
        raise NotFound(interpolate(ERR_NO_COMPLAINT, code=code))
    return c


def _require_staff(user) -> None:
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated(ERR_LOGIN_REQUIRED)
    if not permissions.is_staff_user(user):
        raise PermissionDenied(permissions.ERR_NOT_STAFF)


def _staff_complaint(user, tracking_code: str, action: str | None = None) -> Complaint:
    """The complaint if the user may see it (404 otherwise) and, given an action, take it (403)."""
    _require_staff(user)
    if not permissions.can_see_rows(user):
        raise PermissionDenied(permissions.ERR_PLANNER_ROWS)
    c = _complaint(tracking_code)
    # A complaint the user's government transferred away: readable up to the transfer, no action.
    c.trace_event_id = permissions.trace_event_id(user, c)
    if c.trace_event_id is not None:
        if action is not None:
            raise PermissionDenied(interpolate(ERR_TRACE_READ_ONLY, code=c.tracking_code,
                                               government=c.government.name))
        return c
    if not permissions.may_see(user, c):
        # Another agency's or another crew's ticket does not exist for this user.
        raise NotFound(interpolate(ERR_NO_COMPLAINT, code=_code(tracking_code)))
    if action is not None and not permissions.may_act(user, action, c):
        raise PermissionDenied(interpolate(permissions.ERR_FORBIDDEN_ACTION, action=action))
    return c


def _iso(dt):
    return dt.isoformat() if dt else None


def complaint_staff_dict(c: Complaint, user) -> dict:
    """A complaint for staff (fieldops.representation); reporter contact only for the roles that may see it."""
    context = {"photos": False, "show_contact": permissions.can_see_contact(user)}
    return ComplaintStaffSerializer(c, context=context).data


def actions_for(user, c: Complaint) -> list[str]:
    """The actions this user may take on this complaint now (role, scope and current status)."""
    out = []
    for action in permissions.allowed_actions(user):
        if not permissions.may_act(user, action, c):
            continue
        rule = workflow.TRANSITIONS.get(action)
        if rule is not None and c.status not in rule[0]:
            continue
        if action == "photo" and c.status in proof.PHOTO_STATUSES_CLOSED:
            continue
        out.append(action)
    if permissions.can_transfer(user, c) and c.status in workflow.TRANSITIONS["transfer"][0]:
        out.append("transfer")
    return out


def photo_dict(photo: Photo, request, *, staff: bool) -> dict:
    def url(f):
        if not f.name:  # a video still processing
            return None
        u = f.url
        return request.build_absolute_uri(u) if u.startswith("/") else u

    data = {
        "id": photo.pk,
        "kind": photo.kind,
        "media_type": photo.media_type,
        "state": photo.state,
        "duration_s": round(photo.duration_s, 2) if photo.duration_s is not None else None,
        "url": url(photo.public),
        "thumb_url": url(photo.thumb),
        "width": photo.width,
        "height": photo.height,
        "location_source": photo.location_source,
        "distance_m": round(photo.distance_m, 1) if photo.distance_m is not None else None,
        "within_radius": photo.distance_m is not None and photo.distance_m <= _max_distance(),
        "taken_at": _iso(photo.taken_at),
        "client_id": photo.client_id,
        "created_at": _iso(photo.created_at),
    }
    if staff:
        # The original (with EXIF) only through the staff view, which checks the complaint's scope.
        data["original_url"] = request.build_absolute_uri(
            reverse("complaint-photo-original", args=[photo.complaint.tracking_code, photo.pk]))
        data["location"] = point_geojson(photo.location) if photo.location else None
        data["accuracy_m"] = photo.accuracy_m
        data["taken_at_source"] = photo.taken_at_source
    return data


def work_photos_dict(c: Complaint, request) -> dict:
    """A ticket's photos for the crew who works it (public copies and thumbnails, each before/after
    one with the proof rule's verdict) and whether its before and after proof stands, from the
    photos in hand (prefetched): `proof` is {"limit_m", "before": bool, "after": bool}."""
    photos = list(c.photos.all())
    problems = proof.proof_problems_of(c, photos)
    out = []
    for p in photos:
        item = photo_dict(p, request, staff=False)
        item["accepted"] = proof.stored_photo_verdict(c, p).accepted if p.kind in proof.SITE_KINDS else None
        out.append(item)
    return {"photos": out,
            "proof": {"limit_m": proof.max_distance_m(), **{str(kind): kind not in problems for kind in proof.SITE_KINDS}}}


def _max_distance() -> float:
    from django.conf import settings

    return float(settings.PHOTO_MAX_DISTANCE_M)


def event_public_dict(e: ComplaintEvent) -> dict:
    """An event for the public timeline: who acted is only the OPD, never a person; the note
    and data as fieldops.models' one visibility rule shows them."""
    return {
        "id": e.pk,
        "type": e.type,
        "type_label": event_label(e),
        "at": _iso(e.at),
        "from_status": e.from_status,
        "to_status": e.to_status,
        "status_color": status_color(e.to_status) if e.to_status else None,
        "note": event_public_note(e),
        "agency": {"code": e.agency.code, "name": e.agency.name} if e.agency_id else None,
        "data": event_public_data(e),
    }


def event_staff_dict(e: ComplaintEvent) -> dict:
    data = event_public_dict(e)
    data.update({
        "note": e.note,
        "is_public": e.is_public,
        "actor": ({"username": e.actor.username, "name": e.actor.get_full_name() or e.actor.username}
                  if e.actor_id else None),
        "crew": {"id": e.crew_id, "name": e.crew.name} if e.crew_id else None,
        "previous_crew_id": e.previous_crew_id,
        "location": point_geojson(e.location) if e.location else None,
        "data": e.data,
    })
    return data


# ---------------------------------------------------------------- actions


def _field(data, name, default=""):
    value = data.get(name, default) if hasattr(data, "get") else default
    return default if value is None else value


ACTION_NAMES = ["verify", "assign", "reroute", "start", "hold", "reject", "duplicate", "resolve", "close", "reopen",
                "priority", "note"]


ERR_CREW_REQUIRED = gettext_lazy("Choose a crew (its id).")
ERR_CREW_UNKNOWN = gettext_lazy("No active crew with id {pk_value!r}.")
ERR_CREW_ID = gettext_lazy("Choose a crew by its id (a number).")
ERR_AGENCY_REQUIRED = gettext_lazy("Choose the agency (its code).")
ERR_AGENCY_UNKNOWN = gettext_lazy("No agency with code {value!r}.")


class AssignInput(serializers.Serializer):
    crew = serializers.PrimaryKeyRelatedField(
        queryset=Crew.objects.select_related("agency").filter(active=True),
        error_messages={"required": ERR_CREW_REQUIRED, "null": ERR_CREW_REQUIRED,
                        "does_not_exist": ERR_CREW_UNKNOWN, "incorrect_type": ERR_CREW_ID})


class RerouteInput(serializers.Serializer):
    agency = serializers.SlugRelatedField(
        slug_field="code", queryset=Agency.objects.all(),
        error_messages={"required": ERR_AGENCY_REQUIRED, "null": ERR_AGENCY_REQUIRED,
                        "does_not_exist": ERR_AGENCY_UNKNOWN, "invalid": ERR_AGENCY_REQUIRED})


class PriorityInput(serializers.Serializer):
    priority = serializers.ChoiceField(choices=workflow.PRIORITIES, error_messages={
        name: workflow.ERR_PRIORITY for name in ("required", "null", "invalid_choice")})


class ResolveInput(serializers.Serializer):
    override = BoolField(required=False, default=False)


# The actions whose body names an object or a number: read into the service's typed arguments.
ACTION_INPUTS = {"assign": AssignInput, "reroute": RerouteInput, "priority": PriorityInput, "resolve": ResolveInput}


# The crew or agency an action names is looked up among the complaint's government's only
# (agency codes are unique per government; another government's crew does not exist here).
ACTION_QUERYSETS = {
    "assign": ("crew", lambda c: Crew.objects.select_related("agency").filter(
        active=True, agency__government_id=c.government_id)),
    "reroute": ("agency", lambda c: Agency.objects.filter(government_id=c.government_id)),
}


def _typed(action: str, data, c: Complaint) -> dict:
    if action not in ACTION_INPUTS:
        return {}
    body = ACTION_INPUTS[action](data=data)
    if action in ACTION_QUERYSETS:
        name, queryset = ACTION_QUERYSETS[action]
        body.fields[name].queryset = queryset(c)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _run_action(action: str, c: Complaint, user, data) -> Complaint:
    f = lambda name, default="": _field(data, name, default)  # noqa: E731
    typed = _typed(action, data, c)
    if action == "verify":
        return workflow.complaint_verify(complaint=c, actor=user, note=f("note"))
    if action == "assign":
        return workflow.complaint_assign(complaint=c, actor=user, crew=typed["crew"], note=f("note"))
    if action == "reroute":
        return workflow.complaint_reroute(complaint=c, actor=user, agency=typed["agency"], reason=f("reason"))
    if action == "start":
        return workflow.complaint_start(complaint=c, actor=user, note=f("note"))
    if action == "hold":
        return workflow.complaint_hold(complaint=c, actor=user, reason=f("reason"))
    if action == "reject":
        return workflow.complaint_reject(complaint=c, actor=user, reason=f("reason"))
    if action == "duplicate":
        return workflow.complaint_mark_duplicate(complaint=c, actor=user, of=f("of"), note=f("note"))
    if action == "resolve":
        return workflow.complaint_resolve(complaint=c, actor=user, note=f("note"),
                                          override=typed["override"],
                                          override_reason=f("override_reason"))
    if action == "close":
        return workflow.complaint_close(complaint=c, actor=user, note=f("note"))
    if action == "priority":
        return workflow.complaint_set_priority(complaint=c, actor=user, priority=typed["priority"])
    if action == "note":
        return workflow.complaint_add_note(complaint=c, actor=user, note=f("note"))
    raise NotFound(f"Unknown action {action!r}.")


class ComplaintActionApi(ControlCharGuardMixin, APIView):
    """`POST /api/v1/complaints/{code}/{action}/`: one workflow transition.

    verify · assign(crew) · reroute(agency, reason) · start · hold(reason) · reject(reason) ·
    duplicate(of) · resolve(note, override, override_reason) · close · reopen(reporter_token, reason;
    no login) · priority(priority) · note(note). Invalid transition → 409 with current_status and
    requested_status.
    """

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(operation_id="complaint_action", request=OpenApiTypes.OBJECT,
                   parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=ACTION_NAMES)],
                   responses={200: ComplaintStaffRowSerializer})
    def post(self, request, tracking_code: str, action: str):
        data = request.data if hasattr(request.data, "get") else {}
        if action == "reopen":
            c = _complaint(tracking_code)
            c = workflow.complaint_reopen(complaint=c, reporter_token=_field(data, "reporter_token"),
                                          reason=_field(data, "reason"))
            # The service answers the locked, changed row with its related rows: no third read.
            return Response(ComplaintPublicSerializer(c, context={"request": request}).data)
        c = _staff_complaint(request.user, tracking_code, action)

        def run():
            done = _run_action(action, c, request.user, data)
            body = complaint_staff_dict(done, request.user)
            body["actions"] = actions_for(request.user, done)
            return 200, body

        # The Tim Sigap page's offline outbox retries with the same key: a note is not added twice.
        return respond_once(request, scope=f"action:{request.user.pk}:{c.pk}:{action}"[:60], run=run)


# ---------------------------------------------------------------- photos


class PhotoUploadInput(serializers.Serializer):
    """A photo upload (multipart), parsed into the arguments of `proof.photo_add`; the photo
    rules themselves (kinds, who may add which, the proof of work on site) are the service's."""

    kind = serializers.CharField(required=False, allow_blank=True, default="", help_text="report, before or after")
    image = serializers.FileField(required=False, help_text="A JPEG, PNG or WebP photo, or an MP4/MOV/WebM video")
    file = serializers.FileField(required=False, help_text="Same as image")
    upload_id = serializers.UUIDField(required=False, allow_null=True,
                                      help_text="A completed resumable upload (/api/v1/uploads/) instead of a file")
    location = LocationField(lat_lon=True, required=False, allow_null=True,
                             help_text="Where the browser was (top-level lat and lon); EXIF GPS comes first")
    accuracy = serializers.FloatField(required=False, allow_null=True, help_text="Browser accuracy in meters")
    accuracy_m = serializers.FloatField(required=False, allow_null=True, help_text="Same as accuracy")
    taken_at = WhenOrEpochMsField(required=False, allow_null=True, help_text="When it was taken (EXIF comes first)")
    client_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=64,
                                      help_text="The client's id of this upload: a retry answers the first photo")
    reporter_token = serializers.CharField(required=False, allow_blank=True, default="",
                                           help_text="The reporter's token (kind report only), instead of a login")


class ComplaintPhotoApi(ControlCharGuardMixin, APIView):
    """`POST /api/v1/complaints/{code}/photos/` (multipart): kind, image, lat, lon, accuracy,
    taken_at, client_id. Staff of the complaint, or the reporter with `reporter_token` (kind
    report). A repeated client_id answers 200 with the first photo. The answer comes before the
    public copy exists: `state` is `processing` and the URLs null until the media job made them."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": PhotoUploadInput}, responses={201: PhotoUploadedSerializer})
    def post(self, request, tracking_code: str):
        body = PhotoUploadInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        token = data["reporter_token"]
        by_reporter = False
        if getattr(user, "is_authenticated", False) and permissions.is_staff_user(user) and not token:
            c = _staff_complaint(user, tracking_code, "photo")
        elif token:
            c = _complaint(tracking_code)
            reporter_authenticate(complaint=c, token=token)
            by_reporter = True
        elif not getattr(user, "is_authenticated", False):
            raise NotAuthenticated(ERR_PHOTO_AUTH)
        else:
            raise PermissionDenied(ERR_PHOTO_AUTH)
        accuracy = data.get("accuracy")
        image, upload = data.get("image") or data.get("file"), None
        if image is None and data.get("upload_id"):
            try:
                upload = uploads.upload_for_attach(upload_id=data["upload_id"], user=None if by_reporter else user,
                                                   complaint=c)
                image = uploads.upload_file(upload)
            except FieldError:
                # A retry whose first attach went through (the answer was lost): photo_add
                # answers with that photo by its client_id.
                if not (data["client_id"] and c.photos.filter(client_id=data["client_id"]).exists()):
                    raise
        try:
            photo, created = self._add(c, data, image, user, by_reporter, accuracy)
        finally:
            if upload is not None:
                image.close()
        if upload is not None:
            uploads.upload_delete(upload)  # attached (or the answer to a retry): its piece file is done
        c = photo.complaint  # as photo_add last read it (locked when it stored the photo): no third read
        body = photo_dict(photo, request, staff=not by_reporter)
        body.update({"tracking_code": c.tracking_code, "status": c.status,
                     "status_color": c.status_color, "created": created})
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @staticmethod
    def _add(c, data, image, user, by_reporter, accuracy):
        return proof.photo_add(
            complaint=c,
            kind=data["kind"],
            image=image,
            actor=user if not by_reporter else None,
            location=data.get("location"),
            accuracy_m=accuracy if accuracy is not None else data.get("accuracy_m"),
            taken_at=data.get("taken_at"),
            client_id=data["client_id"],
            by_reporter=by_reporter,
        )


class ComplaintPhotoOriginalApi(ControlCharGuardMixin, APIView):
    """`GET /api/v1/complaints/{code}/photos/{id}/original/`: the photo as uploaded, with its EXIF
    (the reporter's position: evidence, and personal data). Only staff who may see the
    complaint (the rule of its staff detail); everyone else gets 401/403/404."""

    def perform_content_negotiation(self, request, force=False):
        # The answer is the image itself: an `Accept: image/*` client is not refused with 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request, tracking_code: str, photo_id: int):
        c = _staff_complaint(request.user, tracking_code)
        photo = c.photos.filter(pk=photo_id).first()
        if photo is None or not photo.original.name or not photo.original.storage.exists(photo.original.name):
            raise NotFound(interpolate(ERR_NO_PHOTO, id=photo_id, code=c.tracking_code))
        extension = photo.original.name.rsplit(".", 1)[-1].lower()
        response = FileResponse(photo.original.storage.open(photo.original.name, "rb"),
                                content_type=photo.content_type or "application/octet-stream",
                                filename=f"{c.tracking_code}-{photo.pk}-original.{extension}")
        # Personal data: no shared cache may keep it, and the browser only for this view.
        response["Cache-Control"] = "private, no-store"
        return response


# ---------------------------------------------------------------- events


class _QueryChoice(BlankIsGiven, serializers.ChoiceField):
    pass


class EventsQuery(serializers.Serializer):
    view = _QueryChoice(choices=["public", "staff"], required=False,
                                   help_text="public: the public timeline even for staff; staff: refuse otherwise")
    after = serializers.IntegerField(required=False, allow_null=True, help_text="Resume after this event id",
                                     error_messages={"invalid": "Must be an event id (an integer)."})


class ComplaintEventsApi(ControlCharGuardMixin, APIView):
    """`GET /api/v1/complaints/{code}/events/`: the log. Authorized staff get every event with
    actors and notes; everyone else (or `?view=public`) the public timeline without staff names
    or personal data. `?after=<event id>` resumes after an event."""

    @extend_schema(parameters=[EventsQuery], responses={200: inline_serializer("ComplaintEvents", {
        "tracking_code": serializers.CharField(),
        "status": serializers.CharField(),
        "status_color": serializers.CharField(),
        "variant": serializers.ChoiceField(choices=["staff", "public"]),
        "events": serializers.ListField(child=serializers.DictField(), help_text=(
            "id, type, type_label, at, from_status, to_status, status_color, note, agency, data; staff also "
            "is_public, actor, crew, previous_crew_id, location")),
    })})
    def get(self, request, tracking_code: str):
        user = request.user
        c = _complaint(tracking_code)
        query = EventsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        view, after = query.validated_data.get("view"), query.validated_data.get("after")
        # The government that transferred it away reads its staff log up to the transfer.
        trace = permissions.trace_event_id(user, c) if view != "public" else None
        staff = view != "public" and (trace is not None or (permissions.can_see_rows(user)
                                                             and permissions.may_see(user, c)))
        if view == "staff" and not staff:
            if not getattr(user, "is_authenticated", False):
                raise NotAuthenticated(ERR_LOGIN_REQUIRED)
            raise NotFound(interpolate(ERR_NO_COMPLAINT, code=c.tracking_code))
        qs = ComplaintEvent.objects.filter(complaint=c).select_related("agency").order_by("id")
        if trace is not None:
            qs = qs.filter(id__lte=trace)
            _as_of_transfer(c, ComplaintEvent.objects.select_related("agency").get(pk=trace))
        if after is not None:
            qs = qs.filter(id__gt=after)
        if staff:
            qs = qs.select_related("actor", "crew")
            events = [event_staff_dict(e) for e in qs]
        else:
            events = [event_public_dict(e) for e in qs.public()]
        return Response({
            "tracking_code": c.tracking_code,
            "status": c.status,
            "status_color": c.status_color,
            "variant": "staff" if staff else "public",
            "events": events,
        })


# ---------------------------------------------------------------- crews, queue, me


class CrewOutSerializer(CrewRefSerializer):
    """Documents one item of GET /api/v1/crews/."""

    agency = CodeNameSerializer()
    member_count = serializers.IntegerField()
    open_count = serializers.IntegerField()


class CrewListApi(ControlCharGuardMixin, APIView):
    """`GET /api/v1/crews/`: the Tim Sigap crews the user may dispatch or see (`?agency=code`)."""

    @extend_schema(parameters=[OpenApiParameter("agency", str)], responses={200: CrewOutSerializer(many=True)})
    def get(self, request):
        _require_staff(request.user)
        qs = permissions.crews_visible(request.user)
        if request.query_params.get("agency"):
            qs = qs.filter(agency__code=request.query_params["agency"].strip())
        qs = qs.annotate(
            member_count=Count("crewmember", distinct=True),
            open_count=Count("complaints", filter=Q(complaints__status__in=OPEN_STATUSES), distinct=True),
        ).order_by("agency__code", "name")
        return Response([
            {"id": crew.pk, "name": crew.name, "agency": {"code": crew.agency.code, "name": crew.agency.name},
             "member_count": crew.member_count, "open_count": crew.open_count}
            for crew in qs
        ])


class OpsCursorPagination(CursorPagination):
    """Cursor pagination of the staff queue (DRF's, keyset on the `sort` order with the id
    breaking ties) plus the total `count` of the filtered result. `next` walks the whole result
    however large; a page costs the same at the start and at the end."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    template = None

    def get_ordering(self, request, queryset, view):
        sort = request.query_params.get("sort") or STAFF_SORT_DEFAULT
        fields = STAFF_SORTS.get(sort, STAFF_SORTS[STAFF_SORT_DEFAULT])
        # The cursor keeps the first key's value; a missing due time counts as the far future.
        return tuple(f.replace("due_at", "due_key") for f in fields)

    def get_page_size(self, request):
        values = request.query_params.getlist(self.page_size_query_param)
        if any(not v.strip().isdigit() or int(v) < 1 for v in values):
            raise ApiValidationError({self.page_size_query_param: [ERR_POSITIVE_INT]})
        return super().get_page_size(request)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = False
        if cursor is False or (cursor is not None and cursor.position is not None
                               and parse_datetime(cursor.position) is None):
            raise ApiValidationError({self.cursor_query_param: [ERR_CURSOR]})
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.get_next_link(),
                         "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["properties"] = {"count": {"type": "integer", "example": 123}, **out["properties"]}
        out["required"] = ["count", *out.get("required", [])]
        return out


LIST_SESSION_SQL = "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"

# The far future: where a complaint without a due time sorts (the cursor needs a value).
NO_DUE = datetime(9999, 12, 31, tzinfo=dt_timezone.utc)


class OpsComplaintListApi(ControlCharGuardMixin, generics.ListAPIView):
    """`GET /api/v1/ops/complaints/`: every complaint in the user's scope, soonest due first.

    Filters, search `q` and order `sort`: fieldops.filters.StaffComplaintFilter. Cursor pages
    (`next`, `previous`) and the total `count`.
    """

    queryset = Complaint.objects.select_related("category", "agency", "kecamatan", "kelurahan", "crew", "duplicate_of")
    pagination_class = OpsCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = StaffComplaintFilter

    def get_queryset(self):
        return permissions.complaints_visible(self.request.user, super().get_queryset()).annotate(
            due_key=Coalesce("due_at", Value(NO_DUE, output_field=DateTimeField())))

    @extend_schema(operation_id="ops_complaint_list", responses={200: ComplaintStaffRowSerializer(many=True)})
    def get(self, request):
        user = request.user
        _require_staff(user)
        if not permissions.can_see_rows(user):
            raise PermissionDenied(permissions.ERR_PLANNER_ROWS)
        with_photos = permissions.queue_shows_photos(user)
        with transaction.atomic(), connection.cursor() as cursor:
            # The count and the page are index lookups of a few ms each; at a million rows the
            # planner's estimates for them cross the thresholds where it starts parallel workers
            # and JIT compilation, which cost 100-300 ms more than the queries themselves on a
            # busy 2-core server (bench/ops_search.py, docs/BENCHMARKS.md "Issue 15").
            cursor.execute(LIST_SESSION_SQL)
            # Page over the ids and sort keys only, then read the page's rows with their related
            # rows: joins for 50 rows, not for every match before the sort.
            keys = self.filter_queryset(self.get_queryset()).values("id", "due_key", "created_at", "updated_at")
            page_ids = [row["id"] for row in self.paginate_queryset(keys)]
        # The areas' names only: their polygons would be most of the bytes read.
        rows = self.queryset.defer("kecamatan__geom", "kelurahan__geom")
        if with_photos:
            rows = rows.prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("id")))
        rows = rows.in_bulk(page_ids)
        page = [rows[pk] for pk in page_ids if pk in rows]
        # One serializer for the page (DRF builds its fields once for all rows).
        context = {"photos": False, "show_contact": permissions.can_see_contact(user), "now": timezone.now()}
        results = ComplaintStaffSerializer(page, many=True, context=context).data
        for item, c in zip(results, page):
            item["actions"] = actions_for(user, c)
            if with_photos:
                item.update(work_photos_dict(c, request))
        return self.get_paginated_response(results)


class OpsComplaintDetailApi(ControlCharGuardMixin, APIView):
    """`GET /api/v1/ops/complaints/{code}/`: one complaint for staff, with photos, followers and actions."""

    @extend_schema(operation_id="ops_complaint_detail", responses={200: ComplaintStaffDetailSerializer})
    def get(self, request, tracking_code: str):
        user = request.user
        c = _staff_complaint(user, tracking_code)
        if c.trace_event_id is not None:
            return Response(self._trace(c, user, request))
        body = complaint_staff_dict(c, user)
        body["photos"] = [photo_dict(p, request, staff=True) for p in c.photos.order_by("id")]
        body["followers_count"] = c.followers.count()
        body["actions"] = actions_for(user, c)
        body["trace"] = None
        body["timeline"] = [event_staff_dict(e) for e in
                            ComplaintEvent.objects.filter(complaint=c).select_related("agency", "actor", "crew")
                            .order_by("id")]
        # Open reports of the same category nearby (any age): one crew may fix them together.
        body["similar_nearby"] = [
            {"tracking_code": s.tracking_code, "status": s.status, "status_color": s.status_color,
             "distance_m": round(s.distance.m, 1), "created_at": _iso(s.created_at),
             "crew": {"id": s.crew_id, "name": s.crew.name} if s.crew_id else None,
             "description": s.description[:140]}
            for s in similar_open_nearby(c)
            if permissions.may_see(user, s)
        ]
        return Response(body)

    @staticmethod
    def _trace(c: Complaint, user, request) -> dict:
        """The read-only trace the government that transferred the complaint keeps: the complaint
        as it stood at the transfer, its photos and staff log up to it, no action."""
        transfer = ComplaintEvent.objects.select_related("agency").get(pk=c.trace_event_id)
        _as_of_transfer(c, transfer)
        body = complaint_staff_dict(c, user)
        body["photos"] = [photo_dict(p, request, staff=True) for p in c.photos.filter(created_at__lte=transfer.at)
                          .order_by("id")]
        body["followers_count"] = c.followers.count()
        body["actions"] = []
        body["similar_nearby"] = []
        body["timeline"] = [event_staff_dict(e) for e in
                            ComplaintEvent.objects.filter(complaint=c, id__lte=transfer.pk)
                            .select_related("agency", "actor", "crew").order_by("id")]
        body["trace"] = {"read_only": True, "transferred_at": _iso(transfer.at),
                         "to_government": {"code": transfer.data.get("to_government", ""),
                                           "name": transfer.data.get("to_government_name", "")}}
        return body


def _as_of_transfer(c: Complaint, transfer: ComplaintEvent) -> None:
    """Show the complaint (in memory, never saved) as it stood right after `transfer`: what the
    government that let it go may still read, and nothing its neighbour did since."""
    c.status = transfer.to_status or c.status
    c.agency = transfer.agency or c.agency
    c.crew = None
    c.updated_at = transfer.at
    c.resolved_at = c.closed_at = None
    c.resolution_override, c.resolution_override_reason = False, ""


# ---------------------------------------------------------------- transfer to a neighbouring government


ERR_GOVERNMENT_REQUIRED = gettext_lazy("Choose the government (its code, e.g. 36.03).")
ERR_GOVERNMENT_UNKNOWN = gettext_lazy("No government with code {value!r} on this deployment.")


class TransferInput(serializers.Serializer):
    """`POST /api/v1/complaints/{code}/transfer/`: the neighbouring government and the reason."""

    government = serializers.SlugRelatedField(
        slug_field="code", queryset=Government.objects.all(), help_text="Kemendagri code, e.g. 36.03",
        error_messages={"required": ERR_GOVERNMENT_REQUIRED, "null": ERR_GOVERNMENT_REQUIRED,
                        "does_not_exist": ERR_GOVERNMENT_UNKNOWN, "invalid": ERR_GOVERNMENT_REQUIRED})
    note = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False, default="",
                                 help_text="Why (required; the citizen reads it on the tracking page)")


class TransferTargetSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Kemendagri code")
    name = serializers.CharField()
    distance_m = serializers.FloatField(help_text="From the report's point or its government's area")


def _transferable(user, tracking_code: str) -> Complaint:
    """The complaint if the user may transfer it: 404 out of sight, 403 without the right."""
    c = _staff_complaint(user, tracking_code, None)
    if c.trace_event_id is not None or not permissions.can_transfer(user, c):
        raise PermissionDenied(interpolate(permissions.ERR_FORBIDDEN_ACTION, action="transfer"))
    return c


class ComplaintTransferApi(ControlCharGuardMixin, APIView):
    """`POST /api/v1/complaints/{code}/transfer/`: hand the complaint to a neighbouring government
    of this deployment (operators of its government, admins). Unknown, inactive, same or
    non-neighbouring government → 400 on `government`; no command center there → 409; a status
    that cannot be transferred (a crew at work, resolved, closed) → 409."""

    parser_classes = [JSONParser, FormParser]

    @extend_schema(operation_id="complaint_transfer", request=TransferInput,
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
                   responses={200: ComplaintStaffRowSerializer})
    def post(self, request, tracking_code: str):
        c = _transferable(request.user, tracking_code)
        body = TransferInput(data=request.data if hasattr(request.data, "get") else {})

        def run():
            body.is_valid(raise_exception=True)
            done = workflow.complaint_transfer(c, to_government=body.validated_data["government"],
                                               actor=request.user, note=body.validated_data["note"])
            answer = complaint_staff_dict(done, request.user)
            answer["actions"] = actions_for(request.user, done)
            return 200, answer

        return respond_once(request, scope=f"action:{request.user.pk}:{c.pk}:transfer"[:60], run=run)


class ComplaintTransferTargetsApi(ControlCharGuardMixin, APIView):
    """`GET /api/v1/ops/complaints/{code}/transfer-targets/`: the neighbouring governments this
    complaint may go to (fieldops.workflow.transfer_targets), nearest first."""

    @extend_schema(operation_id="complaint_transfer_targets", responses={200: TransferTargetSerializer(many=True)})
    def get(self, request, tracking_code: str):
        c = _transferable(request.user, tracking_code)
        return Response([{"code": g.code, "name": g.name, "distance_m": g.distance_m}
                         for g in workflow.transfer_targets(c)])


class MeApi(ControlCharGuardMixin, APIView):
    """`GET /api/v1/me/`: who is logged in, their roles, agency, crews and allowed actions."""

    @extend_schema(responses={200: inline_serializer("Me", {
        "username": serializers.CharField(),
        "display_name": serializers.CharField(),
        "roles": serializers.ListField(child=serializers.CharField()),
        "agency": CodeNameSerializer(allow_null=True),
        "government": CodeNameSerializer(allow_null=True, help_text="Null: every government (province, admin)"),
        "crews": CrewRefSerializer(many=True),
        "actions": serializers.ListField(child=serializers.CharField()),
        "can_see_contact": serializers.BooleanField(),
        "can_see_rows": serializers.BooleanField(),
    })})
    def get(self, request):
        user = request.user
        if not getattr(user, "is_authenticated", False):
            raise NotAuthenticated(ERR_LOGIN_REQUIRED)
        agency = permissions.user_agency(user)
        government = permissions.user_government(user) if permissions.governments_visible(user) is not None else None
        crews = Crew.objects.filter(crewmember__user=user).order_by("name")
        return Response({
            "username": user.username,
            "display_name": user.get_full_name() or user.username,
            "roles": sorted(permissions.user_roles(user)),
            "agency": {"code": agency.code, "name": agency.name} if agency else None,
            "government": {"code": government.code, "name": government.name} if government else None,
            "crews": [{"id": crew.pk, "name": crew.name} for crew in crews],
            "actions": permissions.allowed_actions(user),
            "can_see_contact": permissions.can_see_contact(user),
            "can_see_rows": permissions.can_see_rows(user),
        })

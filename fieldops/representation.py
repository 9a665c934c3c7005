"""One way out: the public and the staff representation of a complaint.

Every face that shows a complaint uses these two serializers: the REST detail and lists, the
create and action answers, the socket messages (`realtime.envelope`), Open311
(`open311.selectors.request_record` maps their names to GeoReport's), the LAPOR! payload and the
ops intake answer. A field means the same thing wherever it appears.

- `ComplaintPublicSerializer`: what anyone may read. Never the reporter's name, phone, e-mail or
  token; a private category (a report about a person) shows neither its point nor its address.
- `ComplaintStaffSerializer`: the public fields (with the exact place), plus the workflow fields
  (crew, priority, SLA times, override), plus the reporter's contact when the context says the
  reader may see it (`fieldops.permissions.can_see_contact`, decided by the caller).

Photos are listed only when the context asks for them (`photos=True`): socket messages and list
rows leave them out, so that a message is built from the objects in hand without a query.
"""

from __future__ import annotations

import threading

from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fieldops.models import OPEN_STATUSES, Complaint, Photo

OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)


@extend_schema_field({"type": "object", "nullable": True, "properties": {
    "type": {"type": "string", "enum": ["Point"]},
    "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
}})
class PointField(serializers.Field):
    """A GeoJSON Point, lon/lat to 7 decimals (about 1 cm)."""

    def to_representation(self, value):
        return {"type": "Point", "coordinates": [round(value.x, 7), round(value.y, 7)]}


def point_geojson(point) -> dict | None:
    return PointField().to_representation(point) if point is not None else None


class CodeNameSerializer(serializers.Serializer):
    """A reference to an area (its Kemendagri code) or an agency (its code), with its name."""

    code = serializers.CharField()
    name = serializers.CharField()


class AreaRefSerializer(CodeNameSerializer):
    pass


class AgencyRefSerializer(CodeNameSerializer):
    short_name = serializers.CharField()


class CrewRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def area_ref(area) -> dict | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def agency_ref(agency) -> dict | None:
    return {"code": agency.code, "name": agency.name, "short_name": agency.short_name} if agency is not None else None


class CategoryRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.SerializerMethodField()
    is_private = serializers.BooleanField()

    def get_name(self, obj) -> str:
        return obj.name_for(get_language())


class PhotoPublicSerializer(serializers.ModelSerializer):
    """A photo or video as the public sees it: the metadata-free copy and thumbnail (a video's
    poster), never the original. A photo or video still processing (its media job has not run
    yet) has no copy yet: null URLs."""

    url = serializers.SerializerMethodField()
    thumb_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["kind", "media_type", "state", "duration_s", "url", "thumb_url", "created_at"]

    def _url(self, f) -> str | None:
        if not f.name:
            return None
        url, request = f.url, self.context.get("request")
        return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url

    def get_url(self, obj) -> str | None:
        return self._url(obj.public)

    def get_thumb_url(self, obj) -> str | None:
        return self._url(obj.thumb)


class ComplaintPublicSerializer(serializers.ModelSerializer):
    """A complaint as anyone may read it. Context: `request` (absolute photo URLs), `photos`."""

    status_label = serializers.CharField(source="get_status_display")
    status_color = serializers.CharField()
    category = CategoryRefSerializer()
    address = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()
    kecamatan = AreaRefSerializer(allow_null=True)
    kelurahan = AreaRefSerializer(allow_null=True)
    agency = AgencyRefSerializer(allow_null=True)
    is_overdue = serializers.SerializerMethodField()
    duplicate_of = serializers.SerializerMethodField()
    photos = PhotoPublicSerializer(many=True, source="photos.all")

    class Meta:
        model = Complaint
        fields = ["tracking_code", "status", "status_label", "status_color", "category", "description", "address",
                  "location", "kecamatan", "kelurahan", "agency", "channel", "created_at", "updated_at", "due_at",
                  "resolved_at", "is_overdue", "duplicate_of", "photos"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.context.get("photos", True):
            self.fields.pop("photos")

    def hides_place(self, obj) -> bool:
        """A report about a person never shows where it is to the public."""
        return obj.category.is_private

    def get_address(self, obj) -> str:
        return "" if self.hides_place(obj) else obj.address

    @extend_schema_field(PointField(allow_null=True))
    def get_location(self, obj):
        return None if self.hides_place(obj) else point_geojson(obj.location)

    def get_is_overdue(self, obj) -> bool:
        return bool(obj.due_at and obj.due_at < self.context.get("now", timezone.now()) and obj.status in OPEN_VALUES)

    @extend_schema_field(OpenApiTypes.STR)
    def get_duplicate_of(self, obj) -> str | None:
        return obj.duplicate_of.tracking_code if obj.duplicate_of_id else None


class ReporterContactSerializer(serializers.Serializer):
    name = serializers.CharField(source="reporter_name")
    phone = serializers.CharField(source="reporter_phone")
    email = serializers.CharField(source="reporter_email")
    is_anonymous = serializers.BooleanField()


class ComplaintStaffSerializer(ComplaintPublicSerializer):
    """A complaint for staff who may see it. Context: `show_contact` (the caller asks
    `fieldops.permissions.can_see_contact`), `request`, `photos`."""

    crew = CrewRefSerializer(allow_null=True)
    reporter = ReporterContactSerializer(source="*", required=False,
                                         help_text="Only for the roles that may see reporter contact")

    class Meta(ComplaintPublicSerializer.Meta):
        fields = ComplaintPublicSerializer.Meta.fields + [
            "accuracy_m", "crew", "priority", "first_response_at", "closed_at", "escalated_at",
            "resolution_override", "resolution_override_reason", "reporter"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.context.get("show_contact", False):
            self.fields.pop("reporter")

    def hides_place(self, obj) -> bool:
        return False


class ComplaintCreatedSerializer(ComplaintPublicSerializer):
    """The answer to a new report, from any face: the public representation, the reporter's token
    (shown once), the tracking page and the codes of similar open reports nearby."""

    reporter_token = serializers.CharField(help_text="Shown once: keep it to reopen or add photos")
    tracking_url = serializers.CharField()
    similar_nearby = serializers.ListField(child=serializers.CharField(), help_text="Tracking codes, nearest first")

    class Meta(ComplaintPublicSerializer.Meta):
        fields = [f for f in ComplaintPublicSerializer.Meta.fields if f != "photos"] + [
            "reporter_token", "tracking_url", "similar_nearby"]


def complaint_created(created) -> dict:
    """The answer to `fieldops.services.complaint_create`'s result, in the shape of
    `ComplaintCreatedSerializer`."""
    c = created.complaint
    return {
        **represent(c),
        "reporter_token": created.reporter_token,
        "tracking_url": f"/lacak/{c.tracking_code}/",
        "similar_nearby": created.similar_nearby,
    }


# Why one serializer per thread (the only reuse here): DRF builds a serializer's fields anew
# for every instance (deep copies of the declared fields, ModelSerializer's field mapping), which
# is about 85% of the cost of representing a complaint. A create represents its complaint three
# times (its answer, the public and the staff socket message): 6.1 ms with new serializers,
# 0.9 ms reused (`bench/representation.py`, 2026-12-03, machine under load). The intake goal
# (HTTP >= 25% of the raw path at concurrency 8, docs/BENCHMARKS.md) leaves about 14 ms of CPU
# per create, so new instances would take a large share of it. Only the variants without
# request-dependent context are kept: no photos (no URLs), no reporter contact, `now` read at
# each call.
_reused = threading.local()


def represent(complaint: Complaint, *, staff: bool = False) -> dict:
    """The public (or staff) representation without photos or reporter contact: what the socket
    messages and the create answers carry."""
    name = "staff" if staff else "public"
    serializer = getattr(_reused, name, None)
    if serializer is None:
        cls = ComplaintStaffSerializer if staff else ComplaintPublicSerializer
        serializer = cls(context={"photos": False, "show_contact": False})
        setattr(_reused, name, serializer)
    return serializer.to_representation(complaint)


# ------------------------------------------------------------------ schema of the staff answers
# The staff faces add a few computed keys to the staff representation; these classes name them
# in the OpenAPI schema (the answers themselves are built from ComplaintStaffSerializer's data).


class ComplaintStaffRowSerializer(ComplaintStaffSerializer):
    """A row of the staff queue, and the answer to an action: the staff representation and the
    actions this user may take on it now."""

    actions = serializers.ListField(child=serializers.CharField())

    class Meta(ComplaintStaffSerializer.Meta):
        fields = [f for f in ComplaintStaffSerializer.Meta.fields if f != "photos"] + ["actions"]


class PhotoStaffSerializer(serializers.Serializer):
    """A photo as staff see it: where and when it was taken, its distance from the complaint."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    media_type = serializers.CharField(help_text="image or video")
    state = serializers.CharField(help_text="processing, ready or failed: its public copy and thumbnail (a video's MP4 and poster) are made by a job after the upload; null URLs until ready")
    duration_s = serializers.FloatField(allow_null=True, help_text="A video's length in seconds")
    url = serializers.URLField(allow_null=True, help_text="The public copy (a video: H.264/AAC MP4)")
    thumb_url = serializers.URLField(allow_null=True, help_text="The thumbnail (a video: its poster frame)")
    original_url = serializers.URLField(required=False, help_text="Staff only: the original with its EXIF")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    location = PointField(required=False, allow_null=True)
    location_source = serializers.CharField()
    accuracy_m = serializers.FloatField(required=False, allow_null=True)
    distance_m = serializers.FloatField(allow_null=True)
    within_radius = serializers.BooleanField()
    taken_at = serializers.DateTimeField(allow_null=True)
    taken_at_source = serializers.CharField(required=False)
    client_id = serializers.CharField()
    created_at = serializers.DateTimeField()


class PhotoUploadedSerializer(PhotoStaffSerializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    status_color = serializers.CharField()
    created = serializers.BooleanField(help_text="False when the same client_id was sent before")


class SimilarReportSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    status_color = serializers.CharField()
    distance_m = serializers.FloatField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField(required=False)
    crew = CrewRefSerializer(required=False, allow_null=True)


class TraceSerializer(serializers.Serializer):
    """The read-only trace of a complaint transferred to another government."""

    read_only = serializers.BooleanField()
    transferred_at = serializers.DateTimeField()
    to_government = CodeNameSerializer()


class ComplaintStaffDetailSerializer(ComplaintStaffRowSerializer):
    photos = PhotoStaffSerializer(many=True)
    followers_count = serializers.IntegerField()
    similar_nearby = SimilarReportSerializer(many=True, help_text="Open reports of the same category nearby")
    timeline = serializers.ListField(child=serializers.DictField(), help_text="The staff events, oldest first")
    trace = TraceSerializer(allow_null=True, help_text=(
        "Set when the user's government transferred the complaint away: a read-only view as it stood "
        "at the transfer (timeline up to it, no actions)"))

    class Meta(ComplaintStaffRowSerializer.Meta):
        fields = ComplaintStaffRowSerializer.Meta.fields + ["photos", "followers_count", "similar_nearby", "timeline",
                                                            "trace"]

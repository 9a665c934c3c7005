"""Operator endpoints: enter a report received by phone/WhatsApp/social media, forward a
complaint to SP4N-LAPOR!, import a LAPOR! export. Session or token auth, operator role."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from fieldops import permissions
from fieldops.apis import agency_ref, area_ref, parse_location, point_geojson
from fieldops.idempotency import respond_once
from fieldops.models import Channel, Complaint
from fieldops.selectors import display_code, tracking_code_clean
from fieldops.services import complaint_create
from fieldops.text import ControlCharGuardMixin
from integrations.importer import lapor_import
from integrations.services import lapor_forward

OPS_CHANNELS = [Channel.PHONE, Channel.WHATSAPP, Channel.SOCIAL]
ERR_OPERATOR_ONLY = "Only operators (the command center) may do this."
ERR_CHANNEL = "channel must be one of: phone, whatsapp, social."
ERR_EMAIL = "Enter a valid email address."


def require_operator(user) -> None:
    """Only the operator desk (fieldops.permissions.may_enter_reports): 401 anonymous, else 403."""
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    if not permissions.may_enter_reports(user):
        raise PermissionDenied(ERR_OPERATOR_ONLY)


class OpsIntakeInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in OPS_CHANNELS])
    category = serializers.SlugField()
    description = serializers.CharField(max_length=4000)
    location = serializers.JSONField(help_text='GeoJSON Point or {"lat":..,"lon":..}')
    address = serializers.CharField(required=False, allow_blank=True)
    reporter_name = serializers.CharField(required=False, allow_blank=True)
    reporter_phone = serializers.CharField(required=False, allow_blank=True)
    reporter_email = serializers.EmailField(required=False, allow_blank=True)
    is_anonymous = serializers.BooleanField(required=False)


class OpsIntakeApi(ControlCharGuardMixin, APIView):
    """POST /api/v1/ops/intake/: a report an operator received by phone, WhatsApp or social media."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=OpsIntakeInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        require_operator(request.user)
        data = request.data
        if not hasattr(data, "get"):
            raise ValidationError({"body": ["The body must be a JSON object."]})
        channel = str(data.get("channel") or "").strip()
        if channel not in OPS_CHANNELS:
            raise ValidationError({"channel": [ERR_CHANNEL]})
        email = str(data.get("reporter_email") or "").strip()
        if email:
            try:
                serializers.EmailField().run_validation(email)
            except ValidationError:
                raise ValidationError({"reporter_email": [ERR_EMAIL]}) from None
        lon, lat = parse_location(data)
        # A double-clicked form or a retried request with the same Idempotency-Key is one report.
        def run():
            created = complaint_create(
                category=str(data.get("category") or ""), lon=lon, lat=lat,
                description=str(data.get("description") or ""), address=str(data.get("address") or ""),
                channel=channel, reporter_name=str(data.get("reporter_name") or ""),
                reporter_phone=str(data.get("reporter_phone") or ""), reporter_email=email,
                is_anonymous=str(data.get("is_anonymous", "")).lower() in {"1", "true", "yes", "on"},
                photo=request.FILES.get("photo"), actor=request.user,
            )
            c = created.complaint
            return 201, {
                "tracking_code": c.tracking_code, "status": c.status, "status_color": c.status_color,
                "channel": c.channel, "category": c.category.slug, "kecamatan": area_ref(c.kecamatan),
                "kelurahan": area_ref(c.kelurahan), "agency": agency_ref(c.agency), "location": point_geojson(c.location),
                "due_at": c.due_at.isoformat(), "reporter_token": created.reporter_token,
                "tracking_url": f"/lacak/{c.tracking_code}/",
            }

        return respond_once(request, scope=f"ops_intake:{request.user.pk}", run=run)


class ForwardLaporApi(ControlCharGuardMixin, APIView):
    """POST /api/v1/complaints/{code}/forward-lapor/: queue a complaint for SP4N-LAPOR!."""

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    def post(self, request, tracking_code: str):
        require_operator(request.user)
        code = tracking_code_clean(tracking_code)
        c = Complaint.objects.filter(tracking_code=code).first() if code else None
        if c is None:
            raise NotFound(f"No complaint with tracking code {display_code(tracking_code)!r}.")
        message = lapor_forward(complaint=c, actor=request.user)
        return Response({"tracking_code": c.tracking_code, "outbox_id": message.pk, "state": message.state},
                        status=status.HTTP_202_ACCEPTED)


class LaporReporterIn(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)


class LaporReportIn(serializers.Serializer):
    """One report of a LAPOR! export (docs/LAPOR.md)."""

    id = serializers.CharField(min_length=1, help_text="LAPOR!'s id; a second import of it is skipped")
    content = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(required=False, allow_blank=True)
    lat = serializers.FloatField(required=False)
    lon = serializers.FloatField(required=False)
    address = serializers.CharField(required=False, allow_blank=True)
    created_at = serializers.DateTimeField(required=False)
    anonymous = serializers.BooleanField(required=False)
    reporter = LaporReporterIn(required=False)


class LaporImportIn(serializers.Serializer):
    reports = LaporReportIn(many=True)


# The JSON types the documented schema allows, checked strictly (no "1" for a number).
_TYPES = {"id": str, "content": str, "category": str, "lat": (int, float), "lon": (int, float), "address": str,
          "created_at": str, "anonymous": bool}


def _check_batch(data) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("reports"), list):
        raise ValidationError({"reports": ['Send {"reports": [...]}, a list of LAPOR! reports.']})
    for i, item in enumerate(data["reports"]):
        if not isinstance(item, dict):
            raise ValidationError({f"reports[{i}]": ["Each report must be an object."]})
        for key, types in _TYPES.items():
            if key in item and (not isinstance(item[key], types) or (types != bool and isinstance(item[key], bool))):
                raise ValidationError({f"reports[{i}].{key}": ["Wrong type for this field (see docs/LAPOR.md)."]})
        if not item.get("id"):
            raise ValidationError({f"reports[{i}].id": ["This field is required."]})
        if "created_at" in item:
            from django.utils.dateparse import parse_datetime

            try:
                ok = parse_datetime(item["created_at"]) is not None
            except ValueError:
                ok = False
            if not ok:
                raise ValidationError({f"reports[{i}].created_at": ["Use an ISO 8601 date-time."]})
        reporter = item.get("reporter", {})
        if not isinstance(reporter, dict) or any(not isinstance(v, str) for v in reporter.values()):
            raise ValidationError({f"reports[{i}].reporter": ["An object of name, phone and email strings."]})


class LaporImportApi(APIView):
    """POST /api/v1/integrations/lapor/import/: a JSON export from SP4N-LAPOR!."""

    parser_classes = [JSONParser]

    @extend_schema(request=LaporImportIn, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        require_operator(request.user)
        _check_batch(request.data)
        result = lapor_import(data=request.data)
        return Response({"created": result.created, "skipped": result.skipped, "errors": result.errors})

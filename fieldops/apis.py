"""REST endpoints for complaints: create (JSON or multipart), public list/detail, locate,
categories and the login token."""

from __future__ import annotations

from django.utils.translation import get_language, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from common import lockout
from common.openapi import geojson_collection
from common.errors import interpolate
from common.parsers import BoolField, LocationField, PositivePages, parse_lonlat
from common.throttling import PublicCreateDeviceThrottle, PublicCreateIpThrottle
from fieldops import selectors
from fieldops.filters import ComplaintFilter
from fieldops.idempotency import respond_once
from fieldops.models import Category, Channel, Complaint
from fieldops.representation import (
    AgencyRefSerializer,
    AreaRefSerializer,
    ComplaintCreatedSerializer,
    ComplaintPublicSerializer,
    PointField,
    SimilarReportSerializer,
    agency_ref,
    complaint_created,
)
from fieldops.services import (
    DESCRIPTION_MAX, ERR_NOT_SERVED, NotServed, complaint_create, handoff_allowed, lapor_handoff_request,
)
from fieldops.signals import lapor_handoff_requested
from fieldops.text import ControlCharGuardMixin


ERR_CATEGORY_UNKNOWN = gettext_lazy("Unknown category {value!r}.")
# A wider accuracy circle is no border question (a GPS fix this poor says little about the side).
LOCATE_ACCURACY_MAX_M = 5000
IDEMPOTENCY_SCOPE_CREATE = "complaint_create"
ERR_OUTSIDE_INDONESIA = gettext_lazy("The location is outside Indonesia.")
ERR_HANDED_OFF = gettext_lazy("Sent to SP4N-LAPOR! for %(kabkota)s: this deployment does not serve that location.")


# ---------------------------------------------------------------- input


@extend_schema_field(OpenApiTypes.STR)
class CategoryField(serializers.SlugRelatedField):
    """An active category, named by its slug (an empty one, where the category is optional, is none)."""

    def __init__(self, *, error_messages=None, **kwargs):
        kwargs.setdefault("help_text", "Category slug, see /api/v1/categories/")
        messages = {"does_not_exist": ERR_CATEGORY_UNKNOWN, "invalid": ERR_CATEGORY_UNKNOWN.replace(" {value!r}", "")}
        super().__init__(slug_field="slug", queryset=Category.objects.filter(active=True),
                         error_messages={**messages, **(error_messages or {})}, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        category = selectors.category_active(data)  # one plain statement per create
        if category is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return category


# Citizens report through the web page or a mobile app; phone, WhatsApp and social-media
# reports are entered by operators at /api/v1/ops/intake/, Open311 and LAPOR! have their own faces.
PUBLIC_CHANNELS = (Channel.WEB, Channel.MOBILE)
ERR_CHANNEL_NOT_PUBLIC = gettext_lazy("Channel {input!r} is not for public reports; use web or mobile (operators use /api/v1/ops/intake/).")


class ComplaintCreateInput(serializers.Serializer):
    """A new report (JSON or multipart), parsed into the arguments of `complaint_create`.

    `location` may also come as top-level `lat` and `lon` (an HTML form); the service checks
    what holds for every face (the description, the service area)."""

    category = CategoryField()
    description = serializers.CharField(max_length=DESCRIPTION_MAX, allow_blank=True, trim_whitespace=False)
    location = LocationField(lat_lon=True, help_text='GeoJSON Point {"type":"Point","coordinates":[lon,lat]} '
                                                     'or {"lat":..,"lon":..}; or top-level lat and lon')
    accuracy = serializers.FloatField(required=False, allow_null=True, help_text="GPS accuracy in meters")
    accuracy_m = serializers.FloatField(required=False, allow_null=True, help_text="Same as accuracy")
    address = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in PUBLIC_CHANNELS], default=Channel.WEB,
                                      error_messages={"invalid_choice": ERR_CHANNEL_NOT_PUBLIC})
    reporter_name = serializers.CharField(required=False, allow_blank=True, default="")
    reporter_phone = serializers.CharField(required=False, allow_blank=True, default="")
    reporter_email = serializers.EmailField(required=False, allow_blank=True, default="")
    reporter_phone_consent = BoolField(required=False, default=False,
                                       help_text="The reporter agrees to get status changes by WhatsApp/SMS "
                                                 "on reporter_phone")
    is_anonymous = BoolField(required=False, default=False)
    photo = serializers.FileField(required=False, help_text="A JPEG, PNG or WebP photo")
    lapor_handoff = BoolField(required=False, default=False,
                              help_text="For a pin in a kab/kota this deployment does not serve (locate says "
                                        "served: false, lapor_handoff: true): forward the report to SP4N-LAPOR! "
                                        "instead (answer 202). Ignored where the pin is served.")

    def complaint_kwargs(self, *, actor) -> dict:
        """The keyword arguments of `complaint_create` for this (valid) body."""
        data = dict(self.validated_data)
        data.pop("lapor_handoff", None)  # the face's choice, not the service's (see ComplaintListCreateApi)
        accuracy = data.pop("accuracy", None)
        accuracy_m = data.pop("accuracy_m", None)
        return {**data, "accuracy_m": accuracy if accuracy is not None else accuracy_m,
                "photo": data.get("photo"), "actor": actor}


class LocateInput(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    category = CategoryField(required=False, allow_null=True)
    accuracy_m = serializers.FloatField(required=False, min_value=0, max_value=LOCATE_ACCURACY_MAX_M,
                                        help_text="The pin's accuracy circle in meters: other governments of this "
                                                  "deployment it reaches are listed in `alternatives`")

    def validate(self, attrs):
        attrs["location"] = parse_lonlat(attrs["lon"], attrs["lat"])
        return attrs


# ---------------------------------------------------------------- output


class KelurahanRefSerializer(AreaRefSerializer):
    jenis = serializers.ChoiceField(choices=["desa", "kelurahan", ""], help_text="desa or kelurahan")


class LocateOutput(serializers.Serializer):
    """Where a report at a point would go (the schema of LocateApi's answer)."""

    served = serializers.BooleanField(help_text="A government of this deployment serves the pin")
    in_service_area = serializers.BooleanField(help_text="Same as served (older clients)")
    location = PointField()
    government = AreaRefSerializer(allow_null=True, help_text="The kab/kota: served here, or (served: false) "
                                                              "the one responsible, from the national layer")
    kecamatan = AreaRefSerializer(allow_null=True)
    kelurahan = KelurahanRefSerializer(allow_null=True, help_text="The desa or kelurahan")
    agency = AgencyRefSerializer(allow_null=True)
    province = AreaRefSerializer(allow_null=True)
    lapor_handoff = serializers.BooleanField(help_text="served: false, and the report may be forwarded to "
                                                       "SP4N-LAPOR! (POST it with lapor_handoff: true)")
    alternatives = AreaRefSerializer(many=True, help_text="Other governments of this deployment that the "
                                                          "accuracy circle (accuracy_m) reaches")
    similar_nearby = SimilarReportSerializer(many=True)
    message = serializers.CharField(required=False, help_text="Outside the service area: what to do instead")
    nearest_kecamatan = AreaRefSerializer(required=False, allow_null=True)
    distance_m = serializers.IntegerField(required=False, allow_null=True)


class LaporHandoffOutput(serializers.Serializer):
    """The answer (202) to a report forwarded to SP4N-LAPOR! instead of stored here."""

    served = serializers.BooleanField()
    lapor_handoff = serializers.BooleanField()
    handoff_id = serializers.UUIDField(help_text="The delivery's idempotency key")
    government = AreaRefSerializer(help_text="The kab/kota responsible for the pin")
    province = AreaRefSerializer(allow_null=True)
    message = serializers.CharField()


class ComplaintFeatureSerializer(GeoFeatureModelSerializer):
    """A complaint as a GeoJSON Feature for public maps (no personal data)."""

    status_color = serializers.SerializerMethodField()
    category = serializers.CharField(source="category.slug")
    kecamatan = serializers.SerializerMethodField()
    kelurahan = serializers.SerializerMethodField()
    agency = serializers.CharField(source="agency.code")

    class Meta:
        model = Complaint
        geo_field = "location"
        id_field = "tracking_code"
        fields = ["tracking_code", "status", "status_color", "category", "kecamatan", "kelurahan", "agency",
                  "created_at", "due_at", "location"]

    def get_status_color(self, obj) -> str:
        return obj.status_color

    def get_kecamatan(self, obj) -> str | None:
        return obj.kecamatan.name if obj.kecamatan_id else None

    def get_kelurahan(self, obj) -> str | None:
        return obj.kelurahan.name if obj.kelurahan_id else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.category.is_private:
            data["geometry"] = None
        return data


class ComplaintPagination(PositivePages, GeoJsonPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        # rest_framework_gis renames `results` to `features` but leaves `results` required.
        page["required"] = ["type", "count", "features"]
        return page


# ---------------------------------------------------------------- views


class ComplaintListCreateApi(ControlCharGuardMixin, generics.ListAPIView):
    """`GET`: the public list (GeoJSON, filters in fieldops.filters.ComplaintFilter); `POST`: a new report."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    # Per IP and per device; both skip GET (see common.throttling).
    throttle_classes = [PublicCreateIpThrottle, PublicCreateDeviceThrottle]
    queryset = Complaint.objects.select_related("category", "kecamatan", "kelurahan", "agency").order_by("-created_at", "-id")
    serializer_class = ComplaintFeatureSerializer
    pagination_class = ComplaintPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ComplaintFilter

    @extend_schema(operation_id="complaints_list", responses={200: geojson_collection(
        "A page of public complaints (count, next, previous, features)",
        properties={name: {"type": "string"} for name in ComplaintFeatureSerializer.Meta.fields if name != "location"})})
    def get(self, request):
        return super().get(request)

    @extend_schema(
        request={"application/json": ComplaintCreateInput, "multipart/form-data": ComplaintCreateInput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={201: ComplaintCreatedSerializer, 202: LaporHandoffOutput},
    )
    def post(self, request):
        return respond_once(request, scope=IDEMPOTENCY_SCOPE_CREATE, run=lambda: self._create(request, self._kwargs(request)))

    def _kwargs(self, request) -> dict:
        if not hasattr(request.data, "get"):
            raise ValidationError({"body": ["The body must be a JSON object."]})
        body = ComplaintCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        return {**body.complaint_kwargs(actor=request.user), "lapor_handoff": body.validated_data["lapor_handoff"]}

    def _create(self, request, kwargs) -> tuple[int, dict]:
        handoff = kwargs.pop("lapor_handoff", False)
        try:
            return 201, complaint_created(complaint_create(**kwargs))
        except NotServed as exc:
            if not handoff:
                raise
            done = lapor_handoff_request(
                category=kwargs["category"], location=kwargs["location"], description=kwargs["description"],
                route=exc.route, address=kwargs.get("address", ""), accuracy_m=kwargs.get("accuracy_m"),
                channel=kwargs.get("channel", Channel.WEB))
            return 202, {
                "served": False, "lapor_handoff": True, "handoff_id": done.key,
                "government": {"code": done.responsible.code, "name": done.responsible.name},
                "province": {"code": done.province.code, "name": done.province.name} if done.province else None,
                "message": interpolate(ERR_HANDED_OFF, kabkota=done.responsible.name),
            }


class ComplaintDetailApi(ControlCharGuardMixin, APIView):
    @extend_schema(responses={200: ComplaintPublicSerializer})
    def get(self, request, tracking_code: str):
        c = selectors.complaint_get_public(tracking_code)
        if c is None:
            raise NotFound(f"No complaint with tracking code {selectors.display_code(tracking_code)!r}.")
        return Response(ComplaintPublicSerializer(c, context={"request": request}).data)


def _ref(area, *, jenis: bool = False) -> dict | None:
    if area is None:
        return None
    return {"code": area.code, "name": area.name, **({"jenis": area.jenis} if jenis else {})}


class LocateApi(ControlCharGuardMixin, APIView):
    """Where a report at lat/lon would go: government, kecamatan, desa/kelurahan, agency, similar
    reports; for a pin no government here serves, who is responsible and whether it may be
    forwarded to SP4N-LAPOR!; the other governments the accuracy circle reaches."""

    @extend_schema(parameters=[LocateInput], responses={200: LocateOutput})
    def get(self, request):
        from boundaries.selectors import governments_near, service_area_name
        from fieldops.services import ERR_OUTSIDE

        query = LocateInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        category, location = query.validated_data.get("category"), query.validated_data["location"]
        accuracy = query.validated_data.get("accuracy_m") or 0
        lon, lat = location.x, location.y
        route, agency = selectors.locate(lon=lon, lat=lat, category=category)
        if route.outside_indonesia:
            # Outside Indonesia (the national layer is loaded and covers nothing here): as the
            # create endpoint answers, a 400 naming the location.
            raise ValidationError({"location": [interpolate(ERR_OUTSIDE_INDONESIA)]})
        served = route.in_service_area
        government = route.government if served else route.responsible
        province = route.province if served else route.responsible_province
        body = {
            "served": served,
            "in_service_area": served,
            "location": {"type": "Point", "coordinates": [lon, lat]},
            "government": _ref(government),
            "kecamatan": _ref(route.kecamatan),
            "kelurahan": _ref(route.kelurahan, jenis=True),
            "agency": agency_ref(agency),
            "province": _ref(province),
            "lapor_handoff": bool(not served and route.responsible is not None and handoff_allowed(category)
                                  and lapor_handoff_requested.has_listeners()),
            "alternatives": [{"code": code, "name": name}
                             for code, name in governments_near(lon=lon, lat=lat, within_m=accuracy)
                             if not (served and code == route.government.code)],
            "similar_nearby": [],
        }
        if not served:
            if route.responsible is not None:
                body["message"] = interpolate(ERR_NOT_SERVED, kabkota=route.responsible.name,
                                              province=province.name if province else "-")
            else:
                body["message"] = interpolate(ERR_OUTSIDE,
                    city=service_area_name(route.generation_id),
                    kecamatan=route.nearest_kecamatan.name if route.nearest_kecamatan else "-",
                    distance=round(route.distance_m or 0),
                )
            body["nearest_kecamatan"] = (
                {"code": route.nearest_kecamatan.code, "name": route.nearest_kecamatan.name}
                if route.nearest_kecamatan else None
            )
            body["distance_m"] = round(route.distance_m) if route.distance_m is not None else None
        elif category is not None and not category.is_private:
            # Distances to reports about a person would triangulate them: none for private categories.
            body["similar_nearby"] = [
                {"tracking_code": s.tracking_code, "status": s.status, "status_color": s.status_color,
                 "distance_m": round(s.distance.m, 1), "description": s.description[:140]}
                for s in selectors.similar_nearby(lon=lon, lat=lat, category=category)
            ]
        return Response(body)


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    default_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Category
        fields = ["slug", "name", "name_id", "name_en", "description", "default_agency", "sla_hours"]

    def get_name(self, obj) -> str:
        return obj.name_for(get_language())


class CategoryListApi(APIView):
    @extend_schema(responses=CategorySerializer(many=True))
    def get(self, request):
        qs = Category.objects.filter(active=True).select_related("default_agency")
        return Response(CategorySerializer(qs, many=True).data)


class AuthTokenApi(APIView):
    """Exchange username and password for an API token (`Authorization: Token ...`).

    Failed attempts count in the one django-axes lockout shared with the login pages: the
    serializer passes the request to `authenticate()`, and a locked-out client gets 429.
    """

    authentication_classes: list = []

    @extend_schema(request=AuthTokenSerializer, responses={200: inline_serializer(
        "AuthToken", {"token": serializers.CharField(help_text="Send as `Authorization: Token <token>`")})})
    def post(self, request):
        ser = AuthTokenSerializer(data=request.data, context={"request": request})
        if not ser.is_valid():
            # django-axes marks the request it saw (this DRF request) when the client is locked out.
            if getattr(request, "axes_locked_out", False):
                locked = Throttled(detail=lockout.locked_out_message())
                locked.wait = lockout.cooloff_seconds()  # Retry-After, without DRF's extra sentence
                raise locked
            raise ValidationError(ser.errors)
        token, _created = Token.objects.get_or_create(user=ser.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(responses={204: None})
    def delete(self, request):
        """Revoke the token sent in the Authorization header."""
        from rest_framework.authentication import TokenAuthentication

        result = TokenAuthentication().authenticate(request)
        if result:
            result[1].delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

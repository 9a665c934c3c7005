"""REST endpoints for complaints: create (JSON or multipart), public list/detail, locate,
categories and the login token."""

from __future__ import annotations

import json

from django.utils import timezone
from django.utils.translation import get_language, gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from boundaries.models import AdminArea, Agency
from common import lockout
from common.parsers import parse_when
from common.throttling import PublicCreateDeviceThrottle, PublicCreateIpThrottle
from fieldops import privacy, selectors
from fieldops.idempotency import respond_once
from fieldops.models import STATUS_COLOR, Category, Channel, Complaint, Photo, Status
from fieldops.services import FieldError, complaint_create, validate_point
from fieldops.text import ControlCharGuardMixin

ERR_LOCATION_FORMAT = (
    'Give the location as a GeoJSON Point {"type": "Point", "coordinates": [lon, lat]} or as {"lat": ..., "lon": ...}.'
)
ERR_LOCATION_REQUIRED = "The location is required."
IDEMPOTENCY_SCOPE_CREATE = "complaint_create"


# ---------------------------------------------------------------- input parsing


def parse_location(data) -> tuple[float, float]:
    """Accept a GeoJSON Point, {"lat", "lon"}, a JSON string of either, or top-level lat/lon."""
    loc = data.get("location") if hasattr(data, "get") else None
    if loc in (None, "") and hasattr(data, "get") and (data.get("lat") not in (None, "") or data.get("lon") not in (None, "")):
        loc = {"lat": data.get("lat"), "lon": data.get("lon")}
    if loc in (None, ""):
        raise FieldError("location", _(ERR_LOCATION_REQUIRED), "required")
    if isinstance(loc, str):
        try:
            loc = json.loads(loc)
        except ValueError:
            raise FieldError("location", _(ERR_LOCATION_FORMAT)) from None
    if not isinstance(loc, dict):
        raise FieldError("location", _(ERR_LOCATION_FORMAT))
    if "coordinates" in loc or "type" in loc:
        coords = loc.get("coordinates")
        if loc.get("type") != "Point" or not isinstance(coords, (list, tuple)) or len(coords) not in (2, 3):
            raise FieldError("location", _(ERR_LOCATION_FORMAT))
        lon, lat = coords[0], coords[1]
    elif "lat" in loc or "lon" in loc or "lng" in loc:
        lon, lat = loc.get("lon", loc.get("lng")), loc.get("lat")
    else:
        raise FieldError("location", _(ERR_LOCATION_FORMAT))
    try:
        return validate_point(lon, lat)
    except FieldError as exc:
        # Name the field inside the location the way the client sent it.
        raise FieldError(f"location.{exc.field}", exc.message) from None


# Citizens report through the web page or a mobile app; phone, WhatsApp and social-media
# reports are entered by operators at /api/v1/ops/intake/, Open311 and LAPOR! have their own faces.
PUBLIC_CHANNELS = (Channel.WEB, Channel.MOBILE)
ERR_CHANNEL_NOT_PUBLIC = "Channel {channel!r} is not for public reports; use web or mobile (operators use /api/v1/ops/intake/)."


def _public_channel(value) -> str:
    channel = str(value or Channel.WEB).strip()
    if channel not in PUBLIC_CHANNELS:
        raise FieldError("channel", ERR_CHANNEL_NOT_PUBLIC.format(channel=channel))
    return channel


def _bool(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class ComplaintCreateInput(serializers.Serializer):
    """Documents the create body; parsing is done by `parse_location` and the service."""

    category = serializers.SlugField(help_text="Category slug, see /api/v1/categories/")
    description = serializers.CharField(max_length=4000)
    location = serializers.JSONField(help_text='GeoJSON Point {"type":"Point","coordinates":[lon,lat]} or {"lat":..,"lon":..}')
    accuracy = serializers.FloatField(required=False, help_text="GPS accuracy in meters")
    address = serializers.CharField(required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in PUBLIC_CHANNELS], required=False)
    reporter_name = serializers.CharField(required=False, allow_blank=True)
    reporter_phone = serializers.CharField(required=False, allow_blank=True)
    reporter_email = serializers.EmailField(required=False, allow_blank=True)
    is_anonymous = serializers.BooleanField(required=False)
    photo = serializers.ImageField(required=False)


# ---------------------------------------------------------------- output


def area_ref(area: AdminArea | None):
    return {"code": area.code, "name": area.name} if area else None


def agency_ref(agency: Agency | None):
    return {"code": agency.code, "name": agency.name, "short_name": agency.short_name} if agency else None


def point_geojson(p):
    return {"type": "Point", "coordinates": [round(p.x, 7), round(p.y, 7)]}


def photo_public(photo: Photo, request=None) -> dict:
    def url(f):
        u = f.url
        return request.build_absolute_uri(u) if request is not None and u.startswith("/") else u

    return {"kind": photo.kind, "url": url(photo.public), "thumb_url": url(photo.thumb), "created_at": photo.created_at}


def complaint_public_dict(c: Complaint, request=None) -> dict:
    """The public view of a complaint: never reporter name, phone, email or token."""
    lang = get_language()
    now = timezone.now()
    private_location = c.category.is_private
    return {
        "tracking_code": c.tracking_code,
        "status": c.status,
        "status_label": Status(c.status).label,
        "status_color": STATUS_COLOR.get(c.status, "grey"),
        "category": {"slug": c.category.slug, "name": c.category.name_for(lang)},
        "description": c.description,
        "address": "" if private_location else c.address,
        "location": None if private_location else point_geojson(c.location),
        "kecamatan": area_ref(c.kecamatan),
        "kelurahan": area_ref(c.kelurahan),
        "agency": agency_ref(c.agency),
        "channel": c.channel,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "due_at": c.due_at,
        "resolved_at": c.resolved_at,
        "is_overdue": bool(c.due_at and c.due_at < now and c.status in {s.value for s in selectors.OPEN_STATUSES}),
        "duplicate_of": c.duplicate_of.tracking_code if c.duplicate_of_id and c.duplicate_of else None,
        "photos": [photo_public(p, request) for p in c.photos.all()],
    }


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
        return STATUS_COLOR.get(obj.status, "grey")

    def get_kecamatan(self, obj) -> str | None:
        return obj.kecamatan.name if obj.kecamatan_id else None

    def get_kelurahan(self, obj) -> str | None:
        return obj.kelurahan.name if obj.kelurahan_id else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.category.is_private:
            data["geometry"] = None
        return data


class ComplaintPagination(GeoJsonPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


# ---------------------------------------------------------------- filters


def filter_complaints(qs, params, *, exact: bool = False):
    """The filters shared by the public list and the staff queue; bad values give 400.

    `bbox` places a private category's report at its snapped point (fieldops.privacy), unless
    `exact`: the caller sees the exact point of every row in `qs` anyway (the staff queue).
    """
    from django.contrib.gis.geos import Polygon

    for name in ("page", "page_size"):
        if any(not v.strip().isdigit() or int(v) < 1 for v in params.getlist(name)):
            raise ValidationError({name: ["Must be a positive integer."]})
    bbox = params.get("bbox")
    if bbox:
        try:
            x1, y1, x2, y2 = (float(v) for v in bbox.split(","))
        except ValueError:
            raise ValidationError({"bbox": ["Use bbox=min_lon,min_lat,max_lon,max_lat with four numbers."]}) from None
        if not (-180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90):
            raise ValidationError({"bbox": ["The box must be min_lon,min_lat,max_lon,max_lat within the globe."]})
        if exact:
            qs = qs.filter(location__coveredby=Polygon.from_bbox((x1, y1, x2, y2)))
        else:
            qs = privacy.complaints_in_box(qs, (x1, y1, x2, y2))
    if params.get("status"):
        wanted = [s.strip() for s in params["status"].split(",") if s.strip()]
        bad = [s for s in wanted if s not in Status.values]
        if bad:
            raise ValidationError({"status": [f"Unknown status {bad[0]!r}; use one of {', '.join(Status.values)}."]})
        qs = qs.filter(status__in=wanted)
    if params.get("category"):
        qs = qs.filter(category__slug__in=[s.strip() for s in params["category"].split(",")])
    if params.get("kecamatan"):
        value = params["kecamatan"].strip()
        qs = qs.filter(kecamatan__code=value) if value[:1].isdigit() else qs.filter(kecamatan__name__iexact=value)
    if params.get("kelurahan"):
        value = params["kelurahan"].strip()
        qs = qs.filter(kelurahan__code=value) if value[:1].isdigit() else qs.filter(kelurahan__name__iexact=value)
    if params.get("agency"):
        qs = qs.filter(agency__code=params["agency"].strip())
    if params.get("created_after"):
        qs = qs.filter(created_at__gte=parse_when(params["created_after"], "created_after"))
    if params.get("created_before"):
        qs = qs.filter(created_at__lt=parse_when(params["created_before"], "created_before"))
    return qs


FILTER_PARAMETERS = [
    OpenApiParameter("bbox", str, description="min_lon,min_lat,max_lon,max_lat (public list: a private category's "
                                              "report counts at its 500 m Web Mercator grid node)"),
    OpenApiParameter("status", str, description="Comma-separated statuses"),
    OpenApiParameter("category", str, description="Category slug(s)"),
    OpenApiParameter("kecamatan", str, description="Kecamatan code or name"),
    OpenApiParameter("kelurahan", str, description="Kelurahan code or name"),
    OpenApiParameter("agency", str, description="Agency code"),
    OpenApiParameter("created_after", str, description="ISO date or date-time"),
    OpenApiParameter("created_before", str, description="ISO date or date-time"),
]


# ---------------------------------------------------------------- views


class ComplaintListCreateApi(ControlCharGuardMixin, APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    # Per IP and per device; both skip GET (see common.throttling).
    throttle_classes = [PublicCreateIpThrottle, PublicCreateDeviceThrottle]

    @extend_schema(operation_id="complaints_list",
                   parameters=FILTER_PARAMETERS + [OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        qs = filter_complaints(
            Complaint.objects.select_related("category", "kecamatan", "kelurahan", "agency").order_by("-created_at", "-id"),
            request.query_params,
        )
        paginator = ComplaintPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ComplaintFeatureSerializer(page, many=True).data)

    @extend_schema(
        request={"application/json": ComplaintCreateInput, "multipart/form-data": ComplaintCreateInput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        return respond_once(
            request, scope=IDEMPOTENCY_SCOPE_CREATE, run=lambda: (201, self._create(request, self._kwargs(request)))
        )

    def _kwargs(self, request) -> dict:
        data = request.data
        if not hasattr(data, "get"):
            raise ValidationError({"body": ["The body must be a JSON object."]})
        lon, lat = parse_location(data)
        kwargs = dict(
            category=str(data.get("category") or ""),
            lon=lon,
            lat=lat,
            description=str(data.get("description") or ""),
            accuracy_m=data.get("accuracy", data.get("accuracy_m")),
            address=str(data.get("address") or ""),
            channel=_public_channel(data.get("channel")),
            reporter_name=str(data.get("reporter_name") or ""),
            reporter_phone=str(data.get("reporter_phone") or ""),
            reporter_email=str(data.get("reporter_email") or ""),
            is_anonymous=_bool(data.get("is_anonymous", False)),
            photo=request.FILES.get("photo"),
            actor=request.user,
        )
        if kwargs["reporter_email"]:
            try:
                serializers.EmailField().run_validation(kwargs["reporter_email"])
            except ValidationError:
                raise ValidationError({"reporter_email": ["Enter a valid email address."]}) from None
        return kwargs

    def _create(self, request, kwargs) -> dict:
        created = complaint_create(**kwargs)
        c = created.complaint
        similar = created.similar_nearby
        return {
            "tracking_code": c.tracking_code,
            "status": c.status,
            "status_color": c.status_color,
            "category": c.category.slug,
            "kecamatan": area_ref(c.kecamatan),
            "kelurahan": area_ref(c.kelurahan),
            "agency": agency_ref(c.agency),
            "due_at": c.due_at.isoformat(),
            "created_at": c.created_at.isoformat(),
            "location": point_geojson(c.location),
            "reporter_token": created.reporter_token,
            "tracking_url": f"/lacak/{c.tracking_code}/",
            "similar_nearby": similar,
        }


class ComplaintDetailApi(ControlCharGuardMixin, APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, tracking_code: str):
        c = selectors.complaint_get_public(tracking_code)
        if c is None:
            raise NotFound(f"No complaint with tracking code {selectors.display_code(tracking_code)!r}.")
        return Response(complaint_public_dict(c, request))


class LocateApi(ControlCharGuardMixin, APIView):
    """Where a report at lat/lon would go: kecamatan, kelurahan, agency, similar reports."""

    @extend_schema(
        parameters=[OpenApiParameter("lat", float, required=True), OpenApiParameter("lon", float, required=True),
                    OpenApiParameter("category", str)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        from boundaries.selectors import service_area_name
        from fieldops.services import ERR_OUTSIDE, resolve_category

        lon, lat = validate_point(request.query_params.get("lon"), request.query_params.get("lat"))
        category = None
        if request.query_params.get("category"):
            category = resolve_category(request.query_params["category"])
        route, agency = selectors.locate(lon=lon, lat=lat, category=category)
        body = {
            "in_service_area": route.in_service_area,
            "location": {"type": "Point", "coordinates": [lon, lat]},
            "kecamatan": route.kecamatan.__dict__ if route.kecamatan else None,
            "kelurahan": route.kelurahan.__dict__ if route.kelurahan else None,
            "agency": agency_ref(agency),
            "similar_nearby": [],
        }
        for k in ("kecamatan", "kelurahan"):
            if body[k]:
                body[k] = {"code": body[k]["code"], "name": body[k]["name"]}
        if not route.in_service_area:
            body["message"] = _(ERR_OUTSIDE).format(
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

    @extend_schema(request=AuthTokenSerializer, responses={200: OpenApiTypes.OBJECT})
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

"""REST endpoints over boundaries and agencies: locate a point, area GeoJSON, the agency list."""

import json

from django.db import connection
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from boundaries.models import Agency, AreaLevel, BoundaryGeneration, PlaceKind
from boundaries.selectors import PLACE_SEARCH_LIMIT, places_search
from common.openapi import geojson_collection
from common.parsers import check_control_chars
from common.throttling import PublicSearchThrottle


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["code", "name", "short_name", "kind", "area_code", "email", "phone", "address"]


class AgencyListApi(APIView):
    @extend_schema(responses=AgencySerializer(many=True))
    def get(self, request):
        return Response(AgencySerializer(Agency.objects.filter(active=True), many=True).data)


ERR_SIMPLIFY = gettext_lazy("Must be a number of meters between 0 and 500.")


class BoundaryQuery(serializers.Serializer):
    simplify = serializers.FloatField(
        default=0.0, min_value=0, max_value=500, help_text="Simplification tolerance in meters (0-500)",
        error_messages={"invalid": ERR_SIMPLIFY, "min_value": ERR_SIMPLIFY, "max_value": ERR_SIMPLIFY})


class BoundaryGeoJsonApi(APIView):
    """Areas of one level of the current generation as a GeoJSON FeatureCollection."""

    @extend_schema(
        parameters=[
            OpenApiParameter("level", str, OpenApiParameter.PATH, enum=list(AreaLevel.values)),
            BoundaryQuery,
        ],
        responses={200: geojson_collection("Areas with code, name and level")},
    )
    def get(self, request, level: str):
        if level not in AreaLevel.values:
            raise NotFound(f"Unknown level {level!r}; use kota, kecamatan or kelurahan.")
        query = BoundaryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        tolerance_m = query.validated_data["simplify"]
        generation = BoundaryGeneration.current()
        if generation is None:
            return Response({"type": "FeatureCollection", "features": []})
        # Degrees per meter near the equator is about 1/111320: good enough for display.
        tolerance_deg = tolerance_m / 111_320.0
        with connection.cursor() as cur:
            cur.execute(
                """
                SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
                    json_build_object(
                        'type', 'Feature',
                        'id', a.code,
                        'geometry', ST_AsGeoJSON(
                            CASE WHEN %(tol)s > 0 THEN ST_SimplifyPreserveTopology(a.geom, %(tol)s) ELSE a.geom END,
                            7)::json,
                        'properties', json_build_object(
                            'code', a.code, 'name', a.name, 'level', a.level,
                            'parent_code', p.code, 'parent_name', p.name,
                            'area_km2', round(a.area_km2::numeric, 3), 'population', a.population)
                    ) ORDER BY a.code), '[]'::json))
                FROM boundaries_adminarea a LEFT JOIN boundaries_adminarea p ON p.id = a.parent_id
                WHERE a.generation_id = %(gen)s AND a.level = %(level)s
                """,
                {"tol": tolerance_deg, "gen": generation.pk, "level": level},
            )
            body = cur.fetchone()[0]
        if isinstance(body, str):
            body = json.loads(body)
        response = Response(body)
        response["Cache-Control"] = "public, max-age=3600"
        return response


class PlaceSearchQuery(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=100, validators=[check_control_chars],
                              help_text="Part of a name: a kelurahan, a kecamatan or a public place (typos allowed)")
    limit = serializers.IntegerField(default=PLACE_SEARCH_LIMIT, min_value=1, max_value=20)


class PlaceSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="kelurahan, kecamatan, or a place kind: " + ", ".join(PlaceKind.values))
    kind_label = serializers.SerializerMethodField()
    kelurahan = serializers.CharField()
    kecamatan = serializers.CharField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    bbox = serializers.ListField(child=serializers.FloatField(), allow_null=True,
                                 help_text="min lon, min lat, max lon, max lat (areas only)")

    def get_kind_label(self, hit) -> str:
        if hit.kind in AreaLevel.values:
            return str(AreaLevel(hit.kind).label)
        return str(PlaceKind(hit.kind).label) if hit.kind in PlaceKind.values else hit.kind


class PlaceSearchApi(APIView):
    """Find a place by name to centre the report map: the city's kelurahan and kecamatan and the
    gazetteer's public places (markets, schools, offices...), matched fuzzily, best first."""

    throttle_classes = [PublicSearchThrottle]

    @extend_schema(parameters=[PlaceSearchQuery],
                   responses=inline_serializer("PlaceResults", {"results": PlaceSerializer(many=True)}))
    def get(self, request):
        query = PlaceSearchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        hits = places_search(q=query.validated_data["q"], limit=query.validated_data["limit"])
        return Response({"results": PlaceSerializer(hits, many=True).data})

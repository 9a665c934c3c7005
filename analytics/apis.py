"""REST endpoints of hotspot analytics: aggregates only, never personal data."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.urls import reverse
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from analytics import selectors, tiletokens
from analytics.filters import FILTER_NAMES, BoxFilterQuery, FilterQuery, Filters
from analytics.permissions import CanSeeAnalytics
from analytics.services import metric_srid
from analytics.tiletokens import TileTokenAuthentication
from boundaries.models import AreaLevel, Government
from boundaries.selectors import city_extent
from common.openapi import geojson_collection
from common.errors import interpolate
from common.parsers import BlankIsGiven

GEOJSON = "application/geo+json"
TILE_CACHE_S = 60
# A cache in each server process (settings.CACHES["tiles"]): a miss costs no network round trip.
TILE_CACHE = "tiles"
# DBSCAN cost grows with the square of the points within eps of each other (dense hotspots): the
# endpoint refuses more than this many points and asks for narrower filters.
CLUSTER_MAX_POINTS = int(os.environ.get("ANALYTICS_CLUSTER_MAX_POINTS", "100000"))

ERR_LEVEL = gettext_lazy("Use level=kota, level=kecamatan or level=kelurahan.")
ERR_SHAPE = gettext_lazy("Use shape=hex or shape=square.")
ERR_NUMBER = gettext_lazy("Must be a number between %(low)s and %(high)s.")
ERR_INTERVAL = gettext_lazy("Use interval=day, week or month.")
ERR_FORMAT = gettext_lazy("Use format=csv, geojson or gpkg.")
ERR_TOO_MANY = gettext_lazy("More than %(max)s complaints match; narrow the filters (dates, category, kecamatan or bbox).")
ERR_TILE = gettext_lazy("No such tile: z must be 0-22 and x, y within 0..2^z-1.")


class _Float(BlankIsGiven, serializers.FloatField):
    pass


class _Int(BlankIsGiven, serializers.IntegerField):
    pass


class _Choice(BlankIsGiven, serializers.ChoiceField):
    pass


def _number(kind, default, low, high):
    """A number parameter within [low, high] (absent: the default), or a 400 saying so."""
    message = interpolate(ERR_NUMBER, low=low, high=high)
    return kind(default=default, min_value=low, max_value=high,
                error_messages={"invalid": message, "min_value": message, "max_value": message})


def _choice(choices, default, message):
    return _Choice(choices=list(choices), default=default, error_messages={"invalid_choice": message})


class AreasQuery(BoxFilterQuery):
    level = _choice([AreaLevel.KOTA, AreaLevel.KECAMATAN, AreaLevel.KELURAHAN], AreaLevel.KECAMATAN, ERR_LEVEL)


class GridQuery(BoxFilterQuery):
    shape = _choice(["hex", "square"], "hex", ERR_SHAPE)
    size_m = _number(_Float, 500.0, 50, 20000)


class ClustersQuery(BoxFilterQuery):
    eps_m = _number(_Float, 100.0, 1, 5000)
    min_points = _number(_Int, 5, 3, 10000)


class TimeseriesQuery(BoxFilterQuery):
    interval = _choice(selectors.INTERVALS, "month", ERR_INTERVAL)


class ExportQuery(BoxFilterQuery):
    format = _choice(["csv", "geojson", "gpkg"], "csv", ERR_FORMAT)


class AnalyticsApi(APIView):
    permission_classes = [CanSeeAnalytics]
    query_class: type[FilterQuery] = BoxFilterQuery

    def query(self, request) -> tuple[Filters, dict]:
        """The filters as SQL and the endpoint's other parameters, read by its query serializer."""
        governments = request.analytics_governments
        query = self.query_class(data=request.query_params, context={"governments": governments})
        query.is_valid(raise_exception=True)
        return (query.filters(agency_scope=request.analytics_agency, government_scope=governments),
                query.validated_data)


class AreasApi(AnalyticsApi):
    query_class = AreasQuery

    @extend_schema(parameters=[AreasQuery], responses={(200, GEOJSON): geojson_collection(
        "Areas with count, resolution rate, median hours, overdue and per 1,000 residents")})
    def get(self, request):
        """GeoJSON of kab/kota (`level=kota`: one per government, the province's choropleth),
        kecamatan or kelurahan with counts, resolution rate, median hours, overdue, per 1,000;
        only the areas of the governments the user sees."""
        filters, params = self.query(request)
        governments = request.analytics_governments
        codes = (None if governments is None
                 else frozenset(Government.objects.filter(pk__in=sorted(governments)).values_list("code", flat=True)))
        body = selectors.areas_geojson(level=params["level"], filters=filters, government_codes=codes)
        return HttpResponse(body, content_type=GEOJSON)


class GridApi(AnalyticsApi):
    query_class = GridQuery

    @extend_schema(parameters=[GridQuery], responses={(200, GEOJSON): geojson_collection("Grid cells with counts")})
    def get(self, request):
        """Hexagon or square cells (in the city's metric projection) with their counts."""
        filters, params = self.query(request)
        body = selectors.grid_geojson(shape=params["shape"], size_m=params["size_m"], srid=metric_srid(), filters=filters)
        return HttpResponse(body, content_type=GEOJSON)


class ClustersApi(AnalyticsApi):
    query_class = ClustersQuery

    @extend_schema(parameters=[ClustersQuery], responses={(200, GEOJSON): geojson_collection("DBSCAN hotspots")})
    def get(self, request):
        """DBSCAN hotspots (meters, metric projection): count, hull, dominant category, centroid."""
        filters, params = self.query(request)
        eps_m, min_points = params["eps_m"], params["min_points"]
        srid = metric_srid()
        ((n,),) = selectors.run_sql([selectors.clusters_count_sql(filters=filters, limit=CLUSTER_MAX_POINTS)])[0]
        if n > CLUSTER_MAX_POINTS:
            raise ValidationError({"created_after": [interpolate(ERR_TOO_MANY, max=CLUSTER_MAX_POINTS)]})
        body = selectors.clusters_geojson(eps_m=eps_m, min_points=min_points, srid=srid, filters=filters)
        return HttpResponse(body, content_type=GEOJSON)


class TimeseriesApi(AnalyticsApi):
    query_class = TimeseriesQuery

    @extend_schema(parameters=[TimeseriesQuery], responses={200: inline_serializer("Timeseries", {
        "interval": serializers.CharField(),
        "periods": serializers.ListField(child=serializers.DictField(), help_text="period, total, by_category"),
    })})
    def get(self, request):
        """Complaint counts per day, week or month, split by category."""
        filters, params = self.query(request)
        return Response(selectors.timeseries(interval=params["interval"], tz=settings.TIME_ZONE, filters=filters))


class SummaryApi(AnalyticsApi):
    @extend_schema(parameters=[BoxFilterQuery], responses={200: inline_serializer("Summary", {
        "total": serializers.IntegerField(),
        "by_status": serializers.DictField(child=serializers.IntegerField()),
        "open": serializers.IntegerField(),
        "resolved": serializers.IntegerField(),
        "resolution_rate": serializers.FloatField(allow_null=True),
        "overdue": serializers.IntegerField(),
        "median_hours_to_first_response": serializers.FloatField(allow_null=True),
        "median_hours_to_resolve": serializers.FloatField(allow_null=True),
        "sla_by_agency": serializers.ListField(child=serializers.DictField()),
        "top_categories": serializers.ListField(child=serializers.DictField()),
    })})
    def get(self, request):
        """KPIs: totals by status, resolution rate, median hours, SLA per OPD, top categories, overdue."""
        return Response(selectors.summary(filters=self.query(request)[0]))


def _iso(v):
    return v.isoformat() if hasattr(v, "isoformat") else ("" if v is None else str(v))


def _geojson_stream(rows):
    yield '{"type":"FeatureCollection","features":[\n'
    first = True
    names = selectors.EXPORT_COLUMNS[:-2]
    block = []
    for row in rows:
        props = {k: (_iso(v) if v is not None and not isinstance(v, (str, int)) else v) for k, v in zip(names, row)}
        lon, lat = row[-2], row[-1]
        geom = "null" if lon is None else '{"type":"Point","coordinates":[%s,%s]}' % (lon, lat)
        block.append(("" if first else ",\n") + '{"type":"Feature","geometry":' + geom + ',"properties":'
                     + json.dumps(props) + "}")
        first = False
        if len(block) >= 1000:
            yield "".join(block)
            block = []
    yield "".join(block)
    yield "\n]}\n"


class _FormatIsOurs(DefaultContentNegotiation):
    """`format` is the export format here, not DRF's renderer override."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportApi(AnalyticsApi):
    content_negotiation_class = _FormatIsOurs
    query_class = ExportQuery

    @extend_schema(parameters=[ExportQuery],
                   responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, GEOJSON): geojson_collection("Complaints without personal data"),
                              (200, "application/geopackage+sqlite3"): OpenApiTypes.BINARY})
    def get(self, request):
        """The filtered complaints without personal data, as CSV, GeoJSON or GeoPackage (streamed)."""
        filters, params = self.query(request)
        fmt = params["format"]
        if fmt == "csv":
            resp = StreamingHttpResponse(selectors.export_csv_chunks(filters=filters),
                                         content_type="text/csv; charset=utf-8")
        elif fmt == "geojson":
            resp = StreamingHttpResponse(_geojson_stream(selectors.export_rows(filters=filters)), content_type=GEOJSON)
        else:
            resp = FileResponse(_gpkg_file(selectors.export_rows(filters=filters)),
                                content_type="application/geopackage+sqlite3")
        resp["Content-Disposition"] = f'attachment; filename="laksa-complaints.{fmt}"'
        resp["Cache-Control"] = "private, no-store"
        return resp


def _gpkg_file(rows):
    """Write GeoJSON to a temp file and convert it with GDAL's ogr2ogr; the file is gone once closed."""
    with tempfile.TemporaryDirectory(prefix="laksa-export-") as tmp:
        src = os.path.join(tmp, "complaints.geojson")
        dst = os.path.join(tmp, "complaints.gpkg")
        with open(src, "w", encoding="utf-8") as fh:
            for chunk in _geojson_stream(rows):
                fh.write(chunk)
        subprocess.run(
            ["ogr2ogr", "-f", "GPKG", dst, src, "-nln", "complaints", "-a_srs", "EPSG:4326", "-nlt", "POINT"],
            check=True, capture_output=True, timeout=600,
        )
        out = tempfile.TemporaryFile()
        with open(dst, "rb") as fh:
            while chunk := fh.read(1 << 20):
                out.write(chunk)
        out.seek(0)
        return out


class TileApi(AnalyticsApi):
    query_class = FilterQuery
    # A signed `token=` from the TileJSON first (no session lookup), then the usual session/API token.
    authentication_classes = [TileTokenAuthentication, *api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    @extend_schema(parameters=[FilterQuery], responses={(200, "application/vnd.mapbox-vector-tile"): OpenApiTypes.BINARY})
    def get(self, request, z: int, x: int, y: int):
        """A Mapbox vector tile (layer `complaints`): points from zoom 15, counts per cell below."""
        if not (0 <= z <= 22 and 0 <= x < 2**z and 0 <= y < 2**z):
            raise ValidationError({"tile": [ERR_TILE]})
        filters = self.query(request)[0]
        tiles = caches[TILE_CACHE]
        key = f"analytics:tile:{z}:{x}:{y}:" + hashlib.sha1(filters.key().encode()).hexdigest()
        data = tiles.get(key)
        if data is None:
            data = selectors.tile_bytes(z=z, x=x, y=y, filters=filters)
            tiles.set(key, data, TILE_CACHE_S)
        resp = HttpResponse(data, content_type="application/vnd.mapbox-vector-tile")
        resp["Cache-Control"] = f"private, max-age={TILE_CACHE_S}"
        return resp


class TileJsonApi(AnalyticsApi):
    query_class = FilterQuery

    @extend_schema(parameters=[FilterQuery], responses={200: inline_serializer("TileJson", {
        "tilejson": serializers.CharField(), "name": serializers.CharField(), "scheme": serializers.CharField(),
        "tiles": serializers.ListField(child=serializers.CharField(), help_text="URL templates with {z}/{x}/{y}"),
        "minzoom": serializers.IntegerField(), "maxzoom": serializers.IntegerField(),
        "vector_layers": serializers.ListField(child=serializers.DictField()),
        "expires_in": serializers.IntegerField(help_text="Seconds the signed tile URLs stay valid"),
        "bounds": serializers.ListField(child=serializers.FloatField(), required=False),
        "center": serializers.ListField(child=serializers.FloatField(), required=False),
    })})
    def get(self, request):
        """TileJSON 3.0.0 of the complaint tiles, with signed tile URLs for these filters (MapLibre `url:`)."""
        self.query(request)  # refuse bad filters here, not on every tile
        query = {name: request.query_params[name] for name in FILTER_NAMES
                 if name != "bbox" and request.query_params.get(name)}
        query[tiletokens.PARAM] = tiletokens.issue(user_id=request.user.pk, agency_id=request.analytics_agency,
                                                   government_ids=request.analytics_governments)
        path = reverse("complaint-tiles", kwargs={"z": 0, "x": 0, "y": 0}).removesuffix("0/0/0.pbf")
        template = request.build_absolute_uri(path) + "{z}/{x}/{y}.pbf?" + urlencode(query)
        body = {
            "tilejson": "3.0.0",
            "name": "complaints",
            "description": "Complaint counts per cell below zoom 15, single complaints (category, status) from 15.",
            "scheme": "xyz",
            "tiles": [template],
            "minzoom": 0,
            "maxzoom": 22,
            "vector_layers": [{"id": "complaints", "minzoom": 0, "maxzoom": 22,
                               "fields": {"count": "Number", "category": "String", "status": "String"}}],
            "expires_in": tiletokens.max_age(),
        }
        extent = city_extent()
        if extent:
            body["bounds"] = [round(v, 6) for v in extent]
            body["center"] = [round((extent[0] + extent[2]) / 2, 6), round((extent[1] + extent[3]) / 2, 6), 12]
        resp = Response(body)
        # Cached no longer than the token inside stays valid.
        resp["Cache-Control"] = f"private, max-age={min(300, tiletokens.max_age() // 2)}"
        return resp

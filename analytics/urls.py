"""API routes of hotspot analytics, under /api/v1/analytics/."""

from django.urls import path

from analytics import apis

urlpatterns = [
    path("areas/", apis.AreasApi.as_view(), name="analytics-areas"),
    path("grid/", apis.GridApi.as_view(), name="analytics-grid"),
    path("clusters/", apis.ClustersApi.as_view(), name="analytics-clusters"),
    path("timeseries/", apis.TimeseriesApi.as_view(), name="analytics-timeseries"),
    path("summary/", apis.SummaryApi.as_view(), name="analytics-summary"),
    path("export/", apis.ExportApi.as_view(), name="analytics-export"),
]

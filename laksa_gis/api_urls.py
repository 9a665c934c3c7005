"""Version 1 of the REST API. Apps add their routes here."""

from django.urls import path

from boundaries import apis as boundary_apis
from fieldops import apis as fieldops_apis

urlpatterns = [
    path("complaints/", fieldops_apis.ComplaintListCreateApi.as_view(), name="complaint-list"),
    path("complaints/<str:tracking_code>/", fieldops_apis.ComplaintDetailApi.as_view(), name="complaint-detail"),
    path("locate/", fieldops_apis.LocateApi.as_view(), name="locate"),
    path("categories/", fieldops_apis.CategoryListApi.as_view(), name="category-list"),
    path("agencies/", boundary_apis.AgencyListApi.as_view(), name="agency-list"),
    path("boundaries/<str:level>/", boundary_apis.BoundaryGeoJsonApi.as_view(), name="boundary-geojson"),
    path("auth/token/", fieldops_apis.AuthTokenApi.as_view(), name="auth-token"),
]

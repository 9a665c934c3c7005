from django.urls import path, re_path

from open311 import views

FMT = r"(?P<fmt>xml|json)"

urlpatterns = [
    re_path(rf"^discovery\.{FMT}$", views.discovery, name="open311-discovery"),
    re_path(rf"^services\.{FMT}$", views.services, name="open311-services"),
    re_path(rf"^services/(?P<code>[^/]+)\.{FMT}$", views.service_definition, name="open311-service-definition"),
    re_path(rf"^requests\.{FMT}$", views.requests_collection, name="open311-requests"),
    re_path(rf"^requests/(?P<request_id>[^/]+)\.{FMT}$", views.request_detail, name="open311-request"),
    re_path(rf"^tokens/(?P<token>[^/]+)\.{FMT}$", views.token_detail, name="open311-token"),
    path("<path:path>", views.not_found),
    path("", views.not_found),
]

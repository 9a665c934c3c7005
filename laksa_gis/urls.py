from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Login pages (failed attempts are counted by django-axes: settings AXES_*).
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("laksa_gis.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Open311 GeoReport v2 (XML and JSON): the standard face beside the native API.
    path("open311/v2/", include("open311.urls")),
    # The pages people touch: citizen map, tracking, public map, transparency, Tim Sigap, command center.
    # Analytics dashboard (login) and public statistics (issue 6).
    path("", include("analytics.page_urls")),
    path("", include("web.urls")),
]

# Public photos from local disk (object storage serves its own URLs). Originals are private
# and never served.
if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    urlpatterns += [
        re_path(r"^media/(?P<path>public/.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
else:
    # Object storage (several server processes): stream public copies from the private bucket.
    from laksa_gis.storage import serve_public_media

    urlpatterns += [re_path(r"^media/(?P<path>public/.*)$", serve_public_media)]

handler404 = "laksa_gis.views.not_found"
handler500 = "laksa_gis.views.error"

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.health import health
from fieldops.media import public_media

urlpatterns = [
    # Browsers and tools that ask for /favicon.ico without reading the page's <link rel="icon">.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("web/icons/favicon.ico"), permanent=True)),
    path("admin/", admin.site.urls),
    # For monitoring: database reachable, job engine counts (failed, waiting, running, workers).
    path("health/", health, name="health"),
    # Login pages (failed attempts are counted by django-axes: settings AXES_*).
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("laksa_gis.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the page needs no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Open311 GeoReport v2 (XML and JSON): the standard face beside the native API.
    path("open311/v2/", include("open311.urls")),
    # The pages people touch: citizen map, tracking, public map, transparency, Tim Sigap, command center.
    # Analytics dashboard (login) and public statistics (issue 6).
    path("", include("analytics.page_urls")),
    path("", include("web.urls")),
    # Public photo copies and thumbnails, from local disk or object storage alike: looked up by
    # their exact stored name, never by a file path (fieldops/media.py). Originals are served
    # only to staff through the API.
    re_path(r"^media/(?P<name>.+)$", public_media, name="public-media"),
]

handler404 = "common.errorpages.not_found"
handler500 = "common.errorpages.error"

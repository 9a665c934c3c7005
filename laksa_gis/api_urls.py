"""Version 1 of the REST API. Apps add their routes here."""

from django.urls import include, path, re_path

from boundaries import apis as boundary_apis
from analytics import apis as analytics_apis
from fieldops import apis as fieldops_apis
from fieldops import ops_apis, upload_apis
from integrations import apis as integrations_apis

urlpatterns = [
    path("uploads/", upload_apis.UploadCreateApi.as_view(), name="upload-list"),
    path("uploads/<uuid:upload_id>/", upload_apis.UploadDetailApi.as_view(), name="upload-detail"),
    path("complaints/", fieldops_apis.ComplaintListCreateApi.as_view(), name="complaint-list"),
    # Integrations (issue 7): operator intake by phone/WhatsApp/social, SP4N-LAPOR! forwarding and import.
    path("complaints/<str:tracking_code>/forward-lapor/", integrations_apis.ForwardLaporApi.as_view(),
         name="complaint-forward-lapor"),
    path("ops/intake/", integrations_apis.OpsIntakeApi.as_view(), name="ops-intake"),
    path("integrations/lapor/import/", integrations_apis.LaporImportApi.as_view(), name="lapor-import"),
    path("push/subscription/", integrations_apis.PushSubscriptionApi.as_view(), name="push-subscription"),
    # Field operations (before the generic detail route).
    path("complaints/<str:tracking_code>/photos/", ops_apis.ComplaintPhotoApi.as_view(), name="complaint-photos"),
    path("complaints/<str:tracking_code>/photos/<int:photo_id>/original/", ops_apis.ComplaintPhotoOriginalApi.as_view(),
         name="complaint-photo-original"),
    path("complaints/<str:tracking_code>/events/", ops_apis.ComplaintEventsApi.as_view(), name="complaint-events"),
    path("complaints/<str:tracking_code>/transfer/", ops_apis.ComplaintTransferApi.as_view(),
         name="complaint-transfer"),
    path("ops/complaints/<str:tracking_code>/transfer-targets/", ops_apis.ComplaintTransferTargetsApi.as_view(),
         name="complaint-transfer-targets"),
    re_path(r"^complaints/(?P<tracking_code>[^/]+)/(?P<action>" + "|".join(ops_apis.ACTION_NAMES) + r")/$",
            ops_apis.ComplaintActionApi.as_view(), name="complaint-action"),
    path("crews/", ops_apis.CrewListApi.as_view(), name="crew-list"),
    path("ops/complaints/", ops_apis.OpsComplaintListApi.as_view(), name="ops-complaint-list"),
    path("ops/complaints/<str:tracking_code>/", ops_apis.OpsComplaintDetailApi.as_view(), name="ops-complaint-detail"),
    path("me/", ops_apis.MeApi.as_view(), name="me"),
    path("complaints/<str:tracking_code>/", fieldops_apis.ComplaintDetailApi.as_view(), name="complaint-detail"),
    path("locate/", fieldops_apis.LocateApi.as_view(), name="locate"),
    path("categories/", fieldops_apis.CategoryListApi.as_view(), name="category-list"),
    path("agencies/", boundary_apis.AgencyListApi.as_view(), name="agency-list"),
    path("places/", boundary_apis.PlaceSearchApi.as_view(), name="place-search"),
    path("boundaries/<str:level>/", boundary_apis.BoundaryGeoJsonApi.as_view(), name="boundary-geojson"),
    path("auth/token/", fieldops_apis.AuthTokenApi.as_view(), name="auth-token"),
    # Hotspot analytics (issue 6): aggregates only.
    path("analytics/", include("analytics.urls")),
    path("tiles/complaints.json", analytics_apis.TileJsonApi.as_view(), name="complaint-tilejson"),
    path("tiles/complaints/<int:z>/<int:x>/<int:y>.pbf", analytics_apis.TileApi.as_view(), name="complaint-tiles"),
]

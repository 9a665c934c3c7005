from django.urls import path

from web import views

urlpatterns = [
    path("", views.citizen_page, name="web-citizen"),
    path("provinsi/", views.province_page, name="web-province"),
    path("provinsi/dasbor/", views.province_dashboard, name="web-province-dashboard"),
    path("laporan-saya/", views.my_reports_page, name="web-my-reports"),
    path("lacak/", views.track_lookup, name="web-track-lookup"),
    path("lacak/<str:code>/", views.track_page, name="web-track"),
    path("peta/", views.public_map_page, name="web-map"),
    path("transparansi/", views.transparency_page, name="web-transparency"),
    path("sigap/", views.crew_page, name="web-sigap"),
    path("ops/", views.ops_page, name="web-ops"),
    path("ops/stats/", views.ops_stats_fragment, name="web-ops-stats"),
    path("manifest.webmanifest", views.manifest, name="web-manifest"),
    path("sw.js", views.service_worker, name="web-sw"),
]

"""Pages of hotspot analytics: the staff dashboard and the public statistics."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("dasbor/", views.dashboard, name="analytics-dashboard"),
    path("statistik/", views.public_statistics, name="analytics-statistics"),
]

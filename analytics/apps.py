from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Hotspot analytics"
    default_auto_field = "django.db.models.BigAutoField"

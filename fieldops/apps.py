from django.apps import AppConfig


class FieldopsConfig(AppConfig):
    name = "fieldops"
    verbose_name = "Complaints and field operations"

from django.apps import AppConfig


class BoundariesConfig(AppConfig):
    name = "boundaries"
    verbose_name = "Boundaries and routing"

    def ready(self):
        from boundaries import checks  # noqa: F401  (registers the system checks)

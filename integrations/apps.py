from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (SP4N-LAPOR!, notifications, intake channels)"

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (SP4N-LAPOR!, notifications, intake channels)"

    def ready(self):
        from fieldops.signals import complaint_event_recorded
        from integrations.hooks import on_event_recorded

        complaint_event_recorded.connect(on_event_recorded, dispatch_uid="integrations.on_event_recorded")

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (SP4N-LAPOR!, notifications, intake channels)"

    def ready(self):
        from fieldops.signals import complaint_event_recorded, lapor_handoff_requested
        from integrations.hooks import on_event_recorded, on_lapor_handoff

        complaint_event_recorded.connect(on_event_recorded, dispatch_uid="integrations.on_event_recorded")
        lapor_handoff_requested.connect(on_lapor_handoff, dispatch_uid="integrations.on_lapor_handoff")

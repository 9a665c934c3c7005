from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime push"

    def ready(self):
        from fieldops.signals import complaint_event_recorded
        from realtime.envelope import publish_on_commit

        complaint_event_recorded.connect(publish_on_commit, dispatch_uid="realtime.publish_on_commit")

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime push"

    def ready(self):
        from fieldops.signals import complaint_event_recorded
        from realtime import revocation
        from realtime.envelope import publish_on_commit

        complaint_event_recorded.connect(publish_on_commit, dispatch_uid="realtime.publish_on_commit")
        # Revoked tokens, ended sessions, deactivated users and changed roles reach open
        # sockets at once (realtime/revocation.py); the domain below knows nothing of sockets.
        revocation.connect()

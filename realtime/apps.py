from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime push"

    def ready(self):
        # Revoked tokens, ended sessions, deactivated users and changed roles reach open
        # sockets at once (realtime/revocation.py); the domain below knows nothing of sockets.
        from realtime import revocation

        revocation.connect()

from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from fieldops.admin import GovernmentScopedAdmin
from integrations.models import BridgeState, Notification, OutboxMessage, OutboxState, PushSubscription
from integrations.tasks import lapor_deliver


@admin.register(OutboxMessage)
class OutboxMessageAdmin(GovernmentScopedAdmin, admin.ModelAdmin):
    government_field = "complaint__government"
    list_display = ["id", "kind", "complaint", "state", "attempts", "next_attempt_at", "remote_id", "reason", "created_at"]
    list_filter = ["state", "kind", "reason"]
    search_fields = ["complaint__tracking_code", "remote_id"]
    readonly_fields = ["idempotency_key", "payload", "remote_id", "delivered_at", "last_error", "created_at"]
    raw_id_fields = ["complaint", "requested_by"]
    actions = ["retry_now"]

    @admin.action(description="Retry now (failed or waiting rows; the same Idempotency-Key is reused)")
    def retry_now(self, request, queryset):
        ids = list(queryset.exclude(state=OutboxState.DELIVERED).values_list("id", flat=True))
        with transaction.atomic():
            OutboxMessage.objects.filter(id__in=ids).update(
                state=OutboxState.PENDING, next_attempt_at=timezone.now(), attempts=0)
            for pk in ids:
                lapor_deliver.defer(outbox_id=pk)
        self.message_user(request, f"{len(ids)} message(s) queued again.")


@admin.register(BridgeState)
class BridgeStateAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "updated_at"]


@admin.register(Notification)
class NotificationAdmin(GovernmentScopedAdmin, admin.ModelAdmin):
    """Reporter messages, one per (event, channel); their jobs are under Procrastinate › jobs."""

    government_field = "complaint__government"

    list_display = ["id", "channel", "complaint", "state", "attempts", "sent_at", "created_at"]
    list_filter = ["state", "channel"]
    search_fields = ["complaint__tracking_code"]
    readonly_fields = ["event", "complaint", "channel", "key", "state", "attempts", "last_error", "sent_at",
                       "created_at"]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "created_at"]
    search_fields = ["user__username"]
    readonly_fields = ["endpoint", "p256dh", "auth", "created_at"]
    raw_id_fields = ["user"]

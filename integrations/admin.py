from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from integrations.models import BridgeState, OutboxMessage, OutboxState
from integrations.tasks import lapor_deliver


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
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

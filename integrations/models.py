"""The SP4N-LAPOR! bridge's transactional outbox and its small state table.

An outbox row is written in the same database transaction as the complaint or event that
causes it, together with its delivery job, so a message exists exactly when the change
committed. The job (integrations/tasks.py) locks the row, sends it with the row's idempotency
key, and records the remote id. See docs/LAPOR.md."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from fieldops.models import Complaint


class OutboxKind(models.TextChoices):
    REPORT = "report", "Forward a report"
    STATUS = "status", "Status update of a forwarded report"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class OutboxMessage(models.Model):
    kind = models.CharField(max_length=8, choices=OutboxKind.choices)
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="lapor_outbox")
    # Sent as the Idempotency-Key header: a retry after a crash is the same report, not a second.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    reason = models.CharField(max_length=20, blank=True)  # category_rule, operator, status_change
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    remote_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx")]
        constraints = [
            # A complaint is forwarded as a report at most once.
            models.UniqueConstraint(fields=["complaint"], condition=models.Q(kind="report"), name="uniq_lapor_report"),
        ]

    def __str__(self):
        return f"{self.kind} {self.complaint_id} [{self.state}]"


class BridgeState(models.Model):
    """Small named values the bridge keeps between runs (e.g. the status-update cursor)."""

    key = models.CharField(max_length=60, unique=True)
    value = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class NotifyChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "WhatsApp/SMS gateway"


class NotifyState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DROPPED = "dropped", "Dropped (no contact left)"


class Notification(models.Model):
    """One message to a reporter about one event on one channel: the job's idempotency key.

    Written with its job in the transaction of the event; the job sends while holding this row
    locked and marks it sent in the same transaction, so a retry or a second worker finds it sent
    and sends nothing. `key` goes out as the gateway's Idempotency-Key and the mail's Message-ID."""

    event = models.ForeignKey("fieldops.ComplaintEvent", on_delete=models.CASCADE, related_name="+")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=8, choices=NotifyChannel.choices)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=8, choices=NotifyState.choices, default=NotifyState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="uniq_notification_event_channel")]

    def __str__(self):
        return f"{self.channel} for event {self.event_id} [{self.state}]"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (the Tim Sigap page on a crew member's phone)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"push for {self.user_id}: {self.endpoint[:60]}"

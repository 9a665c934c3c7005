"""integrations' jobs: reporter notifications (one per event and channel) and the SP4N-LAPOR! bridge."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.contrib.django import app

from common.jobs import RETRY, job
from integrations.lapor import LaporClient, LaporError, LaporRetry, deliver, handoff_deliver, updates_pull
from integrations.models import Notification, NotifyChannel, NotifyState
from integrations.notifications import phone_gateway, status_mail, status_text

logger = logging.getLogger(__name__)


@job(queue="notifications")
def notification_send(notification_id: int) -> str:
    """Send one notification, once: the row is locked while sending and marked sent in the same
    transaction; a run that finds it sent (a retry, an admin's Retry, a second worker) does nothing.
    A failure rolls the attempt back, is recorded on the row and raised, so the engine retries."""
    try:
        with transaction.atomic():
            n = (Notification.objects.select_for_update(of=("self",))
                 .select_related("complaint", "event").filter(pk=notification_id).first())
            if n is None or n.state != NotifyState.PENDING:
                return "done"
            c, key = n.complaint, str(n.key)
            if n.channel == NotifyChannel.EMAIL:
                if not c.reporter_email:  # anonymised since
                    n.state = NotifyState.DROPPED
                else:
                    status_mail(complaint=c, event=n.event, key=key).send(fail_silently=False)
                    n.state = NotifyState.SENT
            else:
                if not (c.reporter_phone and c.reporter_phone_consent):
                    n.state = NotifyState.DROPPED
                else:
                    phone_gateway().send(to=c.reporter_phone, text=status_text(complaint=c, event=n.event).short,
                                         key=key)
                    n.state = NotifyState.SENT
            n.attempts += 1
            n.sent_at = timezone.now() if n.state == NotifyState.SENT else None
            n.save(update_fields=["state", "attempts", "sent_at"])
            return n.state
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:1000])
        logger.warning("notification %s not sent: %s", notification_id, exc)
        raise



class LaporBackoff(BaseRetryStrategy):
    """A row still pending is tried again after the wait the bridge chose (LAPOR_BACKOFF_BASE_S ×
    2^(attempts−1), capped at 6 h; LAPOR_MAX_ATTEMPTS on the row ends it). Any other error (the
    database away, say) follows the common policy."""

    def get_retry_decision(self, *, exception, job):
        if isinstance(exception, LaporRetry):
            return RetryDecision(retry_in={"seconds": exception.wait.total_seconds()})
        return RETRY.get_retry_decision(exception=exception, job=job)


@job(queue="lapor", retry=LaporBackoff())
def lapor_deliver(outbox_id: int) -> str:
    """Deliver one SP4N-LAPOR! outbox row (deferred with the row, in its transaction)."""
    return deliver(outbox_id)


@job(queue="lapor", retry=LaporBackoff())
def lapor_handoff_deliver(key: str, payload: dict) -> str:
    """Deliver a report handed to SP4N-LAPOR! from a pin this deployment does not serve."""
    return handoff_deliver(key=key, payload=payload)


@app.periodic(cron=settings.SCHEDULE_LAPOR, periodic_id="lapor_updates")
@job(queue="lapor")
def lapor_updates(timestamp: int) -> int:
    """Every minute: apply the status updates LAPOR! has for us, from every account configured
    (the deployment's LAPOR_API_URL and each government's own)."""
    applied = 0
    for client in LaporClient.every_account():
        try:
            applied += updates_pull(client)
        except LaporError as exc:
            logger.warning("LAPOR updates from %s: %s", client.base_url, exc)
    return applied


@job(queue="push")
def push_event(event_id: int) -> dict:
    """Web Push an assignment, reroute, reopen or escalation to the crews it concerns."""
    from integrations.push import push_event_send

    return push_event_send(event_id)

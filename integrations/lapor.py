"""The SP4N-LAPOR! bridge: deliver outbox rows over HTTP and pull status updates back.

Each outbox row has its own job (integrations/tasks.py `lapor_deliver`, deferred with the row);
the job engine runs and retries it. The wire contract is in docs/LAPOR.md. Delivery is
at-least-once from here and exactly-once at LAPOR!, because every request carries the outbox
row's Idempotency-Key: a worker killed after LAPOR! accepted a report but before our commit
re-sends the same key and gets the same remote id back."""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from boundaries.models import Government
from fieldops.events import event_record
from fieldops.models import Complaint, EventType, Status
from fieldops.text import strip_control_chars
from common.jobs import PermanentJobError
from integrations.echo import lapor_echo_suppressed
from integrations.models import BridgeState, OutboxKind, OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
CURSOR_KEY = "lapor_updates_cursor"
# Statuses LAPOR! reports back, and what they mean here (docs/LAPOR.md).
LAPOR_TO_LAKSA = {"verified": Status.VERIFIED, "rejected": Status.REJECTED}
RETRYABLE_HTTP = {408, 425, 429}

ERR_NOT_CONFIGURED = gettext_lazy("LAPOR_API_URL is not set; the bridge has nowhere to send.")
ERR_REPORT_UNDELIVERED = gettext_lazy("the report itself was never delivered")


class LaporError(Exception):
    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


class LaporRetry(Exception):
    """The row is still pending: its job is to run again after `wait`."""

    def __init__(self, message: str, *, wait: timedelta):
        super().__init__(message)
        self.wait = wait


class LaporClient:
    """JSON over HTTP with the bearer token; every write carries an Idempotency-Key."""

    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.base_url = (base_url if base_url is not None else settings.LAPOR_API_URL).rstrip("/")
        self.token = token if token is not None else settings.LAPOR_API_TOKEN
        self.timeout = timeout if timeout is not None else settings.LAPOR_TIMEOUT_S
        if not self.base_url:
            raise LaporError(ERR_NOT_CONFIGURED, retry=False)

    @classmethod
    def for_government(cls, government) -> "LaporClient":
        """The client of a government's own SP4N-LAPOR! account (`Government.lapor_base_url` and
        `lapor_token`); each left empty falls back to the deployment's settings."""
        if government is None:
            return cls()
        return cls(base_url=government.lapor_base_url or None, token=government.lapor_token or None)

    @classmethod
    def every_account(cls) -> list["LaporClient"]:
        """One client per distinct account: the deployment's (when configured) and each active
        government's own. The status pull-back asks each."""
        accounts = {(settings.LAPOR_API_URL.rstrip("/"), settings.LAPOR_API_TOKEN)} if settings.LAPOR_API_URL else set()
        for url, token in Government.objects.filter(active=True).exclude(lapor_base_url="").values_list(
                "lapor_base_url", "lapor_token"):
            accounts.add((url.rstrip("/"), token or settings.LAPOR_API_TOKEN))
        return [cls(base_url=url, token=token) for url, token in sorted(accounts)]

    def _call(self, method: str, path: str, body: dict | None = None, key: str | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json; charset=utf-8")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        if key:
            req.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            retry = exc.code >= 500 or exc.code in RETRYABLE_HTTP
            raise LaporError(f"HTTP {exc.code}: {detail}", retry=retry) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise LaporError(f"network: {exc}", retry=True) from None
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise LaporError(f"not JSON: {raw[:200]!r}", retry=True) from None

    def report_create(self, payload: dict, key: str) -> str:
        answer = self._call("POST", "/reports", payload, key)
        remote = str(answer.get("id") or "").strip()
        if not remote:
            raise LaporError(f"no id in answer: {answer!r}"[:300], retry=True)
        return remote

    def status_push(self, remote_id: str, payload: dict, key: str) -> None:
        self._call("POST", f"/reports/{urllib.parse.quote(remote_id, safe='')}/status", payload, key)

    def updates(self, since: str) -> dict:
        return self._call("GET", "/reports/updates?" + urllib.parse.urlencode({"since": since}))


def backoff(attempts: int) -> timedelta:
    """Exponential: base, 2×base, 4×base … capped at 6 hours."""
    seconds = settings.LAPOR_BACKOFF_BASE_S * (2 ** max(attempts - 1, 0))
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _remote_id_of(complaint_id: int) -> tuple[str | None, str | None]:
    """(remote id, state of the report row) for a complaint LAPOR! knows."""
    c = Complaint.objects.filter(pk=complaint_id).values_list("external_id", flat=True).first() or ""
    if c.startswith("lapor:"):
        return c[len("lapor:"):], OutboxState.DELIVERED
    row = OutboxMessage.objects.filter(complaint_id=complaint_id, kind=OutboxKind.REPORT).values_list(
        "remote_id", "state").first()
    if row is None:
        return None, None
    return (row[0] or None), row[1]


def _delivered_report(msg: OutboxMessage, remote_id: str, now) -> None:
    msg.state, msg.remote_id, msg.delivered_at = OutboxState.DELIVERED, remote_id, now
    c = Complaint.objects.select_related("category", "agency", "kecamatan", "kelurahan", "crew").get(pk=msg.complaint_id)
    if not c.external_id:
        c.external_id = f"lapor:{remote_id}"
        Complaint.objects.filter(pk=c.pk, external_id="").update(external_id=c.external_id)
    event_record(complaint=c, type=EventType.NOTE, is_public=False, at=now,
                 note=f"Forwarded to SP4N-LAPOR! as {remote_id}", data={"lapor": "delivered", "lapor_id": remote_id})


def deliver(outbox_id: int, *, client: LaporClient | None = None, now=None) -> str:
    """Send one outbox row and record the outcome, holding the row locked, in one transaction.

    Returns 'delivered', 'failed' or 'done' (nothing to do: delivered or failed already, so a
    second run of the job sends nothing). Raises LaporRetry after committing the attempt when the
    row stays pending (a retryable error, or a status whose report is not delivered yet)."""
    now = now or timezone.now()
    retry: LaporRetry | None = None
    with transaction.atomic():
        msg = OutboxMessage.objects.select_for_update(of=("self",)).select_related(
            "complaint__government").filter(pk=outbox_id).first()
        if msg is None or msg.state != OutboxState.PENDING:
            return "done"
        try:
            # The complaint's government's own account when it has one, else the deployment's.
            client = client or LaporClient.for_government(msg.complaint.government if msg.complaint_id else None)
        except LaporError as exc:  # not configured: the job fails (admin, /health/); the row waits
            raise PermanentJobError(str(exc)) from None
        key = str(msg.idempotency_key)
        try:
            if msg.kind == OutboxKind.REPORT:
                remote = client.report_create(msg.payload, key)
                _delivered_report(msg, remote, now)
                outcome = "delivered"
            else:
                remote, report_state = _remote_id_of(msg.complaint_id)
                if remote is None:
                    if report_state == OutboxState.PENDING:
                        # The report is not delivered yet: wait for it without spending an attempt.
                        wait = timedelta(seconds=max(settings.LAPOR_BACKOFF_BASE_S, 1))
                        msg.next_attempt_at = now + wait
                        retry = LaporRetry("report not delivered yet", wait=wait)
                        outcome = "deferred"
                    else:
                        msg.state, msg.last_error = OutboxState.FAILED, ERR_REPORT_UNDELIVERED
                        outcome = "failed"
                else:
                    client.status_push(remote, msg.payload, key)
                    msg.state, msg.remote_id, msg.delivered_at = OutboxState.DELIVERED, remote, now
                    outcome = "delivered"
        except LaporError as exc:
            msg.attempts += 1
            msg.last_error = str(exc)[:1000]
            if exc.retry and msg.attempts < settings.LAPOR_MAX_ATTEMPTS:
                msg.next_attempt_at = now + backoff(msg.attempts)
                retry = LaporRetry(str(exc), wait=backoff(msg.attempts))
                outcome = "retried"
            else:
                msg.state = OutboxState.FAILED
                outcome = "failed"
            logger.warning("LAPOR outbox %s attempt %s: %s", msg.pk, msg.attempts, exc)
        msg.save()
    if retry is not None:
        raise retry
    return outcome


def updates_pull(client: LaporClient) -> int:
    """Apply status updates LAPOR! has for our complaints, from the stored cursor on (one cursor
    per account: the deployment's keeps its old key, a government's own is keyed by its URL)."""
    key = CURSOR_KEY
    if client.base_url != settings.LAPOR_API_URL.rstrip("/"):
        key = f"{CURSOR_KEY}:{hashlib.sha256(client.base_url.encode()).hexdigest()[:16]}"
    state, _ = BridgeState.objects.get_or_create(key=key)
    answer = client.updates(state.value or "")
    applied = 0
    with transaction.atomic():
        for update in answer.get("updates") or []:
            if update_apply(update):
                applied += 1
        state.value = strip_control_chars(answer.get("cursor") or state.value)[:200]
        state.save(update_fields=["value", "updated_at"])
    return applied


def update_apply(update: dict) -> bool:
    """One status from LAPOR!: through the workflow where it maps to a transition, else a note."""
    # LAPOR!'s text has nobody to retype it: control characters are stripped (fieldops.text).
    remote = strip_control_chars(update.get("id") or "").strip()
    status = strip_control_chars(update.get("status") or "").strip()
    note = strip_control_chars(update.get("note") or "").strip()[:1000]
    c = (Complaint.objects.select_related("category", "agency", "kecamatan", "kelurahan", "crew")
         .filter(external_id=f"lapor:{remote}").first()) if remote else None
    if c is None or not status:
        return False
    text = f"SP4N-LAPOR!: {status}" + (f" — {note}" if note else "")
    with lapor_echo_suppressed(), transaction.atomic():
        target = LAPOR_TO_LAKSA.get(status)
        if target and target != c.status:
            try:
                from fieldops import workflow

                if target == Status.VERIFIED:
                    workflow.complaint_verify(complaint=c, actor=None, note=text)
                    return True
                if target == Status.REJECTED:
                    workflow.complaint_reject(complaint=c, actor=None, reason=text)
                    return True
            except ImportError:
                pass
            except Exception as exc:  # a transition the workflow refuses becomes a note
                if getattr(exc, "http_status", None) is None:
                    raise
        event_record(complaint=c, type=EventType.NOTE, is_public=False, note=text,
                     data={"source": "lapor", "lapor_status": status, "lapor_id": remote})
    return True


def handoff_deliver(*, key: str, payload: dict, client: LaporClient | None = None) -> str:
    """Send a handed-off report (a pin no government of this deployment serves) to SP4N-LAPOR!.

    There is no complaint row: the job's arguments are the record, and `key` its
    Idempotency-Key, so a retried job is the same report at LAPOR!. Returns the remote id."""
    try:
        client = client or LaporClient()
    except LaporError as exc:  # not configured: the job fails where the admin sees it
        raise PermanentJobError(str(exc)) from None
    try:
        return client.report_create(payload, key)
    except LaporError as exc:
        if exc.retry:
            raise LaporRetry(str(exc), wait=backoff(1)) from None
        raise PermanentJobError(str(exc)) from None

"""What a reporter is told when their complaint's public status changes, and how it reaches them.

Channels: e-mail (Django's mail API) and a phone channel (WhatsApp or SMS) through a gateway
provider. Each (event, channel) is one `Notification` row and one job (integrations/tasks.py);
the row is the idempotency key, so a retried job never sends twice. The message is written in
the language of the report, with the tracking link."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from common.jobs import PermanentJobError
from fieldops.models import Status, event_public_note

RETRYABLE_HTTP = {408, 425, 429}


@dataclass
class StatusText:
    subject: str
    body: str
    short: str  # for WhatsApp/SMS: one paragraph


def tracking_url(complaint) -> str:
    base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}/lacak/{complaint.tracking_code}/"


def status_text(*, complaint, event) -> StatusText:
    """The status change in the reporter's language (the report's), with the tracking link."""
    url = tracking_url(complaint)
    language = complaint.reporter_language or settings.LANGUAGE_CODE
    with translation.override(language):
        label = str(Status(event.to_status).label)
        subject = _("Your report %(code)s: %(status)s") % {"code": complaint.tracking_code, "status": label}
        changed = _("The status of your report %(code)s changed to: %(status)s.") % {
            "code": complaint.tracking_code, "status": label}
        lines = [changed]
        note = event_public_note(event)  # a reason for the reporter, never a staff note
        if note:
            lines.append(_("Note from the officer: %(note)s") % {"note": note})
        follow = _("Follow it here: %(url)s") % {"url": url}
        short = " ".join([*lines, follow])
        lines += ["", follow]
    return StatusText(subject=subject, body="\n".join(lines), short=short)


def status_mail(*, complaint, event, key: str = "") -> EmailMessage:
    """The e-mail; `key` (the notification's) makes its Message-ID stable across retries."""
    text = status_text(complaint=complaint, event=event)
    headers = {"Message-ID": f"<notification-{key}@laksa-gis>"} if key else None
    return EmailMessage(subject=text.subject, body=text.body, from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[complaint.reporter_email], headers=headers)


class GatewayError(Exception):
    pass


class PhoneGateway:
    """The provider interface of the phone channel: send `text` to `to`, once per `key`."""

    def send(self, *, to: str, text: str, key: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def _fill(template, values: dict):
    """The JSON template with "{to}", "{text}", "{key}" replaced in its strings (values stay JSON-escaped)."""
    if isinstance(template, str):
        out = template
        for name, value in values.items():
            out = out.replace("{" + name + "}", value)
        return out
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


class HttpGateway(PhoneGateway):
    """A generic HTTP gateway, as Indonesian WhatsApp Business API / SMS providers offer: a POST of
    a JSON body built from NOTIFY_GATEWAY_TEMPLATE to NOTIFY_GATEWAY_URL with the bearer token and
    an Idempotency-Key header. 5xx, 408/425/429 and network errors are retried; other 4xx are not."""

    def __init__(self, url: str | None = None, token: str | None = None, template: str | None = None):
        self.url = url if url is not None else settings.NOTIFY_GATEWAY_URL
        self.token = token if token is not None else settings.NOTIFY_GATEWAY_TOKEN
        self.template = json.loads(template if template is not None else settings.NOTIFY_GATEWAY_TEMPLATE)

    def send(self, *, to: str, text: str, key: str) -> None:
        if not self.url:
            raise PermanentJobError("NOTIFY_GATEWAY_URL is not set")
        body = json.dumps(_fill(self.template, {"to": to, "text": text, "key": key})).encode()
        req = urllib.request.Request(self.url, data=body, method="POST")
        req.add_header("Content-Type", "application/json; charset=utf-8")
        req.add_header("Idempotency-Key", key)
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=settings.NOTIFY_GATEWAY_TIMEOUT_S) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code}: {exc.read()[:200].decode('utf-8', 'replace')}"
            if exc.code >= 500 or exc.code in RETRYABLE_HTTP:
                raise GatewayError(detail) from None
            raise PermanentJobError(detail) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise GatewayError(f"network: {exc}") from None


def phone_gateway() -> PhoneGateway:
    from django.utils.module_loading import import_string

    return import_string(settings.NOTIFY_PHONE_GATEWAY)()

"""The e-mail a reporter gets when their complaint's public status changes."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from fieldops.models import Status, event_public_note


def status_mail(*, complaint, event) -> EmailMessage:
    """Built inside the transaction from the objects in hand; sent after commit."""
    base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
    url = f"{base}/lacak/{complaint.tracking_code}/"
    with translation.override(settings.LANGUAGE_CODE):
        label = str(Status(event.to_status).label)
        subject = _("Your report %(code)s: %(status)s") % {"code": complaint.tracking_code, "status": label}
        lines = [
            _("The status of your report %(code)s changed to: %(status)s.") % {"code": complaint.tracking_code,
                                                                              "status": label},
        ]
        note = event_public_note(event)  # a reason for the reporter, never a staff note
        if note:
            lines.append(_("Note from the officer: %(note)s") % {"note": note})
        lines += ["", _("Follow it here: %(url)s") % {"url": url}]
    return EmailMessage(subject=subject, body="\n".join(lines), from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[complaint.reporter_email])

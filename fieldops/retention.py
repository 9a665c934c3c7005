"""Data retention: reporter contact is kept only as long as it is needed to follow up."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fieldops.models import Complaint, Status

FINISHED = [Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.DUPLICATE]


def reporter_contact_anonymise(*, older_than_days: int | None = None, commit: bool = False) -> int:
    """Blank the name, phone and email of reporters of complaints finished more than N days ago."""
    days = older_than_days if older_than_days is not None else settings.REPORTER_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    qs = Complaint.objects.filter(status__in=FINISHED, updated_at__lt=cutoff).exclude(
        reporter_name="", reporter_phone="", reporter_email=""
    )
    qs = qs.filter(Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True))
    if not commit:
        return qs.count()
    with transaction.atomic():
        return qs.update(reporter_name="", reporter_phone="", reporter_email="")

"""Parsers for the query parameters every face shares, each raising DRF's 400 naming the field."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError


def parse_when(value: str, field: str) -> datetime:
    """An aware datetime from `YYYY-MM-DD` (midnight, local time) or ISO 8601."""
    dt = parse_datetime(value)
    if dt is None:
        d = parse_date(value) if len(value) == 10 else None
        if d is None:
            raise ValidationError({field: [f"Not a date or date-time: {value!r} (use YYYY-MM-DD or ISO 8601)."]})
        dt = datetime(d.year, d.month, d.day)
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt

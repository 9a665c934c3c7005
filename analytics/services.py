"""Writes of the analytics app: the metric SRID the triggers project into."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection, transaction

from analytics.models import AnalyticsSettings
from boundaries.selectors import city_metric_srid

# How often a process re-derives the city's metric SRID from the boundaries (seconds).
SRID_RECHECK_S = 300
_checked = {"at": 0.0}


@transaction.atomic
def analytics_settings_sync(*, srid: int | None = None) -> int:
    """Store the city's metric SRID and time zone; (re)derive every fact that lacks them or used others."""
    srid = srid or city_metric_srid()
    tz = settings.TIME_ZONE or "UTC"
    row = AnalyticsSettings.objects.select_for_update().filter(pk=1).first()
    changed = row is None or row.metric_srid != srid or row.time_zone != tz
    AnalyticsSettings.objects.update_or_create(pk=1, defaults={"metric_srid": srid, "time_zone": tz})
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE analytics_complaintfact f SET x = ST_X(m), y = ST_Y(m),"
            " created_day = (f.created_at AT TIME ZONE %s)::date"
            " FROM (SELECT id, ST_Transform(location, %s) m FROM fieldops_complaint) c"
            " WHERE c.id = f.complaint_id" + ("" if changed else " AND f.x IS NULL"),
            [tz, srid],
        )
    _checked["at"] = time.monotonic()
    return srid


def metric_srid() -> int:
    """The SRID of the facts' x/y: one cheap query per call, a full sync only when needed."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT s.metric_srid, s.time_zone, EXISTS (SELECT 1 FROM analytics_complaintfact WHERE x IS NULL)"
            " FROM (SELECT 1) one LEFT JOIN analytics_analyticssettings s ON s.id = 1"
        )
        srid, tz, missing = cur.fetchone()
    if srid is None or missing or tz != (settings.TIME_ZONE or "UTC"):
        return analytics_settings_sync()
    if time.monotonic() - _checked["at"] > SRID_RECHECK_S:
        _checked["at"] = time.monotonic()
        if city_metric_srid() != srid:
            return analytics_settings_sync()
    return srid

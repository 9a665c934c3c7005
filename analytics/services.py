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
            # Placed as the triggers place them: a private category's report at its snapped point.
            " FROM (SELECT c.id, analytics_metric_place(c.location, cat.is_private, %s) m"
            "         FROM fieldops_complaint c JOIN fieldops_category cat ON cat.id = c.category_id) c"
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


# The facts arrive in time order, from all over the city, so the points of one map tile end up
# on thousands of different table pages. Rewriting the table in the order of its spatial index
# (CLUSTER) puts neighbours on the same pages: a category-filtered z14 tile at 1M complaints
# read 18,767 pages (73 ms) before and a few hundred (13 ms) after (docs/BENCHMARKS.md).
# The index is rebuilt first: a fresh GiST build on points sorts them along a Hilbert curve
# (PostGIS 3.1+ on PostgreSQL 14+), which is the order CLUSTER then writes the rows in; an
# index grown by inserts gives about half the locality (tests/analytics/test_generator.py).
FACT_TABLE = "analytics_complaintfact"


def facts_spatial_index() -> str:
    """The name of the GiST index on the facts' Web Mercator point."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_am am ON am.oid = i.relam JOIN pg_attribute a ON a.attrelid = x.indrelid"
            " AND a.attnum = x.indkey[0]"
            " WHERE x.indrelid = %s::regclass AND am.amname = 'gist' AND a.attname = 'geom'",
            [FACT_TABLE],
        )
        row = cur.fetchone()
    if row is None:
        raise RuntimeError(f"{FACT_TABLE} has no GiST index on geom")
    return row[0]


def facts_cluster() -> float:
    """Rewrite the facts in spatial order (CLUSTER) and refresh statistics; the seconds it took.

    CLUSTER holds an exclusive lock on the facts while it runs, so complaint writes (whose
    triggers insert facts) wait for it: about 6 s at a million complaints, well under a second
    at a city's real volume. Run it off-peak (docs/OPERATIONS.md).
    """
    started = time.monotonic()
    index = facts_spatial_index()
    with connection.cursor() as cur:
        cur.execute(f"REINDEX INDEX {connection.ops.quote_name(index)}")
        cur.execute(f"CLUSTER {FACT_TABLE} USING {connection.ops.quote_name(index)}")
        cur.execute(f"ANALYZE {FACT_TABLE}")
    return time.monotonic() - started

"""analytics' schedule on the job engine (docs/OPERATIONS.md "Schedules")."""

from __future__ import annotations

from django.conf import settings
from procrastinate.contrib.django import app

from analytics.services import facts_cluster
from common.jobs import job


@app.periodic(cron=settings.SCHEDULE_CLUSTER, periodic_id="cluster_analytics")
@job(queue="schedules")
def cluster_analytics(timestamp: int) -> float:
    """Weekly, off-peak: CLUSTER the facts in spatial order so map tiles read few pages."""
    return facts_cluster()

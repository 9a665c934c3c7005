"""GET /health/: is the database reachable, and how is the job engine doing (for monitoring).

200 with the counts while the database answers (failed jobs are counted, not an outage: an
admin retries them in Django admin › Procrastinate jobs); 503 when it does not."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from common.jobs import jobs_health


@require_GET
def health(request):
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        jobs = jobs_health()
    except DatabaseError:
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse({"database": "ok", "jobs": jobs})

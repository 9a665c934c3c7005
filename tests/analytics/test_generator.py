"""`generate_demo_complaints` makes valid complaints inside the real kelurahan, and
`cluster_analytics` puts the facts of one neighbourhood on few table pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from fieldops.models import Complaint, ComplaintEvent

pytestmark = pytest.mark.django_db

COUNT = 4000


def _pages_per_kelurahan() -> float:
    """Average number of distinct table pages holding one kelurahan's facts."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT avg(pages) FROM (SELECT kelurahan_id, count(DISTINCT (ctid::text::point)[0]) AS pages"
            " FROM analytics_complaintfact GROUP BY kelurahan_id) s"
        )
        return float(cur.fetchone()[0])


def test_generated_complaints_are_valid_and_clustering_gathers_neighbours(city):
    call_command("generate_demo_complaints", count=COUNT, quiet=True, no_cluster=True)
    made = Complaint.objects.filter(external_id__startswith="demo:")
    assert made.count() == COUNT
    # Every one inside a real kelurahan of its kecamatan, routed to an agency.
    assert not made.filter(kelurahan__isnull=True).exists()
    assert made.filter(kelurahan__parent_id__isnull=False).count() == COUNT
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM fieldops_complaint c JOIN boundaries_adminarea k ON k.id = c.kelurahan_id"
            " WHERE c.external_id LIKE 'demo:%%' AND NOT ST_Covers(k.geom, c.location)"
        )
        assert cur.fetchone()[0] == 0
    assert ComplaintEvent.objects.filter(complaint__in=made, type="created").count() == COUNT
    # Two years of history, most of the old ones finished, no personal data.
    oldest = made.order_by("created_at").first().created_at
    assert timezone.now() - timedelta(days=2 * 366) < oldest < timezone.now() - timedelta(days=300)
    assert made.filter(status__in=["resolved", "closed"]).count() > COUNT // 2
    assert made.filter(status__in=["new", "verified", "assigned", "in_progress", "on_hold"]).count() > 20
    assert not made.exclude(reporter_phone="").exists() and not made.exclude(reporter_email="").exists()

    scattered = _pages_per_kelurahan()
    out = call_command("cluster_analytics")
    clustered = _pages_per_kelurahan()
    # Load order spreads each kelurahan's ~40 facts over ~24 pages; clustered, about 4-5.
    assert scattered > 10
    assert clustered < scattered / 4, (scattered, clustered)
    assert out is None  # prints its timing, returns nothing

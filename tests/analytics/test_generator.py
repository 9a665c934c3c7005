"""`generate_demo_complaints` makes valid complaints inside the real kelurahan, and
`cluster_analytics` puts the facts of one neighbourhood on few table pages."""

from __future__ import annotations

import math
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


def test_generated_complaints_take_their_desa_government_and_its_routing(city):
    """Each complaint belongs to the government of its kelurahan's kab/kota and goes to an agency
    of that government: another government's catch-all rule (the highest priority of all) is not
    read for Kota Tangerang's kelurahan."""
    from boundaries.models import Agency, Government, RoutingRule
    from tests.support.governments import neighbour_government

    other = neighbour_government(area=None, operator=None)
    RoutingRule.objects.create(government=other, priority=10_000, agency=Agency.command_center(other))
    call_command("generate_demo_complaints", count=300, seed=18, quiet=True, no_cluster=True, no_events=True)
    made = Complaint.objects.filter(external_id__startswith="demo:18:")
    tangerang = Government.objects.get(code="36.71")
    assert made.count() == 300
    assert set(made.values_list("government_id", flat=True)) == {tangerang.pk}
    assert set(made.values_list("agency__government_id", flat=True)) == {tangerang.pk}
    assert made.values("agency").distinct().count() > 3  # Tangerang's own rules, not one fallback


def test_kota_level_from_the_rollup_matches_the_facts(city):
    """The governor's kab/kota choropleth read from the rollup (aggregated per agency, then per
    government) gives what one scan of the facts gives, unscoped and scoped to a government."""
    from analytics import selectors
    from analytics.filters import parse_filters
    from boundaries.models import Government

    call_command("generate_demo_complaints", count=600, seed=19, quiet=True, no_cluster=True, no_events=True)
    tangerang = frozenset({Government.objects.get(code="36.71").pk})
    for params, scope in (({}, None), ({"status": "new,verified,in_progress"}, None), ({"category": "roads"}, tangerang),
                          ({}, tangerang)):
        rollup = parse_filters(params, government_scope=scope)
        scan = parse_filters({**params, "created_after": "2000-01-01"}, government_scope=scope)
        assert selectors.uses_rollup(rollup) and not selectors.uses_rollup(scan)
        from_rollup = selectors.area_stats(level="kota", filters=rollup)
        from_facts = selectors.area_stats(level="kota", filters=scan)
        assert set(from_rollup) == {"36.71"} and from_rollup["36.71"][0] > 0, params
        assert from_rollup["36.71"][:3] + from_rollup["36.71"][4:] == from_facts["36.71"][:3] + from_facts["36.71"][4:]
        assert from_rollup["36.71"][3] == pytest.approx(from_facts["36.71"][3]), params


def test_area_rollups_by_government_and_day_match_the_facts(city):
    """The areas endpoint's rollups by government, area and status (hours, and days for the median;
    analytics 0010) answer what one scan of the facts answers, at every level, unscoped and scoped
    to each of two governments, after complaints moved to the other government (a transfer keeps the
    kelurahan); the day rollup is the hour rollup summed per day, through inserts, updates, deletes."""
    from django.db.models import Sum

    from analytics import selectors
    from analytics.filters import parse_filters
    from analytics.models import AreaDayRollup, AreaStatusRollup, ComplaintFact
    from boundaries.models import AdminArea, Agency, Government
    from tests.governments import serang_setup

    call_command("generate_demo_complaints", count=800, seed=23, quiet=True, no_cluster=True, no_events=True)
    serang = serang_setup()["government"]
    moved = list(Complaint.objects.filter(status__in=["resolved", "closed"]).order_by("id")[:60].values_list("id", flat=True))
    Complaint.objects.filter(id__in=moved).update(government=serang, agency=Agency.objects.get(government=serang, code="dpupr"))
    Complaint.objects.filter(id__in=moved[:10]).delete()
    # Resolved across a day's edge, and one resolved before it was created (a negative hour bucket).
    first = Complaint.objects.filter(status="resolved").order_by("id").first()
    Complaint.objects.filter(id=first.id).update(resolved_at=first.created_at - timedelta(hours=3))

    def per_day(model, bucket):
        out = {}
        for row in model.objects.values("government_id", "kecamatan_id", "kelurahan_id", "status", bucket, "n"):
            b = row[bucket]
            day = b if model is AreaDayRollup or b == selectors.NO_BUCKET else b // 24
            key = (row["government_id"], row["kecamatan_id"], row["kelurahan_id"], row["status"], day)
            out[key] = out.get(key, 0) + row["n"]
        return {k: v for k, v in out.items() if v}

    assert per_day(AreaDayRollup, "resolve_d") == per_day(AreaStatusRollup, "resolve_b")
    assert AreaStatusRollup.objects.filter(resolve_b__lt=0).exclude(resolve_b=selectors.NO_BUCKET).exists()
    assert AreaStatusRollup.objects.filter(government_id=serang.pk).aggregate(n=Sum("n"))["n"] == (
        Complaint.objects.filter(government=serang).count()) == 50 + 2  # serang_setup's two
    tangerang = Government.objects.get(code="36.71")
    for scope in (None, frozenset({tangerang.pk}), frozenset({serang.pk})):
        for params in ({}, {"status": "resolved,closed"}, {"category": "roads,garbage"}):
            for level in ("kecamatan", "kelurahan", "kota"):
                rollup = parse_filters(params, government_scope=scope)
                scan = parse_filters({**params, "created_after": "2000-01-01"}, government_scope=scope)
                assert selectors.uses_rollup(rollup) and not selectors.uses_rollup(scan)
                from_rollup = selectors.area_stats(level=level, filters=rollup)
                from_facts = selectors.area_stats(level=level, filters=scan)
                assert set(from_rollup) == set(from_facts), (scope, params, level)
                # (The test's Kabupaten Serang has no kab/kota area to count under.)
                assert from_rollup or (level == "kota" and scope == {serang.pk}), (scope, params, level)
                for code, got in from_rollup.items():
                    want = from_facts[code]
                    assert got[:3] + got[4:] == want[:3] + want[4:], (scope, params, level, code)
                    assert got[3] == pytest.approx(want[3]), (scope, params, level, code)
    # The medians against Python's, from the facts' hours (median_from_histogram).
    hist, codes = {}, dict(AdminArea.objects.values_list("id", "code"))
    for area, hours in ComplaintFact.objects.filter(resolve_h__isnull=False).values_list("kelurahan_id", "resolve_h"):
        code = codes[area]
        b = min(math.floor(hours), selectors.HOURS_CAP)
        hist.setdefault(code, {}).setdefault(b, 0)
        hist[code][b] += 1
    medians = {code: v[3] for code, v in selectors.area_stats(level="kelurahan", filters=parse_filters({})).items()}
    assert len(hist) > 50 and medians == pytest.approx({code: selectors.median_from_histogram(hist.get(code, {}))
                                                         for code in medians})
    Complaint.objects.all().delete()
    assert not AreaDayRollup.objects.exclude(n=0).exists() and not AreaStatusRollup.objects.exclude(n=0).exists()


def test_hex_cells_count_per_government_and_answer_the_default_grid(city):
    """The default 500 m hex grid unfiltered or scoped to a government reads the cells counted by
    the triggers (analytics 0011): they equal the facts counted per government and cell through
    inserts, a move to another government, deletes and a category made private, and the grid read
    from them equals the grid aggregated from the facts."""
    from django.db.models import Count, Sum

    from analytics import selectors
    from analytics.filters import parse_filters
    from analytics.models import ComplaintFact, HexCell
    from analytics.services import metric_srid
    from boundaries.models import Agency, Government
    from fieldops.models import Category
    from tests.governments import serang_setup

    call_command("generate_demo_complaints", count=600, seed=29, quiet=True, no_cluster=True, no_events=True)
    serang = serang_setup()["government"]
    moved = list(Complaint.objects.order_by("id")[:40].values_list("id", flat=True))
    Complaint.objects.filter(id__in=moved).update(government=serang, agency=Agency.objects.get(government=serang, code="dpupr"))
    Complaint.objects.filter(id__in=moved[:5]).delete()
    Category.objects.filter(slug="garbage").update(is_private=True)  # its facts' points move (snapped)

    def cells():
        return {tuple(k): n for *k, n in HexCell.objects.values_list("government_id", "i", "j").annotate(s=Sum("n")) if n}

    def facts():
        return {tuple(k): n for *k, n in ComplaintFact.objects.filter(hex500_i__isnull=False)
                .values_list("government_id", "hex500_i", "hex500_j").annotate(c=Count("complaint_id"))}

    assert cells() == facts() and len({g for g, _, _ in cells()}) == 2
    srid = metric_srid()
    tangerang = Government.objects.get(code="36.71")
    for scope in (None, frozenset({tangerang.pk}), frozenset({serang.pk})):
        from_cells = parse_filters({}, government_scope=scope)
        from_facts = parse_filters({"created_after": "2000-01-01"}, government_scope=scope)
        assert "analytics_hexcell" in selectors.grid_sql(shape="hex", size_m=500, srid=srid, filters=from_cells)[0]
        assert "analytics_hexcell" not in selectors.grid_sql(shape="hex", size_m=500, srid=srid, filters=from_facts)[0]
        got = selectors.grid_geojson(shape="hex", size_m=500, srid=srid, filters=from_cells)
        assert got == selectors.grid_geojson(shape="hex", size_m=500, srid=srid, filters=from_facts)
        assert '"count":' in got, scope
    Complaint.objects.all().delete()
    assert not HexCell.objects.exclude(n=0).exists()

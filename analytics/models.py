"""Derived, write-time data that makes hotspot analytics fast at a million complaints.

`ComplaintFact` is one narrow row per complaint (no personal data), kept in step with
`fieldops_complaint` by statement-level database triggers installed by this app's migration, so
every write path (the ORM, COPY, raw SQL, other apps' services) is covered. It stores the point
already projected into the city's metric projection (x/y, meters) so grids and DBSCAN need no
per-query `ST_Transform`, and in Web Mercator (`geom`, GiST) for vector tiles.

`TileCell` counts complaints per z18 Web Mercator tile (about 153 m): low-zoom tiles without
filters are drawn from it instead of scanning hundreds of thousands of points.
"""

from django.contrib.gis.db import models


class AnalyticsSettings(models.Model):
    """One row (id 1): the metric SRID the triggers project into, filled from `city_metric_srid()`."""

    metric_srid = models.IntegerField()
    # The city's time zone (settings.TIME_ZONE): the local day a complaint was made on.
    time_zone = models.CharField(max_length=64, default="UTC")
    updated_at = models.DateTimeField(auto_now=True)


class ComplaintFact(models.Model):
    """The analytic facts of one complaint (maintained by triggers; never written by Django)."""

    complaint_id = models.BigIntegerField(primary_key=True)
    category_id = models.BigIntegerField()
    status = models.CharField(max_length=12)
    agency_id = models.BigIntegerField()
    # The complaint's government (boundaries.Government); NULL only before migration 0008 ran.
    government_id = models.BigIntegerField(null=True)
    kecamatan_id = models.BigIntegerField(null=True)
    kelurahan_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True)
    first_response_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True)
    # Position in the city's metric projection (AnalyticsSettings.metric_srid), meters.
    x = models.FloatField(null=True)
    y = models.FloatField(null=True)
    geom = models.PointField(srid=3857, spatial_index=True)
    # Computed at write time so scans over a million rows do no per-row date arithmetic:
    # the local day of creation, and hours to first response / to resolution.
    created_day = models.DateField(null=True)
    respond_h = models.FloatField(null=True)
    resolve_h = models.FloatField(null=True)
    # The ST_HexagonGrid cell (i, j) of the default 500 m hex grid, kept by a row trigger, so the
    # dashboard's grid groups by two plain columns (parallel hash aggregation) instead of computing.
    hex500_i = models.IntegerField(null=True)
    hex500_j = models.IntegerField(null=True)

    class Meta:
        managed = True
        indexes = [models.Index(fields=["government_id", "created_at"], name="analytics_fact_government")]


class TileCell(models.Model):
    """Complaint count per government and z18 tile (tx, ty): the pre-aggregated source of low-zoom
    tiles that are unfiltered or filtered by government only (migration 0009)."""

    # The facts' government (boundaries.Government); 0 for facts without one.
    government_id = models.BigIntegerField(default=0)
    tx = models.IntegerField()
    ty = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["government_id", "tx", "ty"], name="uniq_tilecell_government")]
        indexes = [models.Index(fields=["tx", "ty"], include=["n"], name="analytics_tilecell_xy")]


class HexCell(models.Model):
    """Complaint count per government and cell (i, j) of the default 500 m hex grid (the facts'
    hex500_i/j), kept by statement triggers on the facts (migration 0011): the source of the
    default hex grid when it is unfiltered or filtered by government only, instead of an
    aggregation of every fact (docs/BENCHMARKS.md, issue 18, province analytics)."""

    government_id = models.BigIntegerField(default=0)
    i = models.IntegerField()
    j = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["government_id", "i", "j"], name="uniq_hexcell_government")]


class AreaRollup(models.Model):
    """Complaint count per (kecamatan, kelurahan, category, agency, status, resolve-hour bucket), kept by
    statement triggers on the facts (migration 0006): the source of the areas endpoint without a date
    or bbox filter (~200k rows at 1M complaints instead of 1M). 0 stands for no area; the bucket is
    least(floor(resolve_h), HOURS_CAP), or NO_BUCKET for an unresolved complaint."""

    NO_BUCKET = -2147483648

    kecamatan_id = models.BigIntegerField()
    kelurahan_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    agency_id = models.BigIntegerField()
    status = models.CharField(max_length=12)
    resolve_b = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kecamatan_id", "kelurahan_id", "category_id", "agency_id", "status", "resolve_b"],
                name="uniq_arearollup",
            )
        ]


class AreaStatusRollup(models.Model):
    """AreaRollup summed over category and agency, per government (~220k rows at 1M complaints over
    1,552 desa): the source of the areas endpoint without filters, with a status filter or a
    government scope, and of the kab/kota level; kept by the same triggers (0006, government 0010)."""

    # The facts' government (boundaries.Government); 0 for facts without one.
    government_id = models.BigIntegerField(default=0)
    kecamatan_id = models.BigIntegerField()
    kelurahan_id = models.BigIntegerField()
    status = models.CharField(max_length=12)
    resolve_b = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["government_id", "kecamatan_id", "kelurahan_id", "status", "resolve_b"],
                                    name="uniq_areastatusrollup_government")
        ]
        # The hour buckets of one day of one area, read for the median (migration 0010).
        indexes = [
            models.Index(fields=["kelurahan_id", "resolve_b"], include=["n", "government_id", "status"],
                         name="analytics_asr_kel_b"),
            models.Index(fields=["kecamatan_id", "resolve_b"], include=["n", "government_id", "status"],
                         name="analytics_asr_kec_b"),
            models.Index(fields=["government_id", "resolve_b"], include=["n", "status"], name="analytics_asr_gov_b"),
        ]


class AreaDayRollup(models.Model):
    """AreaStatusRollup summed per day of the resolve-hours bucket (`resolve_d` = floor(resolve_b / 24),
    NO_BUCKET for an unresolved complaint; ~1/6 of its rows), kept by the same triggers (migration
    0010): the areas endpoint finds the day that holds each area's median here, then reads that
    day's hour buckets alone from AreaStatusRollup (analytics.selectors._areas_sql)."""

    government_id = models.BigIntegerField(default=0)
    kecamatan_id = models.BigIntegerField()
    kelurahan_id = models.BigIntegerField()
    status = models.CharField(max_length=12)
    resolve_d = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["government_id", "kecamatan_id", "kelurahan_id", "status", "resolve_d"],
                                    name="uniq_areadayrollup")
        ]

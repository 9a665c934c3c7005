"""Day rollup and governments in the area rollup by status (issue 18, province analytics).

- `analytics_areadayrollup` counts per government, area, status and day of the resolve-hours
  bucket; `analytics_areastatusrollup` gains the government and indexes by (area or government,
  hour bucket). The areas endpoint finds each area's median day in the day rollup and reads that
  day's hour buckets through the indexes, instead of a running total over every hour bucket of
  every area (151k rows at 1,552 desa and 1M complaints, 0.7 s; docs/BENCHMARKS.md).
- With the government in the smaller rollups, the kab/kota level and a government's staff read
  them instead of the full rollup (443k rows at 1M over Banten).

Rollup upkeep v2, frozen: the statement triggers of 0006 upsert the three rollups, the two small
ones per government. The rollup by status is recounted from the facts, the day rollup from it.
"""

import importlib

from django.db import migrations, models

KEY = "kecamatan_id, kelurahan_id, category_id, agency_id, status, resolve_b"
KEY_OF = (
    "coalesce({r}.kecamatan_id, 0), coalesce({r}.kelurahan_id, 0), {r}.category_id, {r}.agency_id, {r}.status,"
    " CASE WHEN {r}.resolve_h IS NULL THEN -2147483648 ELSE least(floor({r}.resolve_h), 2160)::int END,"
    " coalesce({r}.government_id, 0)"
)
SKEY = "government_id, kecamatan_id, kelurahan_id, status, resolve_b"
DKEY = "government_id, kecamatan_id, kelurahan_id, status, resolve_d"
# The day of an hour bucket, rounded down (a bucket can be negative: resolved before created).
DAY_OF = "CASE WHEN {b} = -2147483648 THEN -2147483648 ELSE floor({b} / 24.0)::int END"


def _upkeep(deltas):
    """One statement upserting the three rollups from `deltas` (key columns k1..k7, k7 the
    government, and a signed count d)."""
    return f"""
  WITH delta AS (
    SELECT k1, k2, k3, k4, k5, k6, k7, sum(d)::int AS d FROM ({deltas}) AS x(k1, k2, k3, k4, k5, k6, k7, d)
     GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d) <> 0
  ), full_rollup AS (
    INSERT INTO analytics_arearollup ({KEY}, n)
    SELECT k1, k2, k3, k4, k5, k6, sum(d)::int FROM delta GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(d) <> 0
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ({KEY}) DO UPDATE SET n = analytics_arearollup.n + EXCLUDED.n
  ), day_rollup AS (
    INSERT INTO analytics_areadayrollup ({DKEY}, n)
    SELECT k7, k1, k2, k5, {DAY_OF.format(b='k6')}, sum(d)::int FROM delta GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ({DKEY}) DO UPDATE SET n = analytics_areadayrollup.n + EXCLUDED.n
  )
  INSERT INTO analytics_areastatusrollup ({SKEY}, n)
  SELECT k7, k1, k2, k5, k6, sum(d)::int FROM delta GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT ({SKEY}) DO UPDATE SET n = analytics_areastatusrollup.n + EXCLUDED.n;"""


def _functions(upkeep, key_of, deleted):
    return f"""
CREATE OR REPLACE FUNCTION analytics_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{upkeep(f"SELECT {key_of.format(r='r')}, 1 FROM new_rows r")}
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{upkeep(f"SELECT {key_of.format(r='r')}, -1 FROM old_rows r")}
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{upkeep(f"SELECT {key_of.format(r='r')}, -1 FROM old_rows r UNION ALL SELECT {key_of.format(r='r')}, 1 FROM new_rows r")}
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_facts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM analytics_complaintfact;
  DELETE FROM analytics_tilecell;
  {deleted}
  RETURN NULL;
END $$;
"""


FORWARD = _functions(_upkeep, KEY_OF, "DELETE FROM analytics_arearollup;\n  DELETE FROM analytics_areastatusrollup;\n"
                                      "  DELETE FROM analytics_areadayrollup;") + f"""
DELETE FROM analytics_areastatusrollup;
INSERT INTO analytics_areastatusrollup ({SKEY}, n)
SELECT coalesce(f.government_id, 0), coalesce(f.kecamatan_id, 0), coalesce(f.kelurahan_id, 0), f.status,
       CASE WHEN f.resolve_h IS NULL THEN -2147483648 ELSE least(floor(f.resolve_h), 2160)::int END, count(*)
  FROM analytics_complaintfact f GROUP BY 1, 2, 3, 4, 5;
INSERT INTO analytics_areadayrollup ({DKEY}, n)
SELECT government_id, kecamatan_id, kelurahan_id, status, {DAY_OF.format(b='resolve_b')}, sum(n)::int
  FROM analytics_areastatusrollup GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0;
ANALYZE analytics_areastatusrollup;
ANALYZE analytics_areadayrollup;
"""

# Back to 0006's upkeep (the full rollup and the one by area and status, without government).
V1 = importlib.import_module("analytics.migrations.0006_area_rollup")
SKEY_V1 = V1.SKEY


BACKWARD = f"""
CREATE TEMP TABLE asr_v1 AS
  SELECT {SKEY_V1}, sum(n)::int AS n FROM analytics_areastatusrollup GROUP BY 1, 2, 3, 4;
DELETE FROM analytics_areastatusrollup;
INSERT INTO analytics_areastatusrollup (government_id, {SKEY_V1}, n) SELECT 0, {SKEY_V1}, n FROM asr_v1;
DROP TABLE asr_v1;
""" + _functions(V1._upkeep, V1.KEY_OF, "DELETE FROM analytics_arearollup;\n  DELETE FROM analytics_areastatusrollup;")


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0009_tilecell_government"),
    ]

    operations = [
        migrations.CreateModel(
            name="AreaDayRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("government_id", models.BigIntegerField(default=0)),
                ("kecamatan_id", models.BigIntegerField()),
                ("kelurahan_id", models.BigIntegerField()),
                ("status", models.CharField(max_length=12)),
                ("resolve_d", models.IntegerField()),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(
                    fields=("government_id", "kecamatan_id", "kelurahan_id", "status", "resolve_d"),
                    name="uniq_areadayrollup")],
            },
        ),
        migrations.RemoveConstraint(model_name="areastatusrollup", name="uniq_areastatusrollup"),
        migrations.AddField(
            model_name="areastatusrollup",
            name="government_id",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name="areastatusrollup",
            constraint=models.UniqueConstraint(
                fields=("government_id", "kecamatan_id", "kelurahan_id", "status", "resolve_b"),
                name="uniq_areastatusrollup_government"),
        ),
        migrations.AddIndex(
            model_name="areastatusrollup",
            index=models.Index(fields=["kelurahan_id", "resolve_b"], include=["n", "government_id", "status"],
                         name="analytics_asr_kel_b"),
        ),
        migrations.AddIndex(
            model_name="areastatusrollup",
            index=models.Index(fields=["kecamatan_id", "resolve_b"], include=["n", "government_id", "status"],
                         name="analytics_asr_kec_b"),
        ),
        migrations.AddIndex(
            model_name="areastatusrollup",
            index=models.Index(fields=["government_id", "resolve_b"], include=["n", "status"],
                               name="analytics_asr_gov_b"),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]

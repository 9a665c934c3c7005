"""Analytics facts carry the complaint's government (issue 18): a column, its backfill from the
complaints, and the fact triggers copying it (triggers v4, frozen: v3 of 0007 plus government_id).

Scoping by government reads it on the facts (the kab/kota choropleth groups by it); the rollups
keep their key (an agency belongs to one government, so a government is a set of agencies there).
"""

from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION analytics_facts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int; tz text;
BEGIN
  SELECT metric_srid, time_zone INTO srid, tz FROM analytics_analyticssettings WHERE id = 1;
  WITH ins AS (
    INSERT INTO analytics_complaintfact (complaint_id, category_id, status, agency_id, government_id, kecamatan_id, kelurahan_id,
                                         created_at, due_at, first_response_at, resolved_at, x, y, geom,
                                         created_day, respond_h, resolve_h)
    SELECT n.id, n.category_id, n.status, n.agency_id, n.government_id, n.kecamatan_id, n.kelurahan_id, n.created_at, n.due_at,
           n.first_response_at, n.resolved_at, ST_X(n.m), ST_Y(n.m), n.g, (n.created_at AT TIME ZONE coalesce(tz, 'UTC'))::date, date_part('epoch', n.first_response_at - n.created_at) / 3600.0, date_part('epoch', n.resolved_at - n.created_at) / 3600.0
      FROM (SELECT r.*, analytics_metric_place(r.location, cat.is_private, srid) AS m, analytics_place(r.location, cat.is_private) AS g
              FROM new_rows r JOIN fieldops_category cat ON cat.id = r.category_id) n
    RETURNING geom
  )
  INSERT INTO analytics_tilecell (tx, ty, n)
  SELECT floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, count(*) FROM ins GROUP BY 1, 2
  ON CONFLICT (tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_facts_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int; tz text;
BEGIN
  SELECT metric_srid, time_zone INTO srid, tz FROM analytics_analyticssettings WHERE id = 1;
  WITH moved AS (
    SELECT f.geom AS og, analytics_place(n.location, (SELECT is_private FROM fieldops_category WHERE id = n.category_id)) AS ng
      FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN analytics_complaintfact f ON f.complaint_id = o.id
     WHERE NOT ST_OrderingEquals(o.location, n.location) OR o.category_id <> n.category_id
  ), deltas AS (
    SELECT floor((ST_X(og) + 20037508.342789244) / 152.8740565703525)::int AS tx, floor((20037508.342789244 - ST_Y(og)) / 152.8740565703525)::int AS ty, -1 AS d FROM moved
    UNION ALL
    SELECT floor((ST_X(ng) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(ng)) / 152.8740565703525)::int, 1 FROM moved
  )
  INSERT INTO analytics_tilecell (tx, ty, n)
  SELECT tx, ty, sum(d) FROM deltas GROUP BY tx, ty
  ON CONFLICT (tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  UPDATE analytics_complaintfact f
     SET category_id = n.category_id, status = n.status, agency_id = n.agency_id, government_id = n.government_id,
         kecamatan_id = n.kecamatan_id, kelurahan_id = n.kelurahan_id, created_at = n.created_at,
         due_at = n.due_at, first_response_at = n.first_response_at, resolved_at = n.resolved_at,
         x = ST_X(n.m), y = ST_Y(n.m), geom = n.g,
         (created_day, respond_h, resolve_h) = ROW((n.created_at AT TIME ZONE coalesce(tz, 'UTC'))::date, date_part('epoch', n.first_response_at - n.created_at) / 3600.0, date_part('epoch', n.resolved_at - n.created_at) / 3600.0)
    FROM (SELECT q.*, analytics_metric_place(q.location, q.p, srid) AS m, analytics_place(q.location, q.p) AS g
            FROM (SELECT r.*, (SELECT is_private FROM fieldops_category WHERE id = r.category_id) AS p FROM new_rows r) q) n
   WHERE f.complaint_id = n.id;
  RETURN NULL;
END $$;

UPDATE analytics_complaintfact f SET government_id = c.government_id
  FROM fieldops_complaint c WHERE c.id = f.complaint_id AND f.government_id IS DISTINCT FROM c.government_id;
"""

# Triggers v3 as 0007 installed them (the column goes with the field).
BACKWARD = """
CREATE OR REPLACE FUNCTION analytics_facts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int; tz text;
BEGIN
  SELECT metric_srid, time_zone INTO srid, tz FROM analytics_analyticssettings WHERE id = 1;
  WITH ins AS (
    INSERT INTO analytics_complaintfact (complaint_id, category_id, status, agency_id, kecamatan_id, kelurahan_id,
                                         created_at, due_at, first_response_at, resolved_at, x, y, geom,
                                         created_day, respond_h, resolve_h)
    SELECT n.id, n.category_id, n.status, n.agency_id, n.kecamatan_id, n.kelurahan_id, n.created_at, n.due_at,
           n.first_response_at, n.resolved_at, ST_X(n.m), ST_Y(n.m), n.g, (n.created_at AT TIME ZONE coalesce(tz, 'UTC'))::date, date_part('epoch', n.first_response_at - n.created_at) / 3600.0, date_part('epoch', n.resolved_at - n.created_at) / 3600.0
      FROM (SELECT r.*, analytics_metric_place(r.location, cat.is_private, srid) AS m, analytics_place(r.location, cat.is_private) AS g
              FROM new_rows r JOIN fieldops_category cat ON cat.id = r.category_id) n
    RETURNING geom
  )
  INSERT INTO analytics_tilecell (tx, ty, n)
  SELECT floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, count(*) FROM ins GROUP BY 1, 2
  ON CONFLICT (tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_facts_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int; tz text;
BEGIN
  SELECT metric_srid, time_zone INTO srid, tz FROM analytics_analyticssettings WHERE id = 1;
  WITH moved AS (
    SELECT f.geom AS og, analytics_place(n.location, (SELECT is_private FROM fieldops_category WHERE id = n.category_id)) AS ng
      FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN analytics_complaintfact f ON f.complaint_id = o.id
     WHERE NOT ST_OrderingEquals(o.location, n.location) OR o.category_id <> n.category_id
  ), deltas AS (
    SELECT floor((ST_X(og) + 20037508.342789244) / 152.8740565703525)::int AS tx, floor((20037508.342789244 - ST_Y(og)) / 152.8740565703525)::int AS ty, -1 AS d FROM moved
    UNION ALL
    SELECT floor((ST_X(ng) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(ng)) / 152.8740565703525)::int, 1 FROM moved
  )
  INSERT INTO analytics_tilecell (tx, ty, n)
  SELECT tx, ty, sum(d) FROM deltas GROUP BY tx, ty
  ON CONFLICT (tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  UPDATE analytics_complaintfact f
     SET category_id = n.category_id, status = n.status, agency_id = n.agency_id,
         kecamatan_id = n.kecamatan_id, kelurahan_id = n.kelurahan_id, created_at = n.created_at,
         due_at = n.due_at, first_response_at = n.first_response_at, resolved_at = n.resolved_at,
         x = ST_X(n.m), y = ST_Y(n.m), geom = n.g,
         (created_day, respond_h, resolve_h) = ROW((n.created_at AT TIME ZONE coalesce(tz, 'UTC'))::date, date_part('epoch', n.first_response_at - n.created_at) / 3600.0, date_part('epoch', n.resolved_at - n.created_at) / 3600.0)
    FROM (SELECT q.*, analytics_metric_place(q.location, q.p, srid) AS m, analytics_place(q.location, q.p) AS g
            FROM (SELECT r.*, (SELECT is_private FROM fieldops_category WHERE id = r.category_id) AS p FROM new_rows r) q) n
   WHERE f.complaint_id = n.id;
  RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0007_private_snapped_xy"),
        ("fieldops", "0010_government"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaintfact",
            name="government_id",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddIndex(
            model_name="complaintfact",
            index=models.Index(fields=["government_id", "created_at"], name="analytics_fact_government"),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]

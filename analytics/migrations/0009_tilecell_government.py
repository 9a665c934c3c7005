"""Pre-counted tile cells per government (issue 18): `analytics_tilecell` gains the facts'
government, unique (government_id, tx, ty), so a government's staff read their low-zoom tiles from
the z18 counts instead of scanning the facts in the tile (z9 over Kabupaten Serang at 1M: 248k
facts, 105 ms p95; docs/BENCHMARKS.md). Unscoped tiles sum the (at most one per government) rows of
a cell from the (tx, ty) index, which includes n: an index-only scan (z9 at 1M: 11 ms p50 against
18 ms for the former one-row-per-cell table read through its heap, in one run).

Triggers v5, frozen: the insert, update, delete and category-privacy functions of v4 (0008, 0002,
0007) counting per government; a transfer to another government moves the count. Facts without a
government (none after 0008) count under 0. Then the cells are recounted from the facts.
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
    RETURNING geom, government_id
  )
  INSERT INTO analytics_tilecell (government_id, tx, ty, n)
  SELECT coalesce(government_id, 0), floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, count(*) FROM ins GROUP BY 1, 2, 3
  ON CONFLICT (government_id, tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_facts_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int; tz text;
BEGIN
  SELECT metric_srid, time_zone INTO srid, tz FROM analytics_analyticssettings WHERE id = 1;
  WITH moved AS (
    SELECT f.geom AS og, coalesce(f.government_id, 0) AS ogov,
           analytics_place(n.location, (SELECT is_private FROM fieldops_category WHERE id = n.category_id)) AS ng,
           coalesce(n.government_id, 0) AS ngov
      FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN analytics_complaintfact f ON f.complaint_id = o.id
     WHERE NOT ST_OrderingEquals(o.location, n.location) OR o.category_id <> n.category_id
        OR f.government_id IS DISTINCT FROM n.government_id
  ), deltas AS (
    SELECT ogov AS gov, floor((ST_X(og) + 20037508.342789244) / 152.8740565703525)::int AS tx, floor((20037508.342789244 - ST_Y(og)) / 152.8740565703525)::int AS ty, -1 AS d FROM moved
    UNION ALL
    SELECT ngov, floor((ST_X(ng) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(ng)) / 152.8740565703525)::int, 1 FROM moved
  )
  INSERT INTO analytics_tilecell (government_id, tx, ty, n)
  SELECT gov, tx, ty, sum(d) FROM deltas GROUP BY gov, tx, ty HAVING sum(d) <> 0
  ON CONFLICT (government_id, tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
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

CREATE OR REPLACE FUNCTION analytics_facts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH del AS (
    DELETE FROM analytics_complaintfact f USING old_rows o WHERE f.complaint_id = o.id RETURNING f.geom, f.government_id
  )
  INSERT INTO analytics_tilecell (government_id, tx, ty, n)
  SELECT coalesce(government_id, 0), floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, -count(*) FROM del GROUP BY 1, 2, 3
  ON CONFLICT (government_id, tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_category_privacy() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int;
BEGIN
  SELECT metric_srid INTO srid FROM analytics_analyticssettings WHERE id = 1;
  WITH placed AS (
    SELECT f.complaint_id, coalesce(f.government_id, 0) AS gov, f.geom AS og, analytics_place(c.location, NEW.is_private) AS ng,
           analytics_metric_place(c.location, NEW.is_private, srid) AS m
      FROM fieldops_complaint c JOIN analytics_complaintfact f ON f.complaint_id = c.id
     WHERE c.category_id = NEW.id
  ), upd AS (
    UPDATE analytics_complaintfact f SET x = ST_X(p.m), y = ST_Y(p.m), geom = p.ng
      FROM placed p WHERE f.complaint_id = p.complaint_id
  ), deltas AS (
    SELECT gov, floor((ST_X(og) + 20037508.342789244) / 152.8740565703525)::int AS tx, floor((20037508.342789244 - ST_Y(og)) / 152.8740565703525)::int AS ty, -1 AS d FROM placed
    UNION ALL
    SELECT gov, floor((ST_X(ng) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(ng)) / 152.8740565703525)::int, 1 FROM placed
  )
  INSERT INTO analytics_tilecell (government_id, tx, ty, n)
  SELECT gov, tx, ty, sum(d) FROM deltas GROUP BY gov, tx, ty HAVING sum(d) <> 0
  ON CONFLICT (government_id, tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  RETURN NULL;
END $$;

DELETE FROM analytics_tilecell;
INSERT INTO analytics_tilecell (government_id, tx, ty, n)
SELECT coalesce(government_id, 0), floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, count(*) FROM analytics_complaintfact GROUP BY 1, 2, 3;
"""

# Triggers v4 and one row per cell (the column and its constraint go with the field).
BACKWARD = """
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

CREATE OR REPLACE FUNCTION analytics_facts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH del AS (
    DELETE FROM analytics_complaintfact f USING old_rows o WHERE f.complaint_id = o.id RETURNING f.geom
  )
  INSERT INTO analytics_tilecell (tx, ty, n)
  SELECT floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, -count(*) FROM del GROUP BY 1, 2
  ON CONFLICT (tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_category_privacy() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int;
BEGIN
  SELECT metric_srid INTO srid FROM analytics_analyticssettings WHERE id = 1;
  WITH placed AS (
    SELECT f.complaint_id, f.geom AS og, analytics_place(c.location, NEW.is_private) AS ng,
           analytics_metric_place(c.location, NEW.is_private, srid) AS m
      FROM fieldops_complaint c JOIN analytics_complaintfact f ON f.complaint_id = c.id
     WHERE c.category_id = NEW.id
  ), upd AS (
    UPDATE analytics_complaintfact f SET x = ST_X(p.m), y = ST_Y(p.m), geom = p.ng
      FROM placed p WHERE f.complaint_id = p.complaint_id
  ), deltas AS (
    SELECT floor((ST_X(og) + 20037508.342789244) / 152.8740565703525)::int AS tx, floor((20037508.342789244 - ST_Y(og)) / 152.8740565703525)::int AS ty, -1 AS d FROM placed
    UNION ALL
    SELECT floor((ST_X(ng) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(ng)) / 152.8740565703525)::int, 1 FROM placed
  )
  INSERT INTO analytics_tilecell (tx, ty, n)
  SELECT tx, ty, sum(d) FROM deltas GROUP BY tx, ty HAVING sum(d) <> 0
  ON CONFLICT (tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  RETURN NULL;
END $$;

DELETE FROM analytics_tilecell;
INSERT INTO analytics_tilecell (government_id, tx, ty, n)
SELECT 0, floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, count(*) FROM analytics_complaintfact GROUP BY 2, 3;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0008_fact_government"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="tilecell", name="uniq_tilecell"),
        migrations.AddField(
            model_name="tilecell",
            name="government_id",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name="tilecell",
            constraint=models.UniqueConstraint(fields=("government_id", "tx", "ty"), name="uniq_tilecell_government"),
        ),
        migrations.AddIndex(
            model_name="tilecell",
            index=models.Index(fields=["tx", "ty"], include=["n"], name="analytics_tilecell_xy"),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]

"""Install the statement-level triggers that keep analytics facts (and the z18 tile counts) in step
with fieldops_complaint, and backfill the complaints that already exist.

The SQL is frozen here as it was when this migration was written; later migrations replace functions.
"""

from django.db import migrations

INSTALL = """
CREATE INDEX analytics_fact_unprojected ON analytics_complaintfact (complaint_id) WHERE x IS NULL;
CREATE INDEX analytics_fact_created ON analytics_complaintfact (created_at);

-- New complaints: one fact row each, projected with the SRID of the settings row (NULL until the
-- app has filled it; the app then projects the missing ones), and +1 in their z18 tile cell.
CREATE OR REPLACE FUNCTION analytics_facts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int;
BEGIN
  SELECT metric_srid INTO srid FROM analytics_analyticssettings WHERE id = 1;
  WITH ins AS (
    INSERT INTO analytics_complaintfact (complaint_id, category_id, status, agency_id, kecamatan_id, kelurahan_id,
                                         created_at, due_at, first_response_at, resolved_at, x, y, geom)
    SELECT n.id, n.category_id, n.status, n.agency_id, n.kecamatan_id, n.kelurahan_id, n.created_at, n.due_at,
           n.first_response_at, n.resolved_at, ST_X(n.m), ST_Y(n.m), n.g
      FROM (SELECT r.*, ST_Transform(r.location, srid) AS m, CASE WHEN cat.is_private THEN ST_SnapToGrid(ST_Transform(r.location, 3857), 500.0) ELSE ST_Transform(r.location, 3857) END AS g
              FROM new_rows r JOIN fieldops_category cat ON cat.id = r.category_id) n
    RETURNING geom
  )
  INSERT INTO analytics_tilecell (tx, ty, n)
  SELECT floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, count(*) FROM ins GROUP BY 1, 2
  ON CONFLICT (tx, ty) DO UPDATE SET n = analytics_tilecell.n + EXCLUDED.n;
  RETURN NULL;
END $$;

-- Changed complaints: copy the analytic columns; a moved point moves between tile cells.
CREATE OR REPLACE FUNCTION analytics_facts_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE srid int;
BEGIN
  SELECT metric_srid INTO srid FROM analytics_analyticssettings WHERE id = 1;
  WITH moved AS (
    SELECT f.geom AS og, CASE WHEN (SELECT is_private FROM fieldops_category WHERE id = n.category_id) THEN ST_SnapToGrid(ST_Transform(n.location, 3857), 500.0) ELSE ST_Transform(n.location, 3857) END AS ng
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
         x = ST_X(n.m), y = ST_Y(n.m), geom = n.g
    FROM (SELECT r.*, ST_Transform(r.location, srid) AS m, CASE WHEN (SELECT is_private FROM fieldops_category WHERE id = r.category_id) THEN ST_SnapToGrid(ST_Transform(r.location, 3857), 500.0) ELSE ST_Transform(r.location, 3857) END AS g FROM new_rows r) n
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

CREATE OR REPLACE FUNCTION analytics_facts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE analytics_complaintfact, analytics_tilecell;
  RETURN NULL;
END $$;

CREATE TRIGGER analytics_facts_ins AFTER INSERT ON fieldops_complaint
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_facts_insert();
CREATE TRIGGER analytics_facts_upd AFTER UPDATE ON fieldops_complaint
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_facts_update();
CREATE TRIGGER analytics_facts_del AFTER DELETE ON fieldops_complaint
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_facts_delete();
CREATE TRIGGER analytics_facts_trunc AFTER TRUNCATE ON fieldops_complaint
  FOR EACH STATEMENT EXECUTE FUNCTION analytics_facts_truncate();

-- Complaints that existed before this app was installed.
INSERT INTO analytics_complaintfact (complaint_id, category_id, status, agency_id, kecamatan_id, kelurahan_id,
                                     created_at, due_at, first_response_at, resolved_at, x, y, geom)
SELECT id, category_id, status, agency_id, kecamatan_id, kelurahan_id, created_at, due_at, first_response_at,
       resolved_at, NULL, NULL, CASE WHEN (SELECT is_private FROM fieldops_category WHERE id = r.category_id) THEN ST_SnapToGrid(ST_Transform(r.location, 3857), 500.0) ELSE ST_Transform(r.location, 3857) END
  FROM fieldops_complaint r;
INSERT INTO analytics_tilecell (tx, ty, n)
SELECT floor((ST_X(geom) + 20037508.342789244) / 152.8740565703525)::int, floor((20037508.342789244 - ST_Y(geom)) / 152.8740565703525)::int, count(*) FROM analytics_complaintfact GROUP BY 1, 2;
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS analytics_facts_ins ON fieldops_complaint;
DROP TRIGGER IF EXISTS analytics_facts_upd ON fieldops_complaint;
DROP TRIGGER IF EXISTS analytics_facts_del ON fieldops_complaint;
DROP TRIGGER IF EXISTS analytics_facts_trunc ON fieldops_complaint;
DROP FUNCTION IF EXISTS analytics_facts_insert();
DROP FUNCTION IF EXISTS analytics_facts_update();
DROP FUNCTION IF EXISTS analytics_facts_delete();
DROP FUNCTION IF EXISTS analytics_facts_truncate();
DROP INDEX IF EXISTS analytics_fact_unprojected;
DROP INDEX IF EXISTS analytics_fact_created;
DELETE FROM analytics_complaintfact;
DELETE FROM analytics_tilecell;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("fieldops", "0001_initial"),
    ]

    operations = [migrations.RunSQL(INSTALL, UNINSTALL)]

"""Reports of a private category are stored at their snapped point in every column of the facts.

Until now only `geom` (and so the z18 tile cells) was snapped to the 500 m Web Mercator grid;
`x`/`y` (and the hex500 cell computed from them) kept the exact point, so grids of many sizes
and DBSCAN placed a report about a person to about 10 m (issue 13). From here on a private
report's `x`/`y` are its snapped point in the metric projection, the same rule as
fieldops.privacy. Two SQL functions hold the rule for the triggers and the app
(analytics.services.analytics_settings_sync), and a trigger on categories re-places the facts
of a category whose `is_private` changes. Existing facts are re-placed here (the hex cell follows
through its row trigger; `geom` and the tile cells were already snapped).

Triggers v3 (frozen): as v2 (0003) but placed by analytics_place / analytics_metric_place.
"""

from django.db import migrations

FORWARD = """
-- Where a report stands in Web Mercator: its own point, or for a private category (or an unknown
-- privacy: NULL) the node of the 500 m grid nearest to it.
CREATE OR REPLACE FUNCTION analytics_place(loc geometry, is_private boolean) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN is_private IS NOT FALSE THEN ST_SnapToGrid(ST_Transform(loc, 3857), 500.0)
              ELSE ST_Transform(loc, 3857) END
$$;

-- The same place in the city's metric projection (NULL while the SRID is unknown).
CREATE OR REPLACE FUNCTION analytics_metric_place(loc geometry, is_private boolean, srid int) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN is_private IS NOT FALSE THEN ST_Transform(ST_SnapToGrid(ST_Transform(loc, 3857), 500.0), srid)
              ELSE ST_Transform(loc, srid) END
$$;

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

-- A category made private (or public again): re-place its reports' facts and move their tile counts.
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

CREATE TRIGGER analytics_category_privacy AFTER UPDATE OF is_private ON fieldops_category
  FOR EACH ROW WHEN (OLD.is_private IS DISTINCT FROM NEW.is_private) EXECUTE FUNCTION analytics_category_privacy();

-- Re-place the facts of private reports stored with their exact x/y.
UPDATE analytics_complaintfact f
   SET x = ST_X(p.m), y = ST_Y(p.m), geom = p.g
  FROM (SELECT c.id, analytics_place(c.location, cat.is_private) AS g,
               analytics_metric_place(c.location, cat.is_private, (SELECT metric_srid FROM analytics_analyticssettings WHERE id = 1)) AS m
          FROM fieldops_complaint c JOIN fieldops_category cat ON cat.id = c.category_id
         WHERE cat.is_private) p
 WHERE f.complaint_id = p.id;
"""

# Triggers v2 as 0003 installed them (the facts stay re-placed: snapped coordinates are still valid).
BACKWARD = """
DROP TRIGGER IF EXISTS analytics_category_privacy ON fieldops_category;
DROP FUNCTION IF EXISTS analytics_category_privacy();

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
      FROM (SELECT r.*, ST_Transform(r.location, srid) AS m, CASE WHEN cat.is_private THEN ST_SnapToGrid(ST_Transform(r.location, 3857), 500.0) ELSE ST_Transform(r.location, 3857) END AS g
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
         x = ST_X(n.m), y = ST_Y(n.m), geom = n.g,
         (created_day, respond_h, resolve_h) = ROW((n.created_at AT TIME ZONE coalesce(tz, 'UTC'))::date, date_part('epoch', n.first_response_at - n.created_at) / 3600.0, date_part('epoch', n.resolved_at - n.created_at) / 3600.0)
    FROM (SELECT r.*, ST_Transform(r.location, srid) AS m, CASE WHEN (SELECT is_private FROM fieldops_category WHERE id = r.category_id) THEN ST_SnapToGrid(ST_Transform(r.location, 3857), 500.0) ELSE ST_Transform(r.location, 3857) END AS g
            FROM new_rows r) n
   WHERE f.complaint_id = n.id;
  RETURN NULL;
END $$;

DROP FUNCTION IF EXISTS analytics_metric_place(geometry, boolean, int);
DROP FUNCTION IF EXISTS analytics_place(geometry, boolean);
"""


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0006_area_rollup"),
        ("fieldops", "0003_event_log_immutable"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

"""The event log is append-only in the database too, not only in ComplaintEvent.save().

A row may never change, except that a reference to a deleted user, agency or crew may become NULL
(Django's SET_NULL). Deleting a complaint still deletes its events (CASCADE).
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION fieldops_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id
     OR NEW.complaint_id IS DISTINCT FROM OLD.complaint_id
     OR NEW.type IS DISTINCT FROM OLD.type
     OR NEW.at IS DISTINCT FROM OLD.at
     OR NEW.from_status IS DISTINCT FROM OLD.from_status
     OR NEW.to_status IS DISTINCT FROM OLD.to_status
     OR NEW.note IS DISTINCT FROM OLD.note
     OR ST_AsEWKB(NEW.location) IS DISTINCT FROM ST_AsEWKB(OLD.location)
     OR NEW.is_public IS DISTINCT FROM OLD.is_public
     OR NEW.data::text IS DISTINCT FROM OLD.data::text
     OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
     OR (NEW.agency_id IS NOT NULL AND NEW.agency_id IS DISTINCT FROM OLD.agency_id)
     OR (NEW.crew_id IS NOT NULL AND NEW.crew_id IS DISTINCT FROM OLD.crew_id)
     OR (NEW.previous_crew_id IS NOT NULL AND NEW.previous_crew_id IS DISTINCT FROM OLD.previous_crew_id)
  THEN
    RAISE EXCEPTION 'complaint events are append-only (event %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS fieldops_event_immutable ON fieldops_complaintevent;
CREATE TRIGGER fieldops_event_immutable BEFORE UPDATE ON fieldops_complaintevent
  FOR EACH ROW EXECUTE FUNCTION fieldops_event_immutable();
"""

REVERSE = """
DROP TRIGGER IF EXISTS fieldops_event_immutable ON fieldops_complaintevent;
DROP FUNCTION IF EXISTS fieldops_event_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("fieldops", "0002_workflow_followers_override")]

    operations = [migrations.RunSQL(SQL, REVERSE)]

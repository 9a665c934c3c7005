"""The TRUNCATE trigger empties the facts with DELETE: a TRUNCATE inside it fails when the same
statement already truncates the analytics tables (Django's test flush truncates every table)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION analytics_facts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM analytics_complaintfact;
  DELETE FROM analytics_tilecell;
  RETURN NULL;
END $$;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION analytics_facts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE analytics_complaintfact, analytics_tilecell;
  RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_derived_columns")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

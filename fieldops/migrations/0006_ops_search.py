"""The ops search (`GET /api/v1/ops/complaints/?q=`): indexed words of descriptions and staff
notes, and the reporter's phone or e-mail.

Words use a text search configuration `laksa_simple`: the `simple` parser and dictionary (no
stemming: Indonesian and English reports alike, street names as typed) after `unaccent`, so
"cafe" finds "café". The test database is created from template1, so the extensions are created
here (a trusted extension: the database owner may create it)."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

CONFIG_SQL = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'laksa_simple') THEN
        CREATE TEXT SEARCH CONFIGURATION laksa_simple (COPY = pg_catalog.simple);
        ALTER TEXT SEARCH CONFIGURATION laksa_simple
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
            WITH unaccent, simple;
    END IF;
END $$;
"""

OPEN = "'new', 'verified', 'on_hold', 'assigned', 'in_progress', 'reopened'"  # fieldops.models.OPEN_STATUSES

INDEX_SQL = [
    # The queue's order (soonest due first, no due time last) over the open complaints only.
    ("CREATE INDEX complaint_open_due ON fieldops_complaint"
     " ((COALESCE(due_at, '9999-12-31 00:00:00+00'::timestamptz)), id) WHERE status IN (" + OPEN + ")",
     "DROP INDEX IF EXISTS complaint_open_due"),
    ("CREATE INDEX complaint_description_words ON fieldops_complaint"
     " USING gin (to_tsvector('laksa_simple'::regconfig, description))",
     "DROP INDEX IF EXISTS complaint_description_words"),
    # The same words over the open complaints only (the queue's default view): a common word's
    # entries among open reports, not among every report of the past years.
    ("CREATE INDEX complaint_open_description_words ON fieldops_complaint"
     " USING gin (to_tsvector('laksa_simple'::regconfig, description)) WHERE status IN (" + OPEN + ")",
     "DROP INDEX IF EXISTS complaint_open_description_words"),
    ("CREATE INDEX event_note_words ON fieldops_complaintevent"
     " USING gin (to_tsvector('laksa_simple'::regconfig, note)) WHERE note <> ''",
     "DROP INDEX IF EXISTS event_note_words"),
    ("CREATE INDEX complaint_reporter_phone ON fieldops_complaint"
     " ((regexp_replace(reporter_phone, '[^0-9]', '', 'g'))) WHERE reporter_phone <> ''",
     "DROP INDEX IF EXISTS complaint_reporter_phone"),
    ("CREATE INDEX complaint_reporter_email ON fieldops_complaint (upper(reporter_email)) WHERE reporter_email <> ''",
     "DROP INDEX IF EXISTS complaint_reporter_email"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("fieldops", "0005_photo_media_name_indexes"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunSQL(CONFIG_SQL, "DROP TEXT SEARCH CONFIGURATION IF EXISTS laksa_simple"),
        *[migrations.RunSQL(sql, reverse) for sql, reverse in INDEX_SQL],
    ]

"""Pre-counted cells of the default 500 m hex grid per government (issue 18, province analytics):
the dashboard's hex grid without filters, or with a government scope only, sums these rows
(~15k cells over Banten) instead of aggregating every fact (a parallel scan of 1M facts, 300-600 ms
depending on the machine's load; docs/BENCHMARKS.md).

Upkeep, frozen: statement triggers on the facts add each inserted fact's (government, cell),
subtract each deleted one's and move updated ones (a transfer changes the government; a category
made private moves the point). Then the cells are counted from the facts.
"""

from django.db import migrations, models

DELTA = "SELECT coalesce(r.government_id, 0), r.hex500_i, r.hex500_j, {d} FROM {rows} r WHERE r.hex500_i IS NOT NULL"


def _function(name, deltas):
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_hexcell (government_id, i, j, n)
  SELECT g, i, j, sum(d)::int FROM ({deltas}) AS x(g, i, j, d) GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (government_id, i, j) DO UPDATE SET n = analytics_hexcell.n + EXCLUDED.n;
  RETURN NULL;
END $$;
"""


FORWARD = (
    _function("analytics_hexcell_insert", DELTA.format(d=1, rows="new_rows"))
    + _function("analytics_hexcell_delete", DELTA.format(d=-1, rows="old_rows"))
    + _function("analytics_hexcell_update", DELTA.format(d=-1, rows="old_rows") + " UNION ALL "
                + DELTA.format(d=1, rows="new_rows"))
    + """
CREATE TRIGGER analytics_hexcell_ins AFTER INSERT ON analytics_complaintfact
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_hexcell_insert();
CREATE TRIGGER analytics_hexcell_upd AFTER UPDATE ON analytics_complaintfact
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_hexcell_update();
CREATE TRIGGER analytics_hexcell_del AFTER DELETE ON analytics_complaintfact
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_hexcell_delete();

INSERT INTO analytics_hexcell (government_id, i, j, n)
SELECT coalesce(government_id, 0), hex500_i, hex500_j, count(*) FROM analytics_complaintfact
 WHERE hex500_i IS NOT NULL GROUP BY 1, 2, 3;
ANALYZE analytics_hexcell;
"""
)

BACKWARD = """
DROP TRIGGER IF EXISTS analytics_hexcell_ins ON analytics_complaintfact;
DROP TRIGGER IF EXISTS analytics_hexcell_upd ON analytics_complaintfact;
DROP TRIGGER IF EXISTS analytics_hexcell_del ON analytics_complaintfact;
DROP FUNCTION IF EXISTS analytics_hexcell_insert();
DROP FUNCTION IF EXISTS analytics_hexcell_update();
DROP FUNCTION IF EXISTS analytics_hexcell_delete();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0010_area_day_rollup"),
    ]

    operations = [
        migrations.CreateModel(
            name="HexCell",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("government_id", models.BigIntegerField(default=0)),
                ("i", models.IntegerField()),
                ("j", models.IntegerField()),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("government_id", "i", "j"),
                                                        name="uniq_hexcell_government")],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]

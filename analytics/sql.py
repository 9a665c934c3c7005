"""Constants shared by the analytics queries and the trigger SQL.

The triggers that keep `analytics_complaintfact`, `analytics_tilecell` and the area rollups in
step with complaints live in the migrations (0002 to 0007), each frozen as it was written; the
newest version of a function is the one in the latest migration that replaces it. Since 0007 a
private category's report is placed at its snapped point in every column (`analytics_place`,
`analytics_metric_place`; the rule of fieldops.privacy).
"""

# z18 Web Mercator tile size in meters: the world width / 2^18.
Z18_CELL_M = 40075016.685578488 / 2**18
HALF_WORLD_M = 20037508.342789244

"""The existing deployment migrates in place (issue 18, item 7): a database as it was before the
government migrations (boundaries 0003, fieldops 0010, analytics 0008 and whatever depends on
them), holding boundaries, agencies, routing rules, categories, crews, staff, complaints, events,
photos, analytics facts, staff API tokens and reporter tokens written with the historical models,
is migrated forward; everything becomes government 36.71 Kota Tangerang and nothing is lost.

It runs in its own database (made from template1 and dropped), in one subprocess: Django's
MigrationExecutor migrates it to the state before the government, the script inserts the data,
migrates to the latest state and reports what it finds (the pytest process only compares).
"""

from __future__ import annotations

import json
import time
import uuid

import psycopg2
import pytest

from tests.citysetup.test_replication import _conn_params, manage

SCRIPT = r'''
import hashlib, json, secrets
from datetime import timedelta
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

GOVERNMENT = ("boundaries", "0003_government")


def before_government(graph):
    """Per app, its latest migration that does not depend on the government migration."""
    targets = []
    for app in sorted({node[0] for node in graph.nodes}):
        for leaf in graph.leaf_nodes(app):
            chain = [n for n in graph.forwards_plan(leaf) if n[0] == app]
            ok = [n for n in chain if GOVERNMENT not in graph.forwards_plan(n)]
            if ok:
                targets.append(ok[-1])
    return targets


executor = MigrationExecutor(connection)
targets = before_government(executor.loader.graph)
executor.migrate(targets)
apps = MigrationExecutor(connection).loader.project_state(targets).apps
M = lambda label: apps.get_model(*label.split("."))

now = timezone.now()
square = lambda x, y, d: MultiPolygon(Polygon.from_bbox((x, y, x + d, y + d)), srid=4326)
gen = M("boundaries.BoundaryGeneration").objects.create(description="Kota Tangerang (fixtures)", active=True)
Area = M("boundaries.AdminArea")
kota = Area.objects.create(generation=gen, level="kota", code="36.71", name="Kota Tangerang", geom=square(106.6, -6.2, 0.1))
kec = Area.objects.create(generation=gen, level="kecamatan", code="36.71.01", name="Tangerang", parent=kota,
                          geom=square(106.6, -6.2, 0.05))
kel = Area.objects.create(generation=gen, level="kelurahan", code="36.71.01.1001", name="Sukarasa", parent=kec,
                          geom=square(106.6, -6.2, 0.02))
Agency = M("boundaries.Agency")
cc = Agency.objects.create(code="diskominfo", name="Diskominfo", short_name="Diskominfo", kind="command_center")
dpupr = Agency.objects.create(code="dpupr", name="Dinas PUPR", short_name="PUPR", kind="opd")
M("boundaries.RoutingRule").objects.create(category_slug="roads", agency=dpupr, priority=10)
roads = M("fieldops.Category").objects.create(slug="roads", name_id="Jalan rusak", name_en="Damaged roads",
                                              default_agency=dpupr, sla_hours=72)
User, Group = M("auth.User"), M("auth.Group")
users = {}
for name, group, agency in (("operator", "operator", cc), ("pupr", "agency_staff", dpupr), ("sigap1", "crew_member", dpupr)):
    u = User.objects.create(username=name, password="!", is_active=True)
    u.groups.add(Group.objects.get_or_create(name=group)[0])
    M("fieldops.StaffProfile").objects.create(user=u, agency=agency)
    users[name] = u
crew = M("fieldops.Crew").objects.create(name="Tim Sigap PUPR 1", agency=dpupr)
M("fieldops.CrewMember").objects.create(crew=crew, user=users["sigap1"])
api_key = secrets.token_hex(20)
M("authtoken.Token").objects.create(key=api_key, user=users["operator"])

Complaint, Event, Photo = M("fieldops.Complaint"), M("fieldops.ComplaintEvent"), M("fieldops.Photo")
tokens = {}
for i in range(40):
    token = secrets.token_urlsafe(24)
    code = f"LKS-{i:04d}-MGRT"
    c = Complaint.objects.create(
        tracking_code=code, location=Point(106.601 + i * 0.0003, -6.199, srid=4326), description=f"lubang {i}",
        category=roads, status="assigned" if i % 2 else "new", kecamatan=kec, kelurahan=kel, agency=dpupr,
        generation=gen, crew=crew if i % 2 else None, reporter_phone="0812000%04d" % i,
        reporter_token_hash=hashlib.sha256(token.encode()).hexdigest(), created_at=now - timedelta(hours=i),
        updated_at=now, due_at=now + timedelta(hours=72 - i))
    tokens[code] = token
    Event.objects.create(complaint=c, type="created", at=c.created_at, to_status="new", agency=dpupr)
    if i % 2:
        Event.objects.create(complaint=c, type="assigned", at=now, from_status="new", to_status="assigned",
                             agency=dpupr, crew=crew, actor=users["pupr"])
        Photo.objects.create(complaint=c, kind="report", original=f"private/originals/{code}.jpg",
                             public=f"public/photos/{code}.jpg", thumb=f"public/thumbs/{code}.jpg",
                             content_type="image/jpeg", width=64, height=48)

def snapshot():
    from django.db import connection as conn
    with conn.cursor() as cur:
        out = {}
        for table in ("fieldops_complaint", "fieldops_complaintevent", "fieldops_photo", "fieldops_crew",
                      "fieldops_crewmember", "fieldops_staffprofile", "boundaries_agency", "boundaries_routingrule",
                      "authtoken_token", "analytics_complaintfact", "auth_user"):
            cur.execute(f"SELECT count(*) FROM {table}")
            out[table] = cur.fetchone()[0]
        cur.execute("SELECT tracking_code, agency_id, crew_id, kecamatan_id, kelurahan_id, category_id, status,"
                    " reporter_token_hash FROM fieldops_complaint ORDER BY id")
        out["complaints"] = [list(map(str, row)) for row in cur.fetchall()]
        cur.execute("SELECT complaint_id, type, agency_id, crew_id, actor_id FROM fieldops_complaintevent ORDER BY id")
        out["events"] = [list(map(str, row)) for row in cur.fetchall()]
        cur.execute("SELECT complaint_id, original, public, thumb FROM fieldops_photo ORDER BY id")
        out["photos"] = [list(map(str, row)) for row in cur.fetchall()]
    return out

before = snapshot()
MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
after = snapshot()

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.authentication import TokenAuthentication
from analytics.models import ComplaintFact
from boundaries.models import Agency as A2, Government, RoutingRule
from fieldops import permissions
from fieldops.errors import WorkflowForbidden
from fieldops.models import Complaint as C2, Crew as Crew2, GovernmentCategory, StaffProfile
from fieldops.reporters import reporter_authenticate

government = Government.objects.get()
authenticated = 0
for c in C2.objects.all():
    reporter_authenticate(complaint=c, token=tokens[c.tracking_code])
    try:
        reporter_authenticate(complaint=c, token="salah")
    except WorkflowForbidden:
        authenticated += 1
operator, _ = TokenAuthentication().authenticate_credentials(api_key)
result = {
    "before": before, "after": after,
    "government": [government.code, government.name, government.jenis, government.province_code],
    "complaint_governments": sorted(set(C2.objects.values_list("government__code", flat=True))),
    "agency_governments": sorted(set(A2.objects.values_list("government__code", flat=True))),
    "rule_governments": sorted(set(RoutingRule.objects.values_list("government__code", flat=True))),
    "staff_governments": sorted(set(StaffProfile.objects.values_list("government__code", flat=True))),
    "crew_governments": sorted(set(Crew2.objects.values_list("agency__government__code", flat=True))),
    "fact_governments": sorted(set(ComplaintFact.objects.values_list("government_id", flat=True))),
    "government_id": government.pk,
    "enabled": list(GovernmentCategory.objects.values_list("government__code", "category__slug", "agency__code", "sla_hours")),
    "command_center": A2.command_center(government).code,
    "reporter_tokens_ok": authenticated,
    "api_token_user": operator.username,
    "operator_sees": permissions.complaints_visible(operator).count(),
    "crew_sees": permissions.complaints_visible(get_user_model().objects.get(username="sigap1")).count(),
    "operator_government": permissions.user_government(operator).code,
}
print("RESULT" + json.dumps(result))
'''


@pytest.fixture
def own_database():
    """A fresh database from template1 (PostGIS), dropped afterwards. Copying template1 fails
    while another session (another test run copying it) is connected to it: try again a while."""
    name = f"laksa_migrate_gov_{uuid.uuid4().hex[:8]}"
    p = _conn_params()
    admin = psycopg2.connect(dbname="postgres", **p)
    admin.autocommit = True
    for attempt in range(60):
        try:
            with admin.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}" TEMPLATE template1')
            break
        except psycopg2.errors.ObjectInUse:
            if attempt == 59:
                raise
            time.sleep(0.5)
    try:
        yield f"postgis://{p['user']}:{p['password']}@{p['host']}:{p['port']}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_todays_deployment_becomes_kota_tangerang_with_nothing_lost(own_database):
    out = manage(own_database, "shell", "-c", SCRIPT)
    result = json.loads(out.split("RESULT", 1)[1])
    before, after = result["before"], result["after"]
    assert before == after, "no row, foreign key, status or token hash changed or went missing"
    assert after["fieldops_complaint"] == 40 and after["fieldops_complaintevent"] == 60
    assert after["fieldops_photo"] == 20 and after["analytics_complaintfact"] == 40
    assert result["government"] == ["36.71", "Kota Tangerang", "kota", "36"]
    for key in ("complaint_governments", "agency_governments", "rule_governments", "staff_governments",
                "crew_governments"):
        assert result[key] == ["36.71"], key
    assert result["fact_governments"] == [result["government_id"]]
    assert result["enabled"] == [["36.71", "roads", "dpupr", 72]]
    assert result["command_center"] == "diskominfo"
    assert result["reporter_tokens_ok"] == 40, "every reporter token still opens its report, a wrong one does not"
    assert result["api_token_user"] == "operator"
    assert result["operator_government"] == "36.71"
    assert (result["operator_sees"], result["crew_sees"]) == (40, 20)

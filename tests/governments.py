"""A second government for the isolation tests: Kabupaten Serang (36.04), made with
government_ensure, with an OPD named like Tangerang's (agency codes are unique per government),
its command center, a crew, staff of every role and complaints inserted through the ORM (the
shared test database holds Tangerang's boundaries only; a Serang complaint has no kecamatan)."""

from __future__ import annotations

import secrets
from datetime import timedelta

SERANG_CODE = "36.04"
# Near Ciruas, Kabupaten Serang (lon, lat).
SERANG_POINT = (106.255, -6.115)
SERANG_USERS = {
    "operator": "operator-serang",
    "agency_staff": "pupr-serang",
    "supervisor": "spv-serang",
    "crew_member": "sigap-serang",
    "leader": "leader-serang",
    "planner": "planner-serang",
}
SERANG_CREW = "Tim Sigap Serang 1"
PROVINCE_USER = "provinsi"


def serang_complaint(*, status: str = "verified", category: str = "roads", crew=None, description="Jalan rusak di Ciruas"):
    """A Kabupaten Serang complaint with its `created` event, through the ORM."""
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from boundaries.models import Agency, BoundaryGeneration, Government
    from fieldops.models import Category, Complaint, ComplaintEvent, EventType
    from fieldops.reporters import hash_token
    from fieldops.services import new_tracking_code

    government = Government.objects.get(code=SERANG_CODE)
    now = timezone.now()
    token = secrets.token_urlsafe(16)
    token_hash = hash_token(token)
    c = Complaint.objects.create(
        tracking_code=new_tracking_code(), location=Point(*SERANG_POINT, srid=4326), description=description,
        category=Category.objects.get(slug=category), status=status, government=government,
        agency=Agency.objects.get(government=government, code="dpupr"), generation=BoundaryGeneration.current(),
        crew=crew, reporter_name="Warga Serang", reporter_phone="081299990000", reporter_token_hash=token_hash,
        created_at=now - timedelta(hours=100), updated_at=now, due_at=now - timedelta(hours=28),
    )
    ComplaintEvent.objects.create(complaint=c, type=EventType.CREATED, at=c.created_at, to_status=status,
                                  agency=c.agency, crew=crew, is_public=True)
    c.reporter_token = token
    return c


def serang_setup() -> dict:
    """Kabupaten Serang with its agencies, crew, staff of each role, and two complaints (one
    verified, one in progress with the crew). Returns the government and the complaints."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from boundaries.models import Agency, AgencyKind
    from fieldops import permissions
    from fieldops.citysetup import government_ensure
    from fieldops.models import Crew, CrewMember, StaffProfile

    government = government_ensure(code=SERANG_CODE, name="Kabupaten Serang", jenis="kabupaten",
                                   province_name="Banten", hosts=["laksa.serangkab.go.id"])
    Agency.objects.create(government=government, code="command-center", name="Command Center Kabupaten Serang",
                          short_name="Command Center", kind=AgencyKind.COMMAND_CENTER)
    dpupr = Agency.objects.create(government=government, code="dpupr", name="DPUPR Kabupaten Serang",
                                  short_name="DPUPR Serang")
    crew = Crew.objects.create(name=SERANG_CREW, agency=dpupr)
    User = get_user_model()
    for role, username in SERANG_USERS.items():
        user = User.objects.create_user(username, password="x-123456789", is_staff=role == permissions.OPERATOR)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        agency = dpupr if role in (permissions.AGENCY_STAFF, permissions.SUPERVISOR, permissions.CREW_MEMBER) else None
        StaffProfile.objects.create(user=user, government=government, agency=agency)
        if role == permissions.CREW_MEMBER:
            CrewMember.objects.create(crew=crew, user=user)
    # The demo data has a `provinsi` account already (fixtures/tangerang/demo_accounts.csv).
    province, _ = User.objects.get_or_create(username=PROVINCE_USER)
    province.set_password("x-123456789")
    province.save()
    province.groups.add(Group.objects.get_or_create(name=permissions.PROVINCE)[0])
    StaffProfile.objects.update_or_create(user=province, defaults={"government": None, "agency": None})
    verified = serang_complaint()
    working = serang_complaint(status="in_progress", crew=crew, description="Drainase tersumbat")
    return {"government": government, "dpupr": dpupr, "crew": crew, "verified": verified, "working": working}

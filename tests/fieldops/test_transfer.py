"""Transfer to a neighbouring government (issue 18): the service, its refusals, the API, who may,
and the read-only trace the government that let the complaint go keeps."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from boundaries.models import Agency, Government
from boundaries.neighbours import governments_near
from fieldops import permissions
from fieldops.errors import FieldError, TransitionError
from fieldops.models import Complaint, ComplaintEvent, EventType, Status, event_label, event_public_data
from fieldops.workflow import complaint_assign, complaint_transfer
from tests.conftest import CITY_HALL, make_complaint
from tests.fieldops.wf_helpers import CREW1, act, as_user, complaint_in, crew
from tests.support.governments import KOTA_SERANG, NEAR_KAB_TANGERANG, neighbour_government

pytestmark = pytest.mark.django_db
NOTE = "Lokasi di sisi Kabupaten Tangerang, jalan milik kabupaten"


@pytest.fixture
def kab(city):
    return neighbour_government()


def user(name):
    return get_user_model().objects.get(username=name)


def transfer(api, code, **body):
    return api.post(f"/api/v1/complaints/{code}/transfer/", data=body, format="json")


# ---------------------------------------------------------------- the neighbour rule


def test_neighbours_are_the_governments_whose_area_touches_or_lies_within_3_km(kab):
    serang = neighbour_government(*KOTA_SERANG, area="national", operator=None)
    far_without_area = neighbour_government("36.04", "Kabupaten Serang", area=None, operator=None)
    tangerang = Government.objects.get(code="36.71")

    near = governments_near(government_id=tangerang.pk, lon=NEAR_KAB_TANGERANG[0], lat=NEAR_KAB_TANGERANG[1])
    # Kabupaten Tangerang wraps Kota Tangerang (distance 0); Kota Serang is ~33 km away (national
    # layer), Kabupaten Serang has no area at all.
    assert [(g.code, g.distance_m) for g in near] == [("36.03", 0.0)]
    assert serang.pk not in {g.id for g in near} and far_without_area.pk not in {g.id for g in near}
    # From Kota Serang's side, both Tangerang governments are too far.
    assert governments_near(government_id=serang.pk, lon=106.15, lat=-6.12) == []
    # An inactive government is nobody's neighbour.
    Government.objects.filter(pk=kab.pk).update(active=False)
    assert governments_near(government_id=tangerang.pk, lon=CITY_HALL[0], lat=CITY_HALL[1]) == []


def test_a_neighbour_known_only_from_the_national_layer_counts(city):
    neighbour_government(area="national", operator=None)
    tangerang = Government.objects.get(code="36.71")
    assert [g.code for g in governments_near(government_id=tangerang.pk, lon=CITY_HALL[0], lat=CITY_HALL[1])] == ["36.03"]


# ---------------------------------------------------------------- the service


def test_transfer_moves_the_complaint_to_the_neighbours_command_center_with_one_event(kab):
    c, _ = complaint_in(Status.ASSIGNED, lonlat=NEAR_KAB_TANGERANG)
    old_agency, old_government, old_crew = c.agency, c.government, c.crew_id
    before = ComplaintEvent.objects.filter(complaint=c).count()

    done = complaint_transfer(c, to_government=kab, actor=user("operator"), note=NOTE)

    stored = Complaint.objects.get(pk=c.pk)
    assert stored.government == kab
    assert stored.agency == Agency.command_center(kab)
    assert (stored.status, stored.crew_id, stored.escalated_at) == (Status.NEW, None, None)
    assert stored.due_at > done.created_at
    # The areas still say where the pin is.
    assert stored.kecamatan_id == c.kecamatan_id and stored.kelurahan_id == c.kelurahan_id
    events = ComplaintEvent.objects.filter(complaint=c).order_by("id")
    assert events.count() == before + 1
    e = events.last()
    assert (e.type, e.from_status, e.to_status, e.note, e.is_public) == (
        EventType.TRANSFERRED, Status.ASSIGNED, Status.NEW, NOTE, True)
    assert e.agency_id == stored.agency_id and e.previous_crew_id == old_crew
    assert e.data["from_government"] == old_government.code and e.data["to_government"] == "36.03"
    assert e.data["previous_agency_id"] == old_agency.pk
    assert event_public_data(e) == {"action": "transfer", "agency": "command-center", "previous_agency": old_agency.code,
                                    "from_government": "36.71", "from_government_name": old_government.name,
                                    "to_government": "36.03", "to_government_name": "Kabupaten Tangerang"}


def test_the_public_label_names_the_new_government_in_both_languages(kab):
    from django.utils import translation

    c = make_complaint(lonlat=NEAR_KAB_TANGERANG).complaint
    complaint_transfer(c, to_government=kab, actor=user("operator"), note=NOTE)
    e = ComplaintEvent.objects.filter(complaint=c, type=EventType.TRANSFERRED).get()
    with translation.override("id"):
        assert event_label(e) == "Dialihkan ke Kabupaten Tangerang"
    with translation.override("en"):
        assert event_label(e) == "Transferred to Kabupaten Tangerang"


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED, Status.REJECTED])
def test_no_transfer_once_a_crew_works_on_it_or_it_is_finished(kab, status):
    c, _ = complaint_in(status)
    with pytest.raises(TransitionError):
        complaint_transfer(c, to_government=kab, actor=user("operator"), note=NOTE)
    assert Complaint.objects.get(pk=c.pk).government.code == "36.71"


def test_refusals_name_the_field_and_write_nothing(kab):
    c = make_complaint().complaint
    tangerang = c.government
    serang = neighbour_government(*KOTA_SERANG, area="national", operator=None)
    operator = user("operator")
    cases = [
        (tangerang, "government", "same"),
        (serang, "government", "not_neighbour"),
    ]
    for government, field, code in cases:
        with pytest.raises(FieldError) as err:
            complaint_transfer(c, to_government=government, actor=operator, note=NOTE)
        assert (err.value.field, err.value.code) == (field, code), government
    with pytest.raises(FieldError) as err:
        complaint_transfer(c, to_government=kab, actor=operator, note="  ")
    assert err.value.field == "note"
    Government.objects.filter(pk=kab.pk).update(active=False)
    kab.refresh_from_db()
    with pytest.raises(FieldError) as err:
        complaint_transfer(c, to_government=kab, actor=operator, note=NOTE)
    assert (err.value.field, err.value.code) == ("government", "inactive")
    Government.objects.filter(pk=kab.pk).update(active=True)
    kab.refresh_from_db()
    Agency.objects.filter(government=kab).delete()
    with pytest.raises(FieldError) as err:
        complaint_transfer(c, to_government=kab, actor=operator, note=NOTE)
    assert (err.value.field, err.value.code, err.value.http_status) == ("government", "no_command_center", 409)
    assert not ComplaintEvent.objects.filter(complaint=c, type=EventType.TRANSFERRED).exists()
    assert Complaint.objects.get(pk=c.pk).government == tangerang


# ---------------------------------------------------------------- the API


def test_api_transfer_by_the_operator_and_the_neighbours_list(kab, api):
    c = make_complaint(lonlat=NEAR_KAB_TANGERANG).complaint
    as_user(api, "operator")
    detail = api.get(f"/api/v1/ops/complaints/{c.tracking_code}/").json()
    assert "transfer" in detail["actions"] and detail["trace"] is None
    r = api.get(f"/api/v1/ops/complaints/{c.tracking_code}/transfer-targets/")
    assert r.status_code == 200 and r.json() == [{"code": "36.03", "name": "Kabupaten Tangerang", "distance_m": 0.0}]

    r = transfer(api, c.tracking_code, government="36.03", note=NOTE)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "new" and r.json()["agency"]["code"] == "command-center"
    assert "transfer" not in r.json()["actions"]  # no longer this operator's government's

    # The citizen's tracking link keeps working and shows the transfer with its reason.
    api.force_authenticate(user=None)
    public = api.get(f"/api/v1/complaints/{c.tracking_code}/events/", HTTP_ACCEPT_LANGUAGE="id").json()
    last = public["events"][-1]
    assert (last["type"], last["type_label"], last["note"]) == ("transferred", "Dialihkan ke Kabupaten Tangerang", NOTE)
    page = api.get(f"/lacak/{c.tracking_code}/", HTTP_ACCEPT_LANGUAGE="id")
    assert page.status_code == 200 and "Dialihkan ke Kabupaten Tangerang" in page.content.decode()


def test_api_refusals(kab, api):
    c = make_complaint().complaint
    code = c.tracking_code
    as_user(api, "operator")
    cases = [
        ({"note": NOTE}, "government", "Pilih pemda"),
        ({"government": "99.99", "note": NOTE}, "government", "99.99"),
        ({"government": "36.71", "note": NOTE}, "government", "sudah"),
        ({"government": "36.03", "note": ""}, "note", "alasan"),
    ]
    for body, field, words in cases:
        r = api.post(f"/api/v1/complaints/{code}/transfer/", data=body, format="json", HTTP_ACCEPT_LANGUAGE="id")
        assert r.status_code == 400, (body, r.content)
        assert list(r.json()) == [field] and words.lower() in r.json()[field][0].lower(), r.json()
    Complaint.objects.filter(pk=c.pk).update(status=Status.IN_PROGRESS, crew=crew(CREW1))
    r = transfer(api, code, government="36.03", note=NOTE)
    assert r.status_code == 409 and r.json()["current_status"] == "in_progress"
    assert not ComplaintEvent.objects.filter(complaint=c, type=EventType.TRANSFERRED).exists()


@pytest.mark.parametrize("role", ["agency_staff", "supervisor", "crew_member", "leader", "planner"])
def test_only_operators_and_admins_may_transfer(kab, api, role):
    c, _ = complaint_in(Status.ASSIGNED)
    as_user(api, role)
    r = transfer(api, c.tracking_code, government="36.03", note=NOTE)
    assert r.status_code in (403, 404), r.content
    assert api.get(f"/api/v1/ops/complaints/{c.tracking_code}/transfer-targets/").status_code in (403, 404)
    assert Complaint.objects.get(pk=c.pk).government.code == "36.71"


def test_admin_may_transfer(kab, api):
    c = make_complaint().complaint
    as_user(api, "admin")
    assert transfer(api, c.tracking_code, government="36.03", note=NOTE).status_code == 200


def test_the_neighbours_operator_cannot_transfer_what_is_not_theirs(kab, api):
    c = make_complaint().complaint
    as_user(api, "operator-kabtng")
    assert transfer(api, c.tracking_code, government="36.03", note=NOTE).status_code in (403, 404)
    assert not permissions.can_transfer(user("operator-kabtng"), c)


# ---------------------------------------------------------------- after the transfer


def test_after_the_transfer_the_neighbour_acts_and_the_old_government_only_reads(kab, api):
    c = make_complaint(lonlat=NEAR_KAB_TANGERANG).complaint
    complaint_assign(complaint=c, actor=user("operator"), crew=crew(CREW1))
    complaint_transfer(c, to_government=kab, actor=user("operator"), note=NOTE)
    c = Complaint.objects.get(pk=c.pk)
    transfer_id = ComplaintEvent.objects.get(complaint=c, type=EventType.TRANSFERRED).pk

    # The neighbour's operator may act on it (and transfer it back).
    neighbour = user("operator-kabtng")
    assert permissions.can_transfer(neighbour, c) and not permissions.can_read_trace(neighbour, c)
    as_user(api, "operator-kabtng")
    r = act(api, c.tracking_code, "verify", note="Diterima, kami tangani")
    assert r.status_code == 200, r.content

    # The old government's operator: a read-only trace, up to and including the transfer.
    old = user("operator")
    assert permissions.can_read_trace(old, c) and not permissions.can_transfer(old, c)
    as_user(api, "operator")
    detail = api.get(f"/api/v1/ops/complaints/{c.tracking_code}/", HTTP_ACCEPT_LANGUAGE="id").json()
    assert detail["actions"] == []
    assert detail["trace"]["read_only"] is True and detail["trace"]["to_government"]["code"] == "36.03"
    assert [e["id"] for e in detail["timeline"]][-1] == transfer_id  # the neighbour's verify is not in it
    assert detail["status"] == "new"  # as it stood at the transfer, not "verified"
    events = api.get(f"/api/v1/complaints/{c.tracking_code}/events/?view=staff").json()
    assert events["variant"] == "staff" and events["events"][-1]["id"] == transfer_id
    for action, body in [("verify", {}), ("note", {"note": "x"}), ("hold", {"reason": "x"})]:
        r = act(api, c.tracking_code, action, **body)
        assert r.status_code == 403, (action, r.content)
        assert "Kabupaten Tangerang" in r.json()["detail"]
    assert transfer(api, c.tracking_code, government="36.71", note=NOTE).status_code == 403

    # The agency desk that had it keeps the trace too; the crew that had it as well.
    assert permissions.can_read_trace(user("pupr"), c)
    assert permissions.can_read_trace(user("sigap1"), c)
    # Staff of another agency of the old government never had it: no trace.
    others = get_user_model().objects.filter(staff_profile__agency__isnull=False).exclude(
        staff_profile__agency=ComplaintEvent.objects.get(pk=transfer_id).data["previous_agency_id"]
    ).exclude(groups__name__in=[permissions.OPERATOR, permissions.LEADER]).exclude(crew_memberships__isnull=False)
    for other in others:
        assert not permissions.can_read_trace(other, c), other.username


def test_transferred_back_the_first_government_acts_again(kab):
    c = make_complaint().complaint
    complaint_transfer(c, to_government=kab, actor=user("operator"), note=NOTE)
    tangerang = Government.objects.get(code="36.71")
    back = complaint_transfer(Complaint.objects.get(pk=c.pk), to_government=tangerang, actor=user("operator-kabtng"),
                              note="Bukan wilayah kami")
    assert back.government == tangerang and back.agency == Agency.command_center(tangerang)
    assert not permissions.can_read_trace(user("operator"), back) and permissions.can_transfer(user("operator"), back)
    assert permissions.can_read_trace(user("operator-kabtng"), back)

"""Who hears of a transfer between governments (issue 18): the government and agency that
receive it, the government, agency and crew it left, and the citizen's tracking page; live and
on resume alike."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from boundaries.models import Agency, Government
from fieldops.models import ComplaintEvent, EventType
from fieldops.workflow import complaint_assign, complaint_transfer
from realtime.audience import OPS, PUBLIC, Stream, audience_allows, client_message, event_facts
from realtime.envelope import event_envelope
from realtime.publish import messages_for
from realtime.selectors import events_after
from tests.conftest import make_complaint
from tests.fieldops.wf_helpers import CREW1, crew
from tests.support.governments import neighbour_government

pytestmark = pytest.mark.django_db


def test_a_transfer_reaches_both_governments_both_agencies_the_crew_and_the_citizen(city):
    kab = neighbour_government()
    tangerang = Government.objects.get(code="36.71")
    operator = get_user_model().objects.get(username="operator")
    c = make_complaint().complaint
    complaint_assign(complaint=c, actor=operator, crew=crew(CREW1))
    old_agency = crew(CREW1).agency
    c = complaint_transfer(c, to_government=kab, actor=operator, note="Wilayah kabupaten")
    event = ComplaintEvent.objects.get(complaint=c, type=EventType.TRANSFERRED)
    envelope = event_envelope(event, c)

    groups = {name for name, _message in messages_for(envelope)}
    new_cc = Agency.command_center(kab)
    assert {f"ops.gov.{kab.pk}", f"ops.gov.{tangerang.pk}", f"ops.agency.{new_cc.pk}",
            f"ops.agency.{old_agency.pk}", f"crew.{crew(CREW1).pk}", f"complaint.{c.tracking_code}"} <= groups

    facts = event_facts(envelope)
    assert (facts["government_id"], facts["previous_government_id"]) == (kab.pk, tangerang.pk)
    assert audience_allows(Stream(OPS, government_ids=frozenset({tangerang.pk}), agency_id=old_agency.pk), facts)
    assert audience_allows(Stream(OPS, government_ids=frozenset({kab.pk}), agency_id=new_cc.pk), facts)
    other = Agency.objects.filter(government=tangerang).exclude(pk=old_agency.pk).first()
    assert not audience_allows(Stream(OPS, government_ids=frozenset({tangerang.pk}), agency_id=other.pk), facts)
    public = Stream(PUBLIC, tracking_code=c.tracking_code)
    assert audience_allows(public, facts)
    message = client_message(envelope, public=True)
    assert message["data"]["to_government_name"] == "Kabupaten Tangerang"
    assert "from_government_id" not in message["data"] and "previous_agency_id" not in message["data"]

    # Resumed, the agency it left gets the same event (the SQL pre-filter agrees with the rule).
    _last, _scanned, resumed = events_after(stream=Stream(OPS, government_ids=frozenset({tangerang.pk}), agency_id=old_agency.pk), after=event.pk - 1)
    assert [event_id for event_id, _m in resumed] == [event.pk]

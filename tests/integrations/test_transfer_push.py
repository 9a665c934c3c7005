"""The crew a transfer takes a ticket from is told, even with the Tim Sigap page closed."""

import pytest
from django.contrib.auth import get_user_model

from fieldops.models import ComplaintEvent, EventType
from fieldops.workflow import complaint_assign, complaint_transfer
from integrations.push import push_crew_ids, push_payload, push_wanted
from tests.conftest import make_complaint
from tests.fieldops.wf_helpers import CREW1, crew
from tests.support.governments import neighbour_government

pytestmark = pytest.mark.django_db


def test_a_transfer_pushes_to_the_crew_that_had_the_ticket(city, settings):
    settings.LANGUAGE_CODE = "id"
    kab = neighbour_government()
    operator = get_user_model().objects.get(username="operator")
    c = make_complaint().complaint
    complaint_assign(complaint=c, actor=operator, crew=crew(CREW1))
    complaint_transfer(c, to_government=kab, actor=operator, note="Wilayah kabupaten")
    event = ComplaintEvent.objects.select_related("complaint__category").get(complaint=c, type=EventType.TRANSFERRED)
    assert push_wanted(event) and push_crew_ids(event) == {crew(CREW1).pk}
    assert push_payload(event)["title"] == f"Tiket dipindahkan ke pemda lain: {c.tracking_code}"

"""The retention job blanks reporter contact of long-finished complaints, and only those."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fieldops.models import Complaint, Status
from tests.conftest import make_complaint

pytestmark = pytest.mark.django_db


def test_anonymise_only_old_finished_complaints(city):
    kw = dict(reporter_name="Siti", reporter_phone="0812000111", reporter_email="siti@example.id")
    old_done = make_complaint(**kw).complaint
    old_open = make_complaint(**kw).complaint
    recent_done = make_complaint(**kw).complaint
    long_ago = timezone.now() - timedelta(days=800)
    Complaint.objects.filter(pk=old_done.pk).update(status=Status.CLOSED, updated_at=long_ago, closed_at=long_ago)
    Complaint.objects.filter(pk=old_open.pk).update(updated_at=long_ago)
    Complaint.objects.filter(pk=recent_done.pk).update(status=Status.RESOLVED)

    call_command("anonymise_reporters")  # dry run
    assert Complaint.objects.get(pk=old_done.pk).reporter_phone == "0812000111"
    call_command("anonymise_reporters", "--commit")
    done = Complaint.objects.get(pk=old_done.pk)
    assert (done.reporter_name, done.reporter_phone, done.reporter_email) == ("", "", "")
    assert Complaint.objects.get(pk=old_open.pk).reporter_phone == "0812000111"
    assert Complaint.objects.get(pk=recent_done.pk).reporter_email == "siti@example.id"

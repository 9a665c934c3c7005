"""The create response's lean duplicate-hint query answers exactly what `similar_nearby` does."""

from datetime import timedelta

from django.utils import timezone

from fieldops import selectors
from fieldops.models import Complaint, Status
from tests.conftest import CITY_HALL, make_complaint


def _similar(c: Complaint, **kw) -> list[str]:
    return [s.tracking_code for s in selectors.similar_nearby(
        lon=c.location.x, lat=c.location.y, category=c.category, exclude_id=c.pk, **kw)]


def test_intake_hints_match_similar_nearby_filters_and_order(city):
    lon, lat = CITY_HALL
    # 0, ~11, ~22, ~33 and ~66 m east of the new report; another category; one closed; one old.
    near = [make_complaint(lonlat=(lon + d, lat)).complaint for d in (0.0001, 0.0002, 0.0003)]
    far = make_complaint(lonlat=(lon + 0.0006, lat)).complaint
    other = make_complaint(lonlat=(lon + 0.0001, lat), category="garbage").complaint
    closed = make_complaint(lonlat=(lon + 0.00005, lat)).complaint
    Complaint.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    old = make_complaint(lonlat=(lon + 0.00005, lat)).complaint
    Complaint.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    created = make_complaint(lonlat=(lon, lat))

    # The intake's one-statement hints: nearest first; not far, other, closed, old.
    assert created.similar_nearby == [c.tracking_code for c in near]
    assert _similar(created.complaint) == created.similar_nearby
    assert far.tracking_code not in created.similar_nearby
    assert other.tracking_code not in created.similar_nearby
    assert _similar(created.complaint, limit=2) == [c.tracking_code for c in near[:2]]
    # The excluded complaint itself never shows up.
    assert near[0].tracking_code not in _similar(near[0])

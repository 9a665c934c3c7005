"""Intake: every face (web page, REST API, Open311, LAPOR import, operator entry) creates
complaints through `complaint_create`, so they all validate and route alike.

The other writes have their own rooms: status transitions in `fieldops.workflow`, photos and
the proof of work on site in `fieldops.proof`, the reporter token in `fieldops.reporters`; the
domain errors in `fieldops.errors`, meters in `fieldops.geo`.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.gis.geos import Point
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext as _, gettext_lazy

from boundaries.models import Agency
from boundaries.selectors import AGENCY_ROW_FIELDS, route_point, service_area_name
from common.errors import interpolate
from common.fastinsert import insert_row
from fieldops.errors import FieldError
from fieldops.events import event_record
from fieldops.models import Category, Channel, Complaint, EventType, PhotoKind, Status
from fieldops.photos import PhotoError, ProcessedPhoto, process_photo
from fieldops.proof import photo_place, photo_store
from fieldops.reporters import hash_token
from fieldops.selectors import category_government_defaults, category_sla_hours, similar_codes_expression
from fieldops.text import clean_text

# Crockford-style alphabet without I, L, O, U: nothing to misread over the phone.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DESCRIPTION_MAX = 4000

ERR_OUTSIDE = gettext_lazy("The location is outside the service area of %(city)s. The nearest kecamatan is %(kecamatan)s, %(distance)s m away.")
ERR_NO_BOUNDARIES = gettext_lazy("No boundaries are loaded yet; run the city setup first.")
ERR_DESCRIPTION_EMPTY = gettext_lazy("The description may not be empty.")
ERR_DESCRIPTION_LONG = gettext_lazy("The description may be at most %(max)s characters (it has %(length)s).")
ERR_ACCURACY = gettext_lazy("Accuracy must be a positive number of meters.")
ERR_CHANNEL = gettext_lazy("Unknown channel %(channel)r.")
ERR_NOT_SERVED = gettext_lazy(
    "This location is in %(kabkota)s (%(province)s), which is not served here. Report it to %(kabkota)s, or send it "
    "to SP4N-LAPOR! with lapor_handoff: true.")
ERR_HANDOFF_PRIVATE = gettext_lazy("Reports of this category are not forwarded to SP4N-LAPOR! from here.")
ERR_HANDOFF_UNAVAILABLE = gettext_lazy("Forwarding to SP4N-LAPOR! is not available on this deployment.")
ERR_CATEGORY_NOT_HANDLED = gettext_lazy("%(government)s does not take reports of the category %(category)s.")
ERR_NO_AGENCY = gettext_lazy("%(government)s has no agency for this category and no command center yet.")


def new_tracking_code() -> str:
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"LKS-{chars[:4]}-{chars[4:]}"


class NotServed(FieldError):
    """The pin is in Indonesia but in a kab/kota no government of this deployment serves: a 400
    naming `location` with who is responsible (`route.responsible`), unless the face hands the
    report to SP4N-LAPOR! (`lapor_handoff_request`)."""

    def __init__(self, route, message):
        super().__init__("location", message, "not_served")
        self.route = route


@dataclass
class Handoff:
    """A report handed to SP4N-LAPOR! instead of stored here (no government of this deployment
    serves its pin): the idempotency key of the delivery, and who is responsible."""

    key: str
    responsible: object  # AreaRef of the kab/kota
    province: object  # AreaRef of the province, or None


def handoff_allowed(category: Category | None) -> bool:
    """Whether a report of this category at an unserved pin may go to SP4N-LAPOR!: every category
    except the private ones (reports about a person stay where a government of this deployment
    can protect them)."""
    return category is None or not category.is_private


def lapor_handoff_request(*, category: Category, location: Point, description: str, route, address: str = "",
                          accuracy_m: float | None = None, channel: str = Channel.WEB) -> Handoff:
    """Hand a report at an unserved pin to SP4N-LAPOR!: `fieldops.signals.lapor_handoff_requested`
    in this transaction; the receiver (integrations) defers the delivery, after commit."""
    import uuid

    from fieldops.signals import lapor_handoff_requested

    description = clean_text(description, field="description").strip()
    address = clean_text(address, field="address")
    if not description:
        raise FieldError("description", ERR_DESCRIPTION_EMPTY, "blank")
    if not handoff_allowed(category):
        raise FieldError("lapor_handoff", ERR_HANDOFF_PRIVATE, "not_allowed")
    key = str(uuid.uuid4())
    responsible, province = route.responsible, route.responsible_province
    payload = {
        "title": f"{category.name_id}: {description[:80]}",
        "content": description,
        "category": category.slug,
        "category_name": category.name_id,
        "location": {"lat": location.y, "lon": location.x},
        "accuracy_m": accuracy_m,
        "address": address[:300],
        "kabkota": {"code": responsible.code, "name": responsible.name},
        "provinsi": {"code": province.code, "name": province.name} if province else None,
        "channel": channel,
        "anonymous": True,
        "source": "LAKSA",
        "handoff": True,
    }
    with transaction.atomic():
        answers = lapor_handoff_requested.send(sender=Handoff, key=key, payload=payload)
        if not answers:
            raise FieldError("lapor_handoff", ERR_HANDOFF_UNAVAILABLE, "unavailable")
    return Handoff(key=key, responsible=responsible, province=province)


@dataclass
class Created:
    complaint: Complaint
    reporter_token: str
    # Open reports of the same category within 50 m from the last 30 days (duplicate hints);
    # none for a private category.
    similar_nearby: list[str] = field(default_factory=list)


def complaint_create(
    *,
    category: Category,
    location: Point,
    description: str,
    accuracy_m: float | None = None,
    address: str = "",
    channel: str = Channel.WEB,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    reporter_phone_consent: bool = False,
    is_anonymous: bool = False,
    photo=None,
    actor=None,
    external_id: str = "",
    created_at: datetime | None = None,
) -> Created:
    """Route by PostGIS and store a complaint with its first event, in one transaction.

    The face has parsed its input already (an active `Category`, a 4326 `Point`); the rules
    here are the complaint's own, the same for every face."""
    lon, lat = location.x, location.y
    # Text is clean at the door (fieldops.text): a control character is a 400 naming the field.
    description = clean_text(description, field="description").strip()
    address = clean_text(address, field="address")
    reporter_name = clean_text(reporter_name, field="reporter_name")
    reporter_phone = clean_text(reporter_phone, field="reporter_phone")
    reporter_email = clean_text(reporter_email, field="reporter_email")
    if not description:
        raise FieldError("description", ERR_DESCRIPTION_EMPTY, "blank")
    if len(description) > DESCRIPTION_MAX:
        raise FieldError("description", interpolate(ERR_DESCRIPTION_LONG, max=DESCRIPTION_MAX, length=len(description)), "max_length")
    if accuracy_m is not None and (not math.isfinite(accuracy_m) or accuracy_m < 0):
        raise FieldError("accuracy", ERR_ACCURACY)
    if channel not in Channel.values:
        raise FieldError("channel", interpolate(ERR_CHANNEL, channel=channel))
    processed: ProcessedPhoto | None = None
    if photo is not None:
        try:
            processed = process_photo(photo)
        except PhotoError as exc:
            raise FieldError("photo", _(exc.message)) from None

    now = created_at or timezone.now()
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        # The duplicate hints ride along in the routing query's round trip. They go back to
        # whoever posts: for reports about a person they would tell an anonymous poster
        # whether someone was reported within 50 m of a guessed point, so there are none.
        hints = None if category.is_private else similar_codes_expression(category_id=category.pk, lon=lon, lat=lat)
        route = route_point(lon=lon, lat=lat, category_slug=category.slug,
                            government_defaults=category_government_defaults(category), also=hints)
        similar = list(route.also or [])
        if route.generation_id is None:
            raise FieldError("location", ERR_NO_BOUNDARIES)
        if not route.in_service_area and route.responsible is not None:
            raise NotServed(route, interpolate(
                ERR_NOT_SERVED, kabkota=route.responsible.name,
                province=route.responsible_province.name if route.responsible_province else "-"))
        if not route.in_service_area:
            raise FieldError(
                "location",
                interpolate(ERR_OUTSIDE,
                    city=service_area_name(route.generation_id),
                    kecamatan=route.nearest_kecamatan.name if route.nearest_kecamatan else "-",
                    distance=round(route.distance_m or 0),
                ),
                "outside_service_area",
            )
        if route.government.id not in category.government_map:
            # Each government enables the catalogue's categories it handles (GovernmentCategory).
            raise FieldError("category", interpolate(ERR_CATEGORY_NOT_HANDLED, government=route.government.name,
                                                     category=category.name_for(get_language())), "category_not_handled")
        if route.agency_row is not None:
            # The routing query brought the agency's row along (its location stays deferred):
            # the rule's, else the government's OPD for the category, else its command center.
            agency = Agency.from_db(DEFAULT_DB_ALIAS, AGENCY_ROW_FIELDS, route.agency_row)
        else:
            raise FieldError("category", interpolate(ERR_NO_AGENCY, government=route.government.name), "no_agency")
        complaint = Complaint(
            location=location,
            accuracy_m=accuracy_m,
            address=(address or "").strip()[:300],
            description=description,
            category=category,
            channel=channel,
            status=Status.NEW,
            kecamatan_id=route.kecamatan.id if route.kecamatan else None,
            kelurahan_id=route.kelurahan.id if route.kelurahan else None,
            government_id=route.government.id,
            agency=agency,
            generation_id=route.generation_id,
            reporter_name="" if is_anonymous else (reporter_name or "").strip()[:120],
            reporter_phone=(reporter_phone or "").strip()[:40],
            reporter_email=(reporter_email or "").strip()[:254],
            reporter_phone_consent=bool(reporter_phone_consent and (reporter_phone or "").strip()),
            is_anonymous=bool(is_anonymous),
            reporter_token_hash=hash_token(token),
            external_id=external_id,
            created_at=now,
            updated_at=now,
            due_at=now + timedelta(hours=category_sla_hours(category, route.government.id)),
        )
        # Area objects for the event payload, without another query.
        from boundaries.models import AdminArea

        if route.kecamatan:
            complaint.kecamatan = AdminArea(id=route.kecamatan.id, code=route.kecamatan.code, name=route.kecamatan.name)
        if route.kelurahan:
            complaint.kelurahan = AdminArea(id=route.kelurahan.id, code=route.kelurahan.code, name=route.kelurahan.name)
        # A new random code on the (about one in a million) clash, without a savepoint.
        for _attempt in range(5):
            complaint.tracking_code = new_tracking_code()
            if insert_row(complaint, on_conflict_do_nothing="tracking_code"):
                break
        else:
            raise IntegrityError("no free tracking code after 5 attempts")
        event_record(
            complaint=complaint,
            type=EventType.CREATED,
            actor=actor,
            to_status=Status.NEW,
            location=complaint.location,
            at=now,
            data={"channel": channel},
        )
        if processed is not None:
            place = photo_place(complaint=complaint, processed=processed)
            photo_store(complaint=complaint, kind=PhotoKind.REPORT, processed=processed, place=place,
                        uploaded_by=actor)
    return Created(complaint=complaint, reporter_token=token, similar_nearby=similar)

"""Reads of the command centre (`/ops/`): the search behind `?q=` and the similar open reports
shown beside a ticket.

The search is one SQL condition on the complaint row, every branch of it indexed (migration
0006), so PostgreSQL can OR the index bitmaps and AND them with the other filters':
- a tracking code, exact, any case, with or without its dashes (or only its eight characters);
- words of the description (full-text, `laksa_simple`: the `simple` dictionary after `unaccent`,
  whole words, every word required: a prefix query gets PostgreSQL's default 2% row estimate, which
  misleads the planner on common words);
- the same words in a staff note of the complaint's events (the ids come from the notes' own
  index as an array, which the primary key's index answers);
- for the roles `fieldops.permissions.may_search_contact` allows, the reporter's phone (as typed,
  or with 0 / 62 / +62 in front, spaces and dashes ignored) or e-mail (any case).
"""

from __future__ import annotations

import re

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from fieldops.models import OPEN_STATUSES, Complaint
from fieldops.services import TRACKING_ALPHABET

# Words: letters and digits of any script; at most this many (a search box, not a document).
WORD_RE = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8
CODE_BODY_RE = re.compile(rf"^(?:LKS)?([{TRACKING_ALPHABET}]{{8}})$")
PHONE_RE = re.compile(r"^\+?[\d\s().-]{6,20}$")

_T = '"fieldops_complaint"'
WORDS_SQL = f"to_tsvector('laksa_simple'::regconfig, {_T}.\"description\") @@ to_tsquery('laksa_simple'::regconfig, %s)"
NOTES_SQL = (f"{_T}.\"id\" = ANY(ARRAY(SELECT e.complaint_id FROM fieldops_complaintevent e"
             " WHERE e.note <> '' AND to_tsvector('laksa_simple'::regconfig, e.note)"
             " @@ to_tsquery('laksa_simple'::regconfig, %s)))")
CODE_SQL = f"{_T}.\"tracking_code\" = %s"
PHONE_SQL = (f"({_T}.\"reporter_phone\" <> ''"
             f" AND regexp_replace({_T}.\"reporter_phone\", '[^0-9]', '', 'g') = ANY(%s))")
EMAIL_SQL = f"({_T}.\"reporter_email\" <> '' AND upper({_T}.\"reporter_email\") = %s)"


def search_code(text: str) -> str | None:
    """The tracking code the text names (`LKS-AB12-CD34`, `lksab12cd34`, `AB12-CD34`), or None."""
    compact = re.sub(r"[\s-]", "", text).upper()
    m = CODE_BODY_RE.match(compact)
    return f"LKS-{m[1][:4]}-{m[1][4:]}" if m else None


def search_tsquery(text: str) -> str | None:
    """A to_tsquery text: every word required (`jalan & rusak`); None without words.
    Only \\w characters reach it, so no input is a tsquery syntax error."""
    words = [w.lower() for w in WORD_RE.findall(text.replace("_", " "))][:MAX_WORDS]
    return " & ".join(words) or None


def search_phones(text: str) -> list[str]:
    """The digits of the ways a phone number may have been written: as typed, 0…, 62… (+62…)."""
    if not PHONE_RE.match(text.strip()):
        return []
    digits = re.sub(r"\D", "", text)
    local = digits[2:] if digits.startswith("62") else digits[1:] if digits.startswith("0") else digits
    return sorted({digits, "0" + local, "62" + local})


def complaint_search(text: str, *, contact: bool) -> RawSQL | None:
    """The condition "this complaint matches the search text" (None: nothing can match)."""
    text = (text or "").strip()
    parts, params = [], []
    code = search_code(text)
    if code:
        parts.append(CODE_SQL)
        params.append(code)
    tsquery = search_tsquery(text)
    if tsquery:
        parts += [WORDS_SQL, NOTES_SQL]
        params += [tsquery, tsquery]
    if contact:
        phones = search_phones(text)
        if phones:
            parts.append(PHONE_SQL)
            params.append(phones)
        if "@" in text:
            parts.append(EMAIL_SQL)
            params.append(text.upper())
    if not parts:
        return None
    return RawSQL("(" + " OR ".join(parts) + ")", params, output_field=BooleanField())


# ---------------------------------------------------------------- similar open reports

SIMILAR_RADIUS_M = 300


def similar_open_nearby(complaint: Complaint, *, radius_m: float = SIMILAR_RADIUS_M, limit: int = 5):
    """Open complaints of the same category within `radius_m` of this one, nearest first, with
    `distance` (a Distance): what the operator checks before dispatching a second crew."""
    point = complaint.location
    degrees = radius_m / 111_000 * 2  # a cheap indexed box in degrees, then the exact distance
    return list(
        Complaint.objects.filter(
            category_id=complaint.category_id,
            status__in=OPEN_STATUSES,
            location__dwithin=(point, degrees),
            location__distance_lte=(point, D(m=radius_m)),
        )
        .exclude(pk=complaint.pk)
        .annotate(distance=Distance("location", point))
        .select_related("category", "agency", "crew")
        .order_by("distance", "id")[:limit]
    )

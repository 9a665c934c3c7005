"""Photos of a complaint, and the proof a crew's before and after photos give.

A report photo shows the problem. A *before* and an *after* photo prove that a Tim Sigap crew
did the job on site: each must be taken within PHOTO_MAX_DISTANCE_M (a setting, 100 m by
default) of the complaint, and after the complaint was created. Without that proof only a
supervisor of the complaint's agency may resolve it, with a recorded reason
(fieldops.workflow.complaint_resolve).

Where a photo was taken is its EXIF GPS when the phone wrote one, else the browser's position
sent with the upload; when, its EXIF time, else the browser's. `photo_place` works that out
and measures the distance once per upload; `photo_verdict` is the proof rule for one photo,
used at upload (a refused photo is not stored, so the crew learns while still on site) and at
resolve through `proof_problems`.

A video goes the same way: its place and time come from the container's tags (fieldops.videos)
instead of EXIF, and the same `photo_place` and `photo_verdict` judge it.

The public files of both kinds (a photo's copy and thumbnail, a video's MP4 and poster) are made
after the upload by one job, `fieldops.tasks.media_process` (`media_process` here), deferred in
the upload's transaction: the row is `processing` until then, `ready` after, `failed` when the
file cannot be converted. Pages show a placeholder while it is processing. A processing video
is no proof yet (`stored_photo_verdict`): what the public will watch does not exist. A photo's
place and time were read from its original at upload, so it proves work while its copy is made.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone

from boundaries.models import STORAGE_SRID
from common.errors import interpolate
from fieldops.errors import FieldError, TransitionError, WorkflowError
from fieldops.events import complaint_touch, event_record
from fieldops.geo import geography_distance
from fieldops.models import Complaint, EventType, MediaState, MediaType, Photo, PhotoKind, Status
from fieldops.photos import ERR_NOT_IMAGE, PhotoError, ProcessedPhoto, photo_derivatives, process_photo
from fieldops.videos import ProcessedVideo, VideoError, looks_like_video, make_public, read_video
from fieldops.selectors import complaint_lock
from fieldops.text import check_text
from django.utils.translation import gettext_lazy, pgettext_lazy
from procrastinate.contrib.django import app as jobs_app

# EXIF times have whole seconds and phone clocks drift: a photo stamped up to this long before
# the complaint's creation still counts as taken after it.
PHOTO_CLOCK_SLACK = timedelta(minutes=1)
# The kinds that prove work on site.
SITE_KINDS = (PhotoKind.BEFORE, PhotoKind.AFTER)
# No photo may be added to a complaint that is finished or was never valid.
PHOTO_STATUSES_CLOSED = {Status.CLOSED.value, Status.REJECTED.value, Status.DUPLICATE.value}

ERR_PHOTO_MISSING = gettext_lazy("A %(kind)s photo is required.")
ERR_PHOTO_NO_LOCATION = gettext_lazy("The %(kind)s photo has no location (no EXIF GPS and no browser coordinates).")
ERR_PHOTO_TOO_FAR = gettext_lazy("The %(kind)s photo was taken %(distance)s m from the complaint; the limit is %(limit)s m (%(excess)s m too far).")
ERR_PHOTO_TOO_EARLY = gettext_lazy("The %(kind)s photo was taken at %(taken)s, before the complaint was created at %(created)s.")
# The same sentences for a video (its place from the container's tags instead of EXIF).
ERR_VIDEO_NO_LOCATION = gettext_lazy("The %(kind)s video has no location (none in the file and no browser coordinates).")
ERR_VIDEO_TOO_FAR = gettext_lazy("The %(kind)s video was taken %(distance)s m from the complaint; the limit is %(limit)s m (%(excess)s m too far).")
ERR_VIDEO_TOO_EARLY = gettext_lazy("The %(kind)s video was taken at %(taken)s, before the complaint was created at %(created)s.")
ERR_PHOTO_KIND = gettext_lazy("Kind must be one of: report, before, after.")
ERR_PHOTO_REQUIRED = gettext_lazy("Attach the image file.")
ERR_PHOTO_STATUS = gettext_lazy("Photos cannot be added to complaint %(code)s: it is “%(current)s”.")
ERR_VIDEO_STATUS = gettext_lazy("Videos cannot be added to complaint %(code)s: it is “%(current)s”.")
ERR_REPORTER_PHOTO_KIND = gettext_lazy("Reporters may only add photos of kind 'report'.")
ERR_ACCURACY = gettext_lazy("Accuracy must be a positive number of meters.")
ERR_CLIENT_ID = gettext_lazy("client_id may be at most 64 characters.")
# The kind of a photo inside the sentences above ("The after photo was taken ...").
KIND_WORDS = {
    PhotoKind.REPORT: pgettext_lazy("photo kind inside a sentence", "report"),
    PhotoKind.BEFORE: pgettext_lazy("photo kind inside a sentence", "before"),
    PhotoKind.AFTER: pgettext_lazy("photo kind inside a sentence", "after"),
}
ERR_NOT_MEDIA = gettext_lazy("The file is not a photo (JPEG, PNG, WebP) or a video (MP4, MOV, WebM).")
ERR_MEDIA_PROCESSING = gettext_lazy("The %(kind)s video is still being processed.")
ERR_MEDIA_FAILED = gettext_lazy("The %(kind)s video could not be processed; upload it again.")
ERR_PHOTO_FAILED = gettext_lazy("The %(kind)s photo could not be processed; upload it again.")
# The job that makes the public files (fieldops.tasks, above this module: deferred by its name).
MEDIA_TASK = "fieldops.tasks.media_process"
MEDIA_QUEUE = "media"


def max_distance_m() -> float:
    """How far from the complaint a before/after photo may be taken (meters)."""
    return float(settings.PHOTO_MAX_DISTANCE_M)


@dataclass(frozen=True)
class PhotoPlace:
    """Where and when a photo was taken, by the rules above, and its distance to the complaint
    (the fields carry the names of the Photo columns that store them)."""

    location: Point | None
    location_source: str  # "exif" (a photo's), "metadata" (a video's), "browser" or "" (no location)
    distance_m: float | None
    taken_at: datetime | None
    taken_at_source: str  # "exif", "metadata", "browser" or ""


def photo_place(*, complaint: Complaint, processed: ProcessedPhoto | ProcessedVideo,
                browser_location: Point | None = None, taken_at: datetime | None = None) -> PhotoPlace:
    """Locate an upload (the file's own GPS first: a photo's EXIF, a video's container tags;
    else where the browser was) and measure its distance to the complaint: one round trip to
    PostGIS, none without a location."""
    own = processed.metadata_source
    location, source = None, ""
    if processed.gps_lon is not None:
        location, source = Point(processed.gps_lon, processed.gps_lat, srid=STORAGE_SRID), own
    elif browser_location is not None:
        location, source = browser_location, "browser"
    taken, taken_source = None, ""
    if processed.taken_at is not None:
        taken, taken_source = processed.taken_at, own
    elif taken_at is not None:
        taken, taken_source = taken_at, "browser"
    distance = geography_distance(location, complaint.location) if location is not None else None
    return PhotoPlace(location=location, location_source=source, distance_m=distance,
                      taken_at=taken, taken_at_source=taken_source)


@dataclass(frozen=True)
class Verdict:
    """Whether one before/after photo proves work on site; if not, why (an ERR_PHOTO_* message)."""

    kind: str
    distance_m: float | None
    problem: str = ""
    code: str = ""  # "no_location", "too_far", "too_early", "processing" or "failed" when refused

    @property
    def accepted(self) -> bool:
        return not self.problem

    def refusal(self) -> WorkflowError:
        """The 400 an upload answers: the reason under `image`, with the distance (and the limit)."""
        extra = {"image": [self.problem],
                 "distance_m": round(self.distance_m, 1) if self.distance_m is not None else None}
        if self.code == "too_far":
            extra["limit_m"] = max_distance_m()
        return WorkflowError(self.problem, extra)


# The refusals by media type: (no location, too far, too early).
VERDICT_MESSAGES = {
    MediaType.IMAGE: (ERR_PHOTO_NO_LOCATION, ERR_PHOTO_TOO_FAR, ERR_PHOTO_TOO_EARLY),
    MediaType.VIDEO: (ERR_VIDEO_NO_LOCATION, ERR_VIDEO_TOO_FAR, ERR_VIDEO_TOO_EARLY),
}


def photo_verdict(*, complaint: Complaint, kind: str, distance_m: float | None,
                  taken_at: datetime | None, media_type: str = MediaType.IMAGE) -> Verdict:
    """The proof rule for one photo or video: located, within the limit, and not taken before the
    complaint was created (`taken_at` None: no time known, taken when uploaded)."""
    no_location, too_far, too_early = VERDICT_MESSAGES[MediaType(media_type)]
    if distance_m is None:
        return Verdict(kind, None, interpolate(no_location, kind=KIND_WORDS[kind]), "no_location")
    limit = max_distance_m()
    if distance_m > limit:
        return Verdict(kind, distance_m, interpolate(too_far,
            kind=KIND_WORDS[kind], distance=round(distance_m), limit=round(limit), excess=math.ceil(distance_m - limit)),
            "too_far")
    if taken_at is not None and taken_at < complaint.created_at - PHOTO_CLOCK_SLACK:
        return Verdict(kind, distance_m, interpolate(too_early,
            kind=KIND_WORDS[kind], taken=timezone.localtime(taken_at).isoformat(timespec="minutes"),
            created=timezone.localtime(complaint.created_at).isoformat(timespec="minutes")), "too_early")
    return Verdict(kind, distance_m)


def proof_problems(complaint: Complaint) -> dict[str, str]:
    """Has this complaint an accepted before and after photo? {} when it has, else {kind: reason}:
    the photo is missing, or why the best one of that kind (located first, nearest first) fails.

    The rule is checked again on the stored photos: the limit may have changed since upload."""
    return proof_problems_of(complaint, Photo.objects.filter(complaint=complaint, kind__in=SITE_KINDS).order_by("id"))


def stored_photo_verdict(complaint: Complaint, photo: Photo) -> Verdict:
    """The proof rule applied to a stored before/after photo (no time known: when it was uploaded).
    A video proves nothing until its public copy is ready; a photo nothing once its copy failed."""
    is_video = photo.media_type == MediaType.VIDEO
    if photo.state == MediaState.PROCESSING and is_video:
        return Verdict(photo.kind, photo.distance_m, interpolate(ERR_MEDIA_PROCESSING, kind=KIND_WORDS[photo.kind]),
                       "processing")
    if photo.state == MediaState.FAILED:
        return Verdict(photo.kind, photo.distance_m, interpolate(ERR_MEDIA_FAILED if is_video else ERR_PHOTO_FAILED,
                                                                 kind=KIND_WORDS[photo.kind]), "failed")
    return photo_verdict(complaint=complaint, kind=photo.kind, distance_m=photo.distance_m,
                         taken_at=photo.taken_at or photo.created_at, media_type=photo.media_type)


def proof_problems_of(complaint: Complaint, stored) -> dict[str, str]:
    """`proof_problems` over photos already in hand (e.g. prefetched for a list): no query."""
    photos: dict[str, list[Photo]] = {kind: [] for kind in SITE_KINDS}
    for photo in stored:
        if photo.kind in photos:
            photos[photo.kind].append(photo)
    problems = {}
    for kind, candidates in photos.items():
        if not candidates:
            problems[kind] = interpolate(ERR_PHOTO_MISSING, kind=KIND_WORDS[kind])
            continue
        verdicts = [stored_photo_verdict(complaint, p) for p in candidates]
        if not any(v.accepted for v in verdicts):
            best = min(verdicts, key=lambda v: (v.distance_m is None, v.distance_m or 0.0))
            problems[kind] = best.problem
    return problems


def photo_store(*, complaint: Complaint, kind: str, processed: ProcessedPhoto | ProcessedVideo, place: PhotoPlace,
                accuracy_m: float | None = None, client_id: str = "", uploaded_by=None) -> Photo:
    """Save the original of a processed photo or video and its row, with where and when it was
    taken, `processing`; and defer, in the caller's transaction, the job that makes its public
    files (`media_process`)."""
    is_video = isinstance(processed, ProcessedVideo)
    photo = Photo(
        media_type=MediaType.VIDEO if is_video else MediaType.IMAGE,
        state=MediaState.PROCESSING,
        duration_s=processed.duration_s if is_video else None,
        complaint=complaint,
        kind=kind,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        accuracy_m=accuracy_m,
        client_id=client_id or "",
        uploaded_by=uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None,
        **{f.name: getattr(place, f.name) for f in fields(place)},
    )
    # Independent random names: a public copy's URL says nothing about where its original (with
    # the reporter's EXIF position) is stored.
    name = f"{secrets.token_hex(16)}.{processed.extension}"
    if is_video:
        processed.original.seek(0)
        photo.original.save(name, File(processed.original), save=False)
    else:
        photo.original.save(name, ContentFile(processed.original), save=False)
    with transaction.atomic():
        photo.save()
        media_defer(photo.pk)
    return photo


def media_defer(photo_id: int) -> None:
    """Defer the job that makes a stored upload's public files, on the caller's connection: it
    commits with the row (or is rolled back with it). One at a time per photo (`lock`)."""
    jobs_app.configure_task(MEDIA_TASK, queue=MEDIA_QUEUE, lock=f"media:{photo_id}").defer(photo_id=photo_id)


def _accuracy(value: float | None) -> float | None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise FieldError("accuracy", ERR_ACCURACY)
    return value


def photo_add(*, complaint: Complaint, kind: str, image, actor=None, location: Point | None = None,
              accuracy_m: float | None = None,
              taken_at: datetime | None = None, client_id: str = "", by_reporter: bool = False) -> tuple[Photo, bool]:
    """Store a report/before/after photo of a complaint, refusing a before/after photo that
    proves nothing, and record its event.

    Returns (photo, created); `photo.complaint` is the complaint as it is now (locked and
    re-read when the photo was stored). A repeated `client_id` returns the first photo unchanged.
    Queries of the complaint row: the one `SELECT ... FOR UPDATE` that serializes the upload
    with a concurrent transition (the caller's load of `complaint` is reused until then).
    """
    kind = str(kind or "").strip()
    if kind not in PhotoKind.values:
        raise FieldError("kind", ERR_PHOTO_KIND)
    if by_reporter and kind != PhotoKind.REPORT:
        raise FieldError("kind", ERR_REPORTER_PHOTO_KIND)
    client_id = str(client_id or "").strip()
    if len(client_id) > 64:
        raise FieldError("client_id", ERR_CLIENT_ID)
    check_text(client_id, field="client_id")
    if client_id:
        first = Photo.objects.filter(complaint=complaint, client_id=client_id).first()
        if first is not None:
            first.complaint = complaint
            return first, False
    if image is None:
        raise FieldError("image", ERR_PHOTO_REQUIRED, "required")
    accuracy_m = _accuracy(accuracy_m)
    processed = media_read(image)  # CPU work before taking the row lock
    place = photo_place(complaint=complaint, processed=processed, browser_location=location, taken_at=taken_at)
    if kind in SITE_KINDS:
        verdict = photo_verdict(complaint=complaint, kind=kind, distance_m=place.distance_m, taken_at=place.taken_at,
                                media_type=MediaType.VIDEO if isinstance(processed, ProcessedVideo) else MediaType.IMAGE)
        if not verdict.accepted:
            raise verdict.refusal()
    with transaction.atomic():
        c = complaint_lock(complaint)
        if c.status in PHOTO_STATUSES_CLOSED:
            closed = ERR_VIDEO_STATUS if isinstance(processed, ProcessedVideo) else ERR_PHOTO_STATUS
            raise TransitionError(interpolate(closed, code=c.tracking_code, current=Status(c.status).label),
                                  {"current_status": c.status, "requested_status": c.status, "action": "photo"})
        try:
            with transaction.atomic():
                photo = photo_store(complaint=c, kind=kind, processed=processed, place=place,
                                    accuracy_m=accuracy_m, client_id=client_id, uploaded_by=actor)
        except IntegrityError:
            # The same client_id won a race in another request: answer with that photo.
            first = Photo.objects.filter(complaint=c, client_id=client_id).first() if client_id else None
            if first is None:
                raise
            first.complaint = c
            return first, False
        now = timezone.now()
        c.save(update_fields=complaint_touch(c, actor, now))
        event_record(
            complaint=c, type=EventType.PHOTO, actor=actor, at=now, location=photo.location,
            from_status=c.status, to_status=c.status, is_public=True,
            data={"action": "photo", "kind": kind, "photo_id": photo.pk,
                  "distance_m": round(photo.distance_m, 1) if photo.distance_m is not None else None,
                  "within_radius": photo.distance_m is not None and photo.distance_m <= max_distance_m(),
                  "location_source": photo.location_source, "by": "reporter" if by_reporter else "staff",
                  "media_type": photo.media_type},
        )
    return photo, True


def media_read(upload) -> ProcessedPhoto | ProcessedVideo:
    """Read an upload as a video when its first bytes start an MP4/MOV/WebM container, else as a
    photo: the content decides, never the name or the declared type (FieldError `image` if bad)."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if looks_like_video(head):
        try:
            return read_video(upload)
        except VideoError as exc:
            raise FieldError("image", exc.message, exc.code) from None
    try:
        return process_photo(upload)
    except PhotoError as exc:
        raise FieldError("image", ERR_NOT_MEDIA if exc.message == ERR_NOT_IMAGE else exc.message) from None


def _local_copy(photo: Photo) -> str:
    """The original copied to a local temporary file (the storage may be S3; ffmpeg reads paths)."""
    fd, path = tempfile.mkstemp(prefix="laksa-media-", suffix=f".{photo.original.name.rsplit('.', 1)[-1]}")
    with os.fdopen(fd, "wb") as out, photo.original.storage.open(photo.original.name, "rb") as src:
        shutil.copyfileobj(src, out, 1024 * 1024)
    return path


def media_fail(photo_id: int) -> None:
    """Mark a media row that cannot be converted `failed` (if it is still processing)."""
    Photo.objects.filter(pk=photo_id, state=MediaState.PROCESSING).update(state=MediaState.FAILED)


def media_process(photo_id: int, *, final: bool = True) -> Photo:
    """Make the public files of a stored upload and mark it `ready` (or `failed`): a photo's
    metadata-free copy and thumbnail, a video's MP4 and poster (ffmpeg with a time limit, which
    kills a stuck process: fieldops.videos).

    Idempotent: a row that is no longer `processing` (or gone) is returned as it is, so a retried
    or duplicated job does nothing twice; two runs that race keep the files of the first. A file
    that cannot be converted is `failed` at once; a conversion that ran out of time raises (the
    job is tried again later) unless this is the `final` attempt. Returns the row as stored."""
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or photo.state != MediaState.PROCESSING:
        return photo
    try:
        if photo.media_type == MediaType.VIDEO:
            path = _local_copy(photo)
            try:
                public = make_public(path)
            finally:
                os.unlink(path)
            files = (("mp4", public.mp4), ("jpg", public.poster))
            size = {"width": public.width, "height": public.height, "duration_s": public.duration_s}
        else:
            with photo.original.storage.open(photo.original.name, "rb") as src:
                made = photo_derivatives(src.read())
            files = (("jpg", made.public), ("jpg", made.thumb))
            size = {"width": made.width, "height": made.height}
    except (VideoError, PhotoError) as exc:
        if getattr(exc, "code", "") == "timeout" and not final:
            raise
        media_fail(photo.pk)
        photo.refresh_from_db()
        return photo
    (public_ext, public_bytes), (thumb_ext, thumb_bytes) = files
    public_name = photo.public.storage.save(
        photo.public.field.generate_filename(photo, f"{secrets.token_hex(16)}.{public_ext}"), ContentFile(public_bytes))
    thumb_name = photo.thumb.storage.save(
        photo.thumb.field.generate_filename(photo, f"{secrets.token_hex(16)}.{thumb_ext}"), ContentFile(thumb_bytes))
    with transaction.atomic():
        current = Photo.objects.select_for_update().filter(pk=photo.pk).first()
        if current is None or current.state != MediaState.PROCESSING:  # another run finished first, or deleted
            photo.public.storage.delete(public_name)
            photo.thumb.storage.delete(thumb_name)
            return current
        current.public.name, current.thumb.name = public_name, thumb_name
        for key, value in size.items():
            setattr(current, key, value)
        current.state = MediaState.READY
        current.save(update_fields=["public", "thumb", "state", *size])
    return current

"""Reading and cleaning uploaded photos.

GPS position and time are read from EXIF first, then the orientation is applied
(`exif_transpose`), then the public copy and the thumbnail are made from the pixels alone: a
citizen's position and phone model are personal data, and so is whatever the phone or an editor
wrote beside the picture (EXIF, XMP, JPEG comments, PNG text chunks, ICC profile descriptions).
The original is kept privately, for staff only.

Two steps: `process_photo` (in the request) checks the upload by decoding it whole and reads
its EXIF place and time; `photo_derivatives` (in a job, fieldops.tasks.media_process) makes the
public copy and the thumbnail from the stored original. bench/photo_derivatives.py measured the
split: the create-with-photo request no longer waits for the two encodes (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from common.errors import interpolate

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PUBLIC_MAX_SIDE = 1600
THUMB_MAX_SIDE = 320

ERR_NOT_IMAGE = gettext_lazy("The file is not a JPEG, PNG or WebP image.")
ERR_TOO_LARGE = gettext_lazy("The photo is larger than %(max_mb)s MB.")
ERR_TOO_MANY_PIXELS = gettext_lazy("The photo has too many pixels (%(pixels)s); the limit is %(limit)s.")
ERR_EMPTY = gettext_lazy("The photo is empty.")

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881


class PhotoError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ProcessedPhoto:
    """An accepted upload, decoded and read: its place and time (read by `proof.photo_place`)."""

    metadata_source: ClassVar[str] = "exif"  # where photo_place says its own position came from
    original: bytes
    content_type: str
    extension: str
    width: int
    height: int
    gps_lon: float | None
    gps_lat: float | None
    taken_at: datetime | None


def _rational(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def _dms_to_degrees(dms, ref) -> float | None:
    try:
        d, m, s = (_rational(v) for v in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60.0 + s / 3600.0
    if isinstance(ref, bytes):
        ref = ref.decode(errors="ignore")
    if str(ref).strip().upper() in ("S", "W"):
        deg = -deg
    return deg


def read_exif_gps(img: Image.Image) -> tuple[float | None, float | None]:
    try:
        gps = img.getexif().get_ifd(_GPS_IFD)
    except Exception:  # corrupt EXIF is common on cheap phones; treat as absent
        return None, None
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    lat = _dms_to_degrees(gps.get(2), gps.get(1, "N"))
    lon = _dms_to_degrees(gps.get(4), gps.get(3, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return lon, lat


def read_exif_datetime(img: Image.Image) -> datetime | None:
    try:
        exif = img.getexif().get_ifd(_EXIF_IFD)
    except Exception:
        return None
    raw = exif.get(_DATETIME_ORIGINAL) if exif else None
    if not raw:
        return None
    try:
        naive = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = exif.get(_OFFSET_TIME_ORIGINAL)
    if offset:
        try:
            return datetime.strptime(f"{naive:%Y-%m-%d %H:%M:%S}{offset}", "%Y-%m-%d %H:%M:%S%z")
        except ValueError:
            pass
    # Phones write local time without a zone: take the city's time zone.
    return timezone.make_aware(naive, timezone.get_default_timezone())


def pixels_only(img: Image.Image) -> Image.Image:
    """A new image built from the pixel data alone: no metadata of the upload can follow it.

    Pillow carries `info` (a JPEG comment, XMP, the ICC profile, PNG text chunks) through
    copy(), exif_transpose() and into save(); a fresh image has an empty `info`. The ICC
    profile is dropped too: pixels are shown as sRGB, as most phones shoot them.
    """
    return Image.frombytes(img.mode, img.size, img.tobytes())


def _encode(img: Image.Image, max_side: int, quality: int) -> bytes:
    copy = img.copy()
    copy.thumbnail((max_side, max_side))
    clean = pixels_only(copy)  # after shrinking: the pixel copy stays small
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=quality, optimize=True)  # no exif, icc_profile, comment or xmp
    return out.getvalue()


_ORIENTATION = 0x0112
_TURNED = {5, 6, 7, 8}  # EXIF orientations that swap width and height (exif_transpose turns them)


def process_photo(upload) -> ProcessedPhoto:
    """Validate an uploaded image by its content (decoded whole: a truncated or corrupt file is
    refused here, not later in the job) and read its EXIF place and time; the size given is the
    upright one the public copy will have."""
    size = getattr(upload, "size", None)
    max_bytes = settings.PHOTO_MAX_BYTES
    if size is not None and size > max_bytes:
        raise PhotoError(interpolate(ERR_TOO_LARGE, max_mb=max_bytes // (1024 * 1024)))
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoError(interpolate(ERR_TOO_LARGE, max_mb=max_bytes // (1024 * 1024)))
    if not data:
        raise PhotoError(ERR_EMPTY)
    limit = settings.PHOTO_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.format not in ALLOWED_FORMATS:
                raise PhotoError(ERR_NOT_IMAGE)
            pixels = img.width * img.height
            if pixels > limit:
                raise PhotoError(interpolate(ERR_TOO_MANY_PIXELS, pixels=pixels, limit=limit))
            fmt = img.format
            lon, lat = read_exif_gps(img)
            taken_at = read_exif_datetime(img)
            try:
                orientation = int(img.getexif().get(_ORIENTATION) or 1)
            except Exception:  # corrupt EXIF: exif_transpose ignores it as well
                orientation = 1
            img.load()
            width, height = (img.height, img.width) if orientation in _TURNED else (img.width, img.height)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            raise PhotoError(interpolate(ERR_TOO_MANY_PIXELS, pixels="?", limit=limit)) from exc
        raise PhotoError(ERR_NOT_IMAGE) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt image data
        raise PhotoError(ERR_NOT_IMAGE) from exc
    return ProcessedPhoto(
        original=data,
        content_type=ALLOWED_FORMATS[fmt],
        extension={"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt],
        width=width,
        height=height,
        gps_lon=lon,
        gps_lat=lat,
        taken_at=taken_at,
    )


@dataclass(frozen=True)
class PhotoDerivatives:
    public: bytes  # at most PUBLIC_MAX_SIDE, JPEG, pixels only
    thumb: bytes  # at most THUMB_MAX_SIDE
    width: int  # of the upright original
    height: int


def photo_derivatives(original: bytes) -> PhotoDerivatives:
    """The public copy and the thumbnail of a stored original (accepted by `process_photo`):
    turned upright, shrunk, re-encoded from the pixels alone (PhotoError if it no longer reads)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(original))
            img.load()
            upright = ImageOps.exif_transpose(img)
            if upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            return PhotoDerivatives(public=_encode(upright, PUBLIC_MAX_SIDE, 82), thumb=_encode(upright, THUMB_MAX_SIDE, 75),
                                    width=upright.width, height=upright.height)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PhotoError(ERR_NOT_IMAGE) from exc

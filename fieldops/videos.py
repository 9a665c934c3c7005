"""Reading and cleaning uploaded videos, with Debian's ffmpeg (ffprobe and ffmpeg as subprocesses).

What a file is, is decided by its content alone: the container's own structure (an MP4/MOV box
walk, a WebM EBML header) and what ffprobe finds in it, never the name or the declared content
type. Accepted is what phone cameras and browsers record: MP4/MOV with H.264 or H.265 video and
AAC audio, WebM with VP8/VP9 video and Opus/Vorbis audio; at most VIDEO_MAX_SECONDS long,
VIDEO_MAX_BYTES large and 4K (3840x2160, either way round).

Where and when a clip was taken is read from the container's tags (QuickTime
`com.apple.quicktime.location.ISO6709`, the `©xyz` atom Android writes, which ffmpeg reports as
`location`, and `creation_time`). The public copy is an H.264/AAC MP4 of at most 720p made with
`-map_metadata -1 -map_chapters -1` and only the first video and audio stream, so no location,
device or owner tag and no data or subtitle stream survives; the poster is a JPEG of one frame,
re-encoded by Pillow from pixels alone. Every subprocess has a time limit: a stuck ffmpeg is killed.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy
from PIL import Image

from common.errors import interpolate

PUBLIC_MAX_HEIGHT = 720
POSTER_MAX_SIDE = 1280
MAX_LONG_SIDE = 3840
MAX_SHORT_SIDE = 2160

# container family -> (video codecs, audio codecs)
CONTAINERS = {
    "mp4": ({"h264", "hevc"}, {"aac"}),
    "webm": ({"vp8", "vp9"}, {"opus", "vorbis"}),
}

ERR_NOT_VIDEO = gettext_lazy("The file is not an MP4, MOV or WebM video.")
ERR_TRUNCATED = gettext_lazy("The video file is truncated (incomplete upload?).")
ERR_POLYGLOT = gettext_lazy("The video file carries extra data after the video (it is also another kind of file).")
ERR_CODEC = gettext_lazy("The video uses %(codec)s; accepted are H.264/H.265 with AAC (MP4/MOV) and VP8/VP9 with Opus (WebM).")
ERR_TOO_LONG = gettext_lazy("The video is %(seconds)s s long; the limit is %(limit)s s.")
ERR_TOO_LARGE = gettext_lazy("The video is larger than %(max_mb)s MB.")
ERR_RESOLUTION = gettext_lazy("The video is %(width)sx%(height)s; the limit is 4K (3840x2160).")
ERR_PROBE_TIMEOUT = gettext_lazy("The video could not be read in time (ffprobe timed out).")
ERR_PROCESS = gettext_lazy("The video could not be converted.")
ERR_EMPTY = gettext_lazy("The video is empty.")

_MP4_TOP_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"meta", b"pnot", b"udta",
                  b"moof", b"mfra", b"styp", b"sidx", b"pdin", b"prft", b"emsg"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_ISO6709 = re.compile(r"^\s*([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


class VideoError(Exception):
    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def looks_like_video(head: bytes) -> bool:
    """Do these first bytes start an MP4/MOV box or a WebM (EBML) header?"""
    return head[:4] == _EBML_MAGIC or (len(head) >= 8 and head[4:8] in _MP4_TOP_BOXES)


def _timeout(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    """Run ffmpeg/ffprobe; on timeout the process is killed (subprocess.run does that) and
    TimeoutExpired is raised to the caller."""
    return subprocess.run(args, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def _mp4_structure(path: str, size: int) -> str:
    """Walk the top-level boxes: '' when they tile the file exactly, 'truncated' when one claims
    more bytes than there are, 'polyglot' when bytes that are no box follow the last one."""
    with open(path, "rb") as f:
        pos = 0
        while pos < size:
            f.seek(pos)
            header = f.read(16)
            if len(header) < 8:
                return "truncated" if pos > 0 else "not_video"
            box_size = int.from_bytes(header[:4], "big")
            box_type = header[4:8]
            if box_type not in _MP4_TOP_BOXES and not re.fullmatch(rb"[a-zA-Z0-9 \xa9]{4}", box_type):
                return "polyglot" if pos > 0 else "not_video"
            if box_size == 1:
                if len(header) < 16:
                    return "truncated"
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:  # the last box runs to the end of the file
                return ""
            if box_size < 8:
                return "polyglot" if pos > 0 else "not_video"
            if pos + box_size > size:
                return "truncated"
            pos += box_size
    return ""


def _ebml_vint(data: bytes, pos: int) -> tuple[int | None, int]:
    """An EBML variable-size integer at pos: (value or None for 'unknown size', its length)."""
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("bad vint")
    value = first & (mask - 1)
    for b in data[pos + 1:pos + length]:
        value = (value << 8) | b
    if value == (1 << (7 * length)) - 1:
        return None, length
    return value, length


def _webm_structure(path: str, size: int) -> str:
    """EBML header then one Segment: with a known size it must end exactly at the end of the file
    (a browser's MediaRecorder writes an unknown size: then ffprobe's reading decides)."""
    with open(path, "rb") as f:
        data = f.read(64 * 1024)
    try:
        pos = 4
        header_size, n = _ebml_vint(data, pos)
        pos += n + (header_size or 0)
        if data[pos:pos + 4] != b"\x18\x53\x80\x67":  # Segment
            return "not_video"
        seg_size, n = _ebml_vint(data, pos + 4)
    except (ValueError, IndexError):
        return "truncated"
    if seg_size is None:
        return ""
    end = pos + 4 + n + seg_size
    if end > size:
        return "truncated"
    if end < size:
        return "polyglot"
    return ""


@dataclass(frozen=True)
class VideoProbe:
    family: str  # "mp4" or "webm"
    video_codec: str
    audio_codec: str  # "" without sound
    width: int
    height: int
    duration_s: float
    tags: dict
    browser_safe: bool = False  # an H.264 profile and pixel format every browser decodes


BROWSER_SAFE_PROFILES = {"Baseline", "Constrained Baseline", "Main", "High"}


def probe(path: str) -> VideoProbe:
    """Check a stored upload is an accepted video and read its streams and tags (VideoError if not)."""
    size = os.path.getsize(path)
    if size == 0:
        raise VideoError(ERR_EMPTY, "empty")
    with open(path, "rb") as f:
        head = f.read(16)
    if head[:4] == _EBML_MAGIC:
        family, structure = "webm", _webm_structure(path, size)
    elif looks_like_video(head):
        family, structure = "mp4", _mp4_structure(path, size)
    else:
        raise VideoError(ERR_NOT_VIDEO, "not_video")
    if structure == "not_video":
        raise VideoError(ERR_NOT_VIDEO, "not_video")
    if structure == "truncated":
        raise VideoError(ERR_TRUNCATED, "truncated")
    if structure == "polyglot":
        raise VideoError(ERR_POLYGLOT, "polyglot")
    try:
        done = _run([settings.FFPROBE_BINARY, "-v", "error", "-print_format", "json", "-show_format",
                     "-show_streams", "-show_error", path], timeout=_timeout("VIDEO_PROBE_TIMEOUT_S", 15))
    except subprocess.TimeoutExpired:
        raise VideoError(ERR_PROBE_TIMEOUT, "timeout") from None
    try:
        info = json.loads(done.stdout or b"{}")
    except ValueError:
        info = {}
    fmt = info.get("format") or {}
    if done.returncode != 0 or not fmt:
        raise VideoError(ERR_NOT_VIDEO, "not_video")
    names = set(str(fmt.get("format_name", "")).split(","))
    expected = {"mp4": {"mov", "mp4"}, "webm": {"webm", "matroska"}}[family]
    if not names & expected or int(fmt.get("probe_score") or 0) < 100:
        raise VideoError(ERR_NOT_VIDEO, "not_video")
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    if video is None:
        raise VideoError(ERR_NOT_VIDEO, "not_video")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    video_codecs, audio_codecs = CONTAINERS[family]
    vcodec = str(video.get("codec_name") or "?")
    acodec = str(audio.get("codec_name") or "?") if audio else ""
    if vcodec not in video_codecs:
        raise VideoError(interpolate(ERR_CODEC, codec=vcodec), "codec")
    if audio and acodec not in audio_codecs:
        raise VideoError(interpolate(ERR_CODEC, codec=acodec), "codec")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if not width or not height:
        raise VideoError(ERR_NOT_VIDEO, "not_video")
    if max(width, height) > MAX_LONG_SIDE or min(width, height) > MAX_SHORT_SIDE:
        raise VideoError(interpolate(ERR_RESOLUTION, width=width, height=height), "resolution")
    try:
        duration = float(fmt.get("duration") or video.get("duration") or 0)
    except ValueError:
        duration = 0.0
    if duration <= 0:
        raise VideoError(ERR_TRUNCATED, "truncated")
    limit = float(settings.VIDEO_MAX_SECONDS)
    if duration > limit:
        raise VideoError(interpolate(ERR_TOO_LONG, seconds=round(duration, 1), limit=round(limit)), "too_long")
    tags = {str(k).lower(): str(v) for k, v in (fmt.get("tags") or {}).items()}
    safe = vcodec == "h264" and video.get("profile") in BROWSER_SAFE_PROFILES and video.get("pix_fmt") == "yuv420p"
    return VideoProbe(family=family, video_codec=vcodec, audio_codec=acodec, width=width, height=height,
                      duration_s=duration, tags=tags, browser_safe=safe)


def parse_iso6709(value: str) -> tuple[float, float] | None:
    """(lon, lat) of an ISO 6709 point such as `+06.1780+106.6400+012.000/` (degrees, or the
    DDMM / DDMMSS forms), None when it is not one or lies outside the globe or at 0,0."""
    m = _ISO6709.match(value or "")
    if not m:
        return None

    def degrees(text: str, deg_digits: int) -> float:
        sign = -1.0 if text[0] == "-" else 1.0
        whole, _, frac = text[1:].partition(".")
        frac = f".{frac}" if frac else ""
        if len(whole) <= deg_digits:
            return sign * float(whole + frac)
        if len(whole) == deg_digits + 2:  # DDMM.MMMM
            return sign * (float(whole[:deg_digits]) + float(whole[deg_digits:] + frac) / 60)
        if len(whole) == deg_digits + 4:  # DDMMSS.SS
            return sign * (float(whole[:deg_digits]) + float(whole[deg_digits:deg_digits + 2]) / 60
                           + float(whole[deg_digits + 2:] + frac) / 3600)
        raise ValueError(text)

    try:
        lat, lon = degrees(m.group(1), 2), degrees(m.group(2), 3)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lon, lat


def tags_place(tags: dict) -> tuple[float | None, float | None, datetime | None]:
    """(lon, lat, taken_at) from the container's tags (keys lower-cased)."""
    lon = lat = None
    for key in ("com.apple.quicktime.location.iso6709", "location", "location-eng"):
        point = parse_iso6709(tags.get(key, ""))
        if point is not None:
            lon, lat = point
            break
    taken = None
    for key in ("com.apple.quicktime.creationdate", "creation_time"):
        raw = tags.get(key)
        if raw:
            parsed = parse_datetime(raw.strip())
            if parsed is not None and parsed.tzinfo is not None and parsed.year > 1970:
                taken = parsed
                break
    return lon, lat, taken


@dataclass
class ProcessedVideo:
    """An accepted upload, probed: its place and time (read like a photo's by `proof.photo_place`)."""

    metadata_source: ClassVar[str] = "metadata"
    original: object  # a file object positioned anywhere; saved as the private original
    content_type: str
    extension: str
    width: int
    height: int
    duration_s: float
    gps_lon: float | None
    gps_lat: float | None
    taken_at: datetime | None


def _local_path(upload) -> tuple[str, bool]:
    """A path on disk holding the upload's bytes: its temporary file if it has one, else a copy
    (returns the path and whether the caller must delete it)."""
    temp = getattr(upload, "temporary_file_path", None)
    if callable(temp):
        return temp(), False
    fd, path = tempfile.mkstemp(prefix="laksa-video-", suffix=".bin")
    with os.fdopen(fd, "wb") as out:
        upload.seek(0)
        shutil.copyfileobj(upload, out, 1024 * 1024)
    return path, True


def read_video(upload) -> ProcessedVideo:
    """Validate an uploaded video by its content and read where and when it was taken."""
    max_bytes = int(settings.VIDEO_MAX_BYTES)
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise VideoError(interpolate(ERR_TOO_LARGE, max_mb=max_bytes // (1024 * 1024)), "too_large")
    path, remove = _local_path(upload)
    try:
        if os.path.getsize(path) > max_bytes:
            raise VideoError(interpolate(ERR_TOO_LARGE, max_mb=max_bytes // (1024 * 1024)), "too_large")
        info = probe(path)
    finally:
        if remove:
            os.unlink(path)
    lon, lat, taken = tags_place(info.tags)
    upload.seek(0)
    return ProcessedVideo(
        original=upload,
        content_type="video/webm" if info.family == "webm" else "video/mp4",
        extension="webm" if info.family == "webm" else "mp4",
        width=info.width, height=info.height, duration_s=info.duration_s,
        gps_lon=lon, gps_lat=lat, taken_at=taken,
    )


@dataclass(frozen=True)
class PublicVideo:
    mp4: bytes
    poster: bytes
    width: int
    height: int
    duration_s: float
    remuxed: bool


def make_public(path: str) -> PublicVideo:
    """The public MP4 (H.264/AAC, at most 720p, no metadata, chapters, data or subtitle streams,
    moov first) and a metadata-free poster JPEG of a stored original. Remuxes an H.264/AAC
    original of at most 720p in a profile every browser plays (not High 4:4:4 or 10-bit),
    transcodes anything else."""
    info = probe(path)
    remux = (info.family == "mp4" and info.browser_safe and info.audio_codec in ("aac", "")
             and min(info.width, info.height) <= PUBLIC_MAX_HEIGHT)
    timeout = _timeout("VIDEO_PROCESS_TIMEOUT_S", 300)
    workdir = tempfile.mkdtemp(prefix="laksa-video-")
    try:
        out = os.path.join(workdir, "public.mp4")
        args = [settings.FFMPEG_BINARY, "-nostdin", "-v", "error", "-y", "-i", path,
                "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1", "-map_chapters", "-1",
                "-dn", "-sn"]
        if remux:
            args += ["-c", "copy"]
        else:
            # Scale the short side to at most 720 px (even sizes), keep the aspect ratio.
            scale = "scale='if(gt(iw,ih),-2,min(720,iw))':'if(gt(iw,ih),min(720,ih),-2)'"
            args += ["-vf", scale + ",format=yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-crf", "26",
                     "-c:a", "aac", "-b:a", "96k", "-ac", "2"]
        # Strip the per-stream tags too (creation_time, handler names of the phone, language).
        args += ["-metadata:s:v", "handler_name=", "-metadata:s:a", "handler_name=",
                 "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
                 "-movflags", "+faststart", "-f", "mp4", out]
        poster_raw = os.path.join(workdir, "poster.png")
        try:
            done = _run(args, timeout=timeout)
            if done.returncode != 0:
                raise VideoError(ERR_PROCESS, "process")
            shot = _run([settings.FFMPEG_BINARY, "-nostdin", "-v", "error", "-y", "-ss",
                         str(min(1.0, info.duration_s / 2)), "-i", out, "-frames:v", "1", "-map_metadata", "-1",
                         poster_raw], timeout=timeout)
            if shot.returncode != 0 or not os.path.exists(poster_raw):
                raise VideoError(ERR_PROCESS, "process")
        except subprocess.TimeoutExpired:
            raise VideoError(ERR_PROCESS, "timeout") from None
        with Image.open(poster_raw) as img:
            img.load()
            rgb = img.convert("RGB")
        rgb.thumbnail((POSTER_MAX_SIDE, POSTER_MAX_SIDE))
        clean = Image.frombytes(rgb.mode, rgb.size, rgb.tobytes())  # pixels only, no metadata
        buf = io.BytesIO()
        clean.save(buf, format="JPEG", quality=80, optimize=True)
        public = probe(out)
        with open(out, "rb") as f:
            mp4 = f.read()
        return PublicVideo(mp4=mp4, poster=buf.getvalue(), width=public.width, height=public.height,
                           duration_s=public.duration_s, remuxed=remux)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

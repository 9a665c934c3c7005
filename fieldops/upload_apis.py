"""`/api/v1/uploads/`: the tus 1.0 server of resumable photo and video uploads (fieldops.uploads).

POST creates (Upload-Length, Upload-Metadata; staff, or a reporter with the metadata `complaint`
and `reporter_token`), HEAD answers the acknowledged Upload-Offset, PATCH appends an
`application/offset+octet-stream` piece at that offset (409 otherwise), DELETE terminates.
Unknown ids are 404, expired ones 410. Every answer carries `Tus-Resumable: 1.0.0`.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.views import APIView

from common.errors import interpolate
from fieldops import permissions
from fieldops.models import Complaint, Upload
from fieldops.reporters import reporter_authenticate
from fieldops.selectors import tracking_code_clean
from fieldops.text import ControlCharGuardMixin
from fieldops.uploads import (
    ERR_LENGTH,
    ERR_OFFSET_HEADER,
    max_upload_bytes,
    parse_length,
    parse_metadata,
    upload_append,
    upload_create,
    upload_delete,
)

TUS_VERSION = "1.0.0"
ERR_UPLOAD_AUTH = gettext_lazy("Sign in as staff, or send the complaint's reporter token in the upload's metadata.")
ERR_TUS_VERSION = gettext_lazy("This server speaks tus 1.0.0 (send Tus-Resumable: 1.0.0).")
ERR_CONTENT_TYPE = gettext_lazy("A piece must be sent as application/offset+octet-stream.")
ERR_NO_UPLOAD = gettext_lazy("No such upload.")
ERR_EXPIRED = gettext_lazy("The upload has expired; start it again.")
ERR_NO_COMPLAINT = gettext_lazy("No complaint %(code)s.")


def _headers(*names: str) -> list[OpenApiParameter]:
    return [OpenApiParameter(name, str, OpenApiParameter.HEADER, required=name != "Upload-Metadata",
                             description="1.0.0" if name == "Tus-Resumable" else "") for name in names]


# tus's own answers beside the common ones (common.openapi): another protocol version, an
# expired upload, a file over the size limit.
TUS_ERRORS = {
    410: OpenApiResponse(description="The upload has expired."),
    412: OpenApiResponse(description="Another tus version than 1.0.0 (Tus-Resumable)."),
    413: OpenApiResponse(description="Larger than the upload size limit."),
}


class OffsetOctetStreamParser(BaseParser):
    """A tus piece: the body is not parsed, the view reads it from the stream as it arrives."""

    media_type = "application/offset+octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"stream": stream}


def _tus(response: HttpResponse, upload: Upload | None = None) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    if upload is not None:
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Length"] = str(upload.length)
        response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    return response


def _plain(status: int, message: str) -> HttpResponse:
    """A refusal in the project's error format (`{"detail": ...}`), which tus clients show as the body."""
    return _tus(JsonResponse({"detail": str(message)}, status=status))


class _TusView(ControlCharGuardMixin, APIView):
    # A creation POST has no body, but a client may still declare a form or JSON type.
    parser_classes = [OffsetOctetStreamParser, JSONParser, FormParser, MultiPartParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.tus_error = None
        version = request.headers.get("Tus-Resumable", "").strip()
        if request.method != "OPTIONS" and version != TUS_VERSION:
            # No version at all is a malformed request (400); another version is tus's 412.
            self.tus_error = _plain(412 if version else 400, ERR_TUS_VERSION)

    def handle_exception(self, exc):
        return _tus(super().handle_exception(exc))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.setdefault("Tus-Resumable", TUS_VERSION)
        return response

    def options(self, request, *args, **kwargs):
        response = HttpResponse(status=204)
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = "creation,expiration,termination"
        response["Tus-Max-Size"] = str(max_upload_bytes())
        return _tus(response)


class UploadCreateApi(_TusView):
    """`POST /api/v1/uploads/`: a new upload of Upload-Length bytes; answers 201 with its Location."""

    @extend_schema(request=None, responses={201: None, **TUS_ERRORS},
                   parameters=_headers("Tus-Resumable", "Upload-Length", "Upload-Metadata"))
    def post(self, request):
        # A malformed request is a 400 whatever its version; a well-formed one of another version, 412.
        length = parse_length(request.headers.get("Upload-Length"), field="Upload-Length", message=ERR_LENGTH)
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        if self.tus_error:
            return self.tus_error
        user = request.user
        complaint = None
        token = metadata.get("reporter_token", "")
        if getattr(user, "is_authenticated", False) and permissions.is_staff_user(user) and not token:
            owner = user
        elif token:
            code = tracking_code_clean(metadata.get("complaint", ""))
            complaint = Complaint.objects.filter(tracking_code=code).first() if code else None
            if complaint is None:
                return _plain(404, interpolate(ERR_NO_COMPLAINT, code=metadata.get("complaint", "")[:40]))
            reporter_authenticate(complaint=complaint, token=token)
            owner = None
        elif not getattr(user, "is_authenticated", False):
            raise NotAuthenticated(ERR_UPLOAD_AUTH)
        else:
            raise PermissionDenied(ERR_UPLOAD_AUTH)
        upload = upload_create(length=length, metadata=metadata, owner=owner, complaint=complaint)
        response = HttpResponse(status=201)
        response["Location"] = request.build_absolute_uri(reverse("upload-detail", args=[upload.pk]))
        return _tus(response, upload)


class UploadDetailApi(_TusView):
    """`HEAD|PATCH|DELETE /api/v1/uploads/{id}/`: where it stands, append a piece, give it up.

    The random id is the key for a reporter's upload; a staff member's upload answers only to them."""

    def _upload(self, request, upload_id):
        """(the upload, None), or (None, the answer): 412, 404 or 410."""
        if self.tus_error:
            return None, self.tus_error
        upload = Upload.objects.filter(pk=upload_id).first()
        if upload is None or (upload.owner_id is not None and upload.owner_id != getattr(request.user, "pk", None)):
            return None, _plain(404, ERR_NO_UPLOAD)
        if upload.expires_at <= timezone.now():
            return None, _plain(410, ERR_EXPIRED)
        return upload, None

    @extend_schema(exclude=True)  # HEAD: where the upload stands (Upload-Offset)
    def head(self, request, upload_id):
        upload, error = self._upload(request, upload_id)
        if error:
            return error
        return _tus(HttpResponse(status=200), upload)

    @extend_schema(request={OffsetOctetStreamParser.media_type: OpenApiTypes.BINARY}, responses={204: None, **TUS_ERRORS},
                   parameters=_headers("Tus-Resumable", "Upload-Offset"))
    def patch(self, request, upload_id):
        offset = parse_length(request.headers.get("Upload-Offset"), field="Upload-Offset", message=ERR_OFFSET_HEADER)
        upload, error = self._upload(request, upload_id)
        if error:
            return error
        if request.content_type != OffsetOctetStreamParser.media_type:
            return _plain(415, ERR_CONTENT_TYPE)
        raw_length = request.headers.get("Content-Length")
        content_length = int(raw_length) if raw_length and raw_length.isdigit() else None
        upload = upload_append(upload=upload, offset=offset, stream=request.data["stream"],
                               content_length=content_length)
        return _tus(HttpResponse(status=204), upload)

    @extend_schema(request=None, responses={204: None, **TUS_ERRORS}, parameters=_headers("Tus-Resumable"))
    def delete(self, request, upload_id):
        upload, error = self._upload(request, upload_id)
        if error:
            return error
        upload_delete(upload)
        return _tus(HttpResponse(status=204))

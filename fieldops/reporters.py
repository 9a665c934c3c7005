"""The citizen who reported: the reporter token is their only key to their report.

A report answers its reporter a random token once (fieldops.services.complaint_create); only
its hash is stored. With it, and no account, the reporter may reopen a resolved report
(fieldops.workflow.complaint_reopen) and add report photos (the photo upload of
fieldops.ops_apis). Every check goes through `reporter_authenticate`.
"""

from __future__ import annotations

import hashlib
import hmac

from django.utils.translation import gettext_lazy

from fieldops.errors import FieldError, WorkflowForbidden
from fieldops.models import Complaint

ERR_TOKEN_REQUIRED = gettext_lazy("The reporter token is required.")
ERR_TOKEN_WRONG = gettext_lazy("The reporter token does not match this complaint.")


def hash_token(token: str) -> str:
    """The stored form of a reporter token (SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def reporter_authenticate(*, complaint: Complaint, token) -> None:
    """Pass when `token` is this complaint's reporter token: a 400 naming `reporter_token` when
    none is given, a 403 when it does not match (compared in constant time)."""
    token = str(token or "").strip()
    if not token:
        raise FieldError("reporter_token", ERR_TOKEN_REQUIRED, "required")
    if not complaint.reporter_token_hash or not hmac.compare_digest(complaint.reporter_token_hash, hash_token(token)):
        raise WorkflowForbidden(ERR_TOKEN_WRONG)

"""Signed, short-lived tile URLs: a map pans through dozens of tiles without a session lookup each.

A map client asks once, signed in, for the TileJSON of the complaint tiles
(`/api/v1/tiles/complaints.json`); its tile URLs carry `token=`, a value signed with the
deployment's SECRET_KEY (django.core.signing, HMAC-SHA256) that names the user and the scope they
may see (the governments and, for agency roles, the one agency). Each tile request then checks the signature and the age
instead of reading the session, the user and the roles from PostgreSQL: three round trips fewer
per tile. Tile requests without a token still work with the session or an API token.

The trade-off: a token stays valid until it expires (TILE_TOKEN_MAX_AGE, one hour by default)
even if the account is switched off meanwhile. Tiles hold counts, categories and statuses only,
never personal data; rotating SECRET_KEY revokes every token at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

SALT = "laksa.analytics.tiles"
PARAM = "token"
ERR_TOKEN = gettext_lazy("The tile token is invalid or has expired; fetch a new one from /api/v1/tiles/complaints.json.")


def max_age() -> int:
    return settings.TILE_TOKEN_MAX_AGE


@dataclass(frozen=True)
class TileGrant:
    """Who a valid tile token was issued to: enough for the analytics permission, nothing more."""

    user_id: int
    agency_id: int | None
    # The governments the grant reaches (None: every government, for province and admin).
    government_ids: frozenset[int] | None = frozenset()
    is_authenticated = True
    is_superuser = False
    is_active = True
    is_anonymous = False

    @property
    def pk(self) -> int:
        return self.user_id


def issue(*, user_id: int, agency_id: int | None, government_ids: frozenset[int] | None) -> str:
    governments = None if government_ids is None else sorted(government_ids)
    return signing.dumps({"u": user_id, "a": agency_id, "g": governments}, salt=SALT, compress=True)


def read(token: str) -> TileGrant:
    """The grant of a valid token; one without governments (issued before them) is refused."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
        governments = data["g"]
        return TileGrant(user_id=int(data["u"]), agency_id=None if data["a"] is None else int(data["a"]),
                         government_ids=None if governments is None else frozenset(int(g) for g in governments))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise AuthenticationFailed({PARAM: [ERR_TOKEN]}) from None


class TileTokenAuthentication(BaseAuthentication):
    """`?token=` on a tile URL; absent, the next authentication class (session, API token) decides."""

    def authenticate(self, request):
        token = request.query_params.get(PARAM)
        if token is None:
            return None
        return read(token), token


class TileTokenScheme(OpenApiAuthenticationExtension):
    target_class = TileTokenAuthentication
    name = "tileToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "query", "name": PARAM,
                "description": "Signed tile token from the `tiles` URLs of /api/v1/tiles/complaints.json"}

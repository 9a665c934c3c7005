"""Revocation reaches open sockets within seconds.

A socket is authorized when it opens and then lives for a whole shift, so taking a credential or
an entitlement away must also reach the sockets already open. Every staff socket joins its
user's group (`realtime.groups.user_group`) and remembers which token or session opened it;
after the change commits, one of two messages goes to that group:

- `user.revoke` with the digest of a token (the token was deleted: DELETE /api/v1/auth/token/,
  the admin, or its user deleted) or of a session key (the user logged out of that session):
  the sockets opened with it close with 4401. Without a digest (the user was deactivated or
  deleted) every socket of the user closes with 4401.
- `user.recheck` (a role added or removed, the agency of the staff profile or a crew membership
  changed): each socket authorizes again, closes with 4403 if no longer entitled, or moves to
  the groups of what it may now see.

Messages carry a SHA-256 digest of the token or session key, never the secret (the channel layer
may be Redis). The receivers are connected in `RealtimeConfig.ready()`: the domain (fieldops,
Django's auth) knows nothing of sockets.
"""

from __future__ import annotations

import hashlib
from functools import partial

from django.db import transaction

from realtime import groups

REVOKE = "user.revoke"  # consumers handle it in `user_revoke`
RECHECK = "user.recheck"  # consumers handle it in `user_recheck`
ROLE_ACTIONS = frozenset({"post_add", "post_remove", "post_clear"})


def credential_digest(secret: str) -> str:
    """What a socket and a revocation message compare: a digest of a token or session key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def revoke_message(*, token: str | None = None, session: str | None = None) -> dict:
    """A `user.revoke` message: for one token, one session, or (neither) every socket."""
    return {
        "type": REVOKE,
        "token": credential_digest(token) if token else None,
        "session": credential_digest(session) if session else None,
    }


def send_to_user(user_ids, message: dict, *, using: str = "default") -> None:
    """Send `message` to the sockets of each user once the current transaction commits."""
    from realtime.publish import send_messages

    pairs = [(groups.user_group(pk), message) for pk in sorted({pk for pk in user_ids if pk is not None})]
    if pairs:
        transaction.on_commit(partial(send_messages, pairs, what=message["type"]), using=using)


# ---------------------------------------------------------------- signal receivers


def token_deleted(sender, instance, using="default", **kwargs):
    """A DRF token is gone: close the sockets it opened."""
    send_to_user([instance.user_id], revoke_message(token=instance.key), using=using)


def user_saved(sender, instance, created=False, using="default", **kwargs):
    """A deactivated account keeps no socket open."""
    if not created and not instance.is_active:
        send_to_user([instance.pk], revoke_message(), using=using)


def user_deleted(sender, instance, using="default", **kwargs):
    send_to_user([instance.pk], revoke_message(), using=using)


def roles_changed(sender, instance, action, reverse, pk_set=None, using="default", **kwargs):
    """User.groups changed, from either side: the users concerned authorize their sockets again."""
    if not reverse:
        if action in ROLE_ACTIONS:
            send_to_user([instance.pk], {"type": RECHECK}, using=using)
        return
    # From the group's side (group.user_set.remove(...)): the users are in pk_set, except for a
    # clear, whose users must be read before they are removed.
    if action == "pre_clear":
        ids = list(instance.user_set.values_list("pk", flat=True))
    elif action in ROLE_ACTIONS and pk_set:
        ids = list(pk_set)
    else:
        return
    send_to_user(ids, {"type": RECHECK}, using=using)


def entitlement_changed(sender, instance, using="default", **kwargs):
    """A staff profile (agency) or crew membership saved or deleted: authorize again."""
    send_to_user([instance.user_id], {"type": RECHECK}, using=using)


def logged_out(sender, request, user, **kwargs):
    """Logging out ends the sockets opened by that browser session, not the user's others."""
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if user is not None and key:
        send_to_user([user.pk], revoke_message(session=key))


def connect() -> None:
    """Connect the receivers (called once from RealtimeConfig.ready)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from rest_framework.authtoken.models import Token

    from fieldops.models import CrewMember, StaffProfile

    User = get_user_model()
    post_delete.connect(token_deleted, sender=Token, dispatch_uid="realtime.revocation.token")
    post_save.connect(user_saved, sender=User, dispatch_uid="realtime.revocation.user_saved")
    post_delete.connect(user_deleted, sender=User, dispatch_uid="realtime.revocation.user_deleted")
    m2m_changed.connect(roles_changed, sender=User.groups.through, dispatch_uid="realtime.revocation.roles")
    for model in (StaffProfile, CrewMember):
        for signal in (post_save, post_delete):
            signal.connect(entitlement_changed, sender=model,
                           dispatch_uid=f"realtime.revocation.{model.__name__}.{signal is post_save}")
    user_logged_out.connect(logged_out, dispatch_uid="realtime.revocation.logged_out")

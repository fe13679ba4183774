"""API tokens for BI tools: create, authenticate, revoke (services, verb-named)."""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from .models import IndicatorApiToken
from .scope import reader_scope

TOKEN_PREFIX = "ind_"  # noqa: S105 — a marker, not a secret


def _digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_token(*, user, name):
    """A new token for `user`: returns (row, the token in clear, shown this once)."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = IndicatorApiToken.objects.create(
        user=user, name=name, prefix=key[:12], key_hash=_digest(key)
    )
    return token, key


def revoke_api_token(*, token):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def authenticate_api_token(key):
    """The person a token acts for, if it is valid and they may still read indicators."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        IndicatorApiToken.objects.select_related("user")
        .filter(key_hash=_digest(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not reader_scope(token.user).readable:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        IndicatorApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

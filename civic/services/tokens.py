"""API tokens: issued once, kept as a digest, expiring, revoked by their owner.

The secret leaves the server once, in the answer that creates it; the database holds its SHA-256.
Revocation is a delete. A password change or a deactivation deletes every token of the account in
the database itself (trigger `civic_user_revokes_tokens`, migration 0005), so the admin, a shell
or any service revokes them alike."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.errors import NotFound
from civic.models import ApiToken, User

PREFIX = "civ_"
# A client that logs in on every run leaves tokens behind: past this many live ones, the oldest go.
MAX_LIVE_TOKENS = 20


def token_digest(secret: str) -> str:
    """What the database keeps of a secret: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_format(token_id: int, secret: str) -> str:
    return f"{PREFIX}{token_id}_{secret}"


def token_parse(raw: str) -> tuple[int, str] | None:
    """(id, secret) of a presented token, or None when it does not have the token's shape."""
    if not raw.startswith(PREFIX):
        return None
    head, sep, secret = raw[len(PREFIX) :].partition("_")
    if not sep or not head.isdigit() or len(head) > 18 or not 20 <= len(secret) <= 64:
        return None
    return int(head), secret


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.API_TOKEN_TTL_DAYS)


@transaction.atomic
def api_token_create(*, user: User) -> tuple[ApiToken, str]:
    """A new token for `user`; the second item is the token to show once (never stored)."""
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, digest=token_digest(secret), expires_at=_expiry(now))
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    live = ApiToken.objects.filter(user=user).order_by("-id").values_list("id", flat=True)
    ApiToken.objects.filter(pk__in=list(live[MAX_LIVE_TOKENS:])).delete()
    audit_record(
        actor=user,
        verb="api_token.created",
        target=token,
        after={"expires_at": token.expires_at.isoformat()},
    )
    return token, token_format(token.pk, secret)


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> None:
    """The owner revokes one of their tokens; someone else's token is "not found" (no oracle)."""
    deleted, _by_model = ApiToken.objects.filter(pk=token_id, user=user).delete()
    if not deleted:
        raise NotFound(_("Jeton introuvable."), code="token_not_found")
    audit_record(actor=user, verb="api_token.revoked", target=("civic.apitoken", token_id))


def api_token_list(*, user: User) -> Iterable[ApiToken]:
    """The owner's live tokens, newest first (the digests stay in the database)."""
    return (
        ApiToken.objects.filter(user=user, expires_at__gt=timezone.now())
        .defer("digest")
        .order_by("-id")
    )


def api_tokens_issue_bulk(users: Iterable[User]) -> dict[int, str]:
    """One token per user, for benchmarks and load tests only: {user id: token}, no audit."""
    now = timezone.now()
    pending = [(user, secrets.token_urlsafe(32)) for user in users]
    rows = ApiToken.objects.bulk_create(
        [
            ApiToken(
                user=user, digest=token_digest(secret), created_at=now, expires_at=_expiry(now)
            )
            for user, secret in pending
        ],
        batch_size=5000,
    )
    return {
        user.pk: token_format(row.pk, secret)
        for (user, secret), row in zip(pending, rows, strict=True)
    }

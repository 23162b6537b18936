"""The receipt page's memory: a signed cookie in the voter's own browser, not a server record.

The cast redirects to the receipt page (post/redirect/get), so the page must find the receipt again
on a plain GET. The server keeps only the receipt's hash, with no link to the voter
(docs/threat-model.md, "What is stored"); keeping the code in the session or in a table would add
that link. The code therefore travels back only to the browser that cast:
- signed with a salt naming the campaign and the account, so it opens for that account on that
  campaign only (another account in the same browser, or a copied cookie, reads nothing);
- timestamped and refused after RECEIPT_CHECK_MINUTES, when the receipt can no longer be checked
  (its cookie expires then too);
- scoped to the vote's path, HttpOnly and SameSite=Strict;
- replaced by the next cast: after a re-vote the page shows the new receipt. It never says whether
  a receipt was later replaced from another device (a check never does: a coercer must not learn
  of a re-vote).
"""

from __future__ import annotations

import json
from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

COOKIE = "vote_receipt"


class Shown(NamedTuple):
    code: str
    revote: bool
    emailed: bool = False


def _salt(request: HttpRequest, campaign_id: int) -> str:
    return f"referendums.receipt:{campaign_id}:{request.user.pk}"


def _max_age() -> int:
    return int(settings.RECEIPT_CHECK_MINUTES) * 60


def remember(response: HttpResponse, request: HttpRequest, campaign_id: int, shown: Shown) -> None:
    response.set_signed_cookie(
        COOKIE,
        json.dumps([shown.code, shown.revote, shown.emailed]),
        salt=_salt(request, campaign_id),
        max_age=_max_age(),
        path=reverse("referendums:vote", args=[campaign_id]),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def read(request: HttpRequest, campaign_id: int) -> tuple[Shown | None, bool]:
    """(the receipt, None if none), and whether one was there but is past its window."""
    try:
        raw = request.get_signed_cookie(
            COOKIE, salt=_salt(request, campaign_id), max_age=_max_age()
        )
    except KeyError:
        return None, False
    except signing.SignatureExpired:
        return None, True
    except signing.BadSignature:  # another account's, another campaign's, or altered
        return None, False
    if raw is None:
        return None, False
    try:
        code, revote, emailed = json.loads(raw)
    except (TypeError, ValueError):
        return None, False
    return Shown(str(code), bool(revote), bool(emailed)), False

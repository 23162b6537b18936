"""Typed access to the person behind a request."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated

from civic.models import User


def authenticated_user(request: Any) -> User:
    """The logged-in `User` of a Django or DRF request (views behind login_required or
    IsAuthenticated); anonymous callers get the API's 401/403 rather than a crash."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated
    return user

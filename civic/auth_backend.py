"""The password backend of the site's sessions: Django's `ModelBackend`, reading a session's user
with one prepared statement (civic/store.py) that brings their register entry along.

Everything else is Django's: how a password is checked, who may authenticate (an inactive
account may not, `user_can_authenticate`), and `django.contrib.auth.get_user`, which still checks
the session's password hash against the user it is given on every request, so a password change
or a logout ends the session everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from civic.models import RegisterEntry, User
from civic.perf import model_from_row
from civic.store import session_user_row


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        row = session_user_row(pk)
        if row is None:
            return None
        n = len(User._meta.concrete_fields)
        user = model_from_row(User, list(row[:n]))
        assert isinstance(user, User)
        if user.register_entry_id is not None:
            entry = model_from_row(RegisterEntry, list(row[n:]))
            User.register_entry.field.set_cached_value(user, entry)
        return user if self.user_can_authenticate(user) else None

"""Input fields shared by the apps' API views."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

MAX_ID = 10**18 - 1  # the same bound as the `<id:>` path converter: every database id fits


class IdField(serializers.IntegerField):
    """A database id in a request body: a positive integer the database can hold, so a huge number
    is a 400 with the field named, never an overflow deeper down."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

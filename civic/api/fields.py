"""Input fields shared by the apps' API views."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MAX_ID = 10**18 - 1  # the same bound as the `<id:>` path converter: every database id fits


class IdField(serializers.IntegerField):
    """A database id in a request body: a positive integer the database can hold, so a huge number
    is a 400 with the field named, never an overflow deeper down."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


# A civic date (a vote's calendar, a deliberation, a draw's seed) lies in this range. Far dates are
# refused rather than stored: before 1911 the city's time zone had no whole-minute offset, which
# no client parses back, and no city schedules a vote for the year 349 or 9999.
FIRST_YEAR, LAST_YEAR = 2000, 2099


class _CivicYears:
    """Refuses a date or a date-time outside FIRST_YEAR..LAST_YEAR, after the field's own parsing."""

    def to_internal_value(self, value: Any) -> Any:
        result = super().to_internal_value(value)  # type: ignore[misc]
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            message = _("Choisissez une date entre {first} et {last}.")
            raise serializers.ValidationError(
                message.format(first=FIRST_YEAR, last=LAST_YEAR), code="out_of_range"
            )
        return result


class CivicDateTimeField(_CivicYears, serializers.DateTimeField):
    pass


class CivicDateField(_CivicYears, serializers.DateField):
    pass

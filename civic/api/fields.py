"""Input fields shared by the apps' API views."""

from __future__ import annotations

from datetime import date, datetime
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


class CivicDateTimeField(serializers.DateTimeField):
    default_error_messages = {
        "out_of_range": _("Choisissez une date entre {first} et {last}."),
    }

    def to_internal_value(self, value: Any) -> datetime:
        result: datetime = super().to_internal_value(value)
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            self.fail("out_of_range", first=FIRST_YEAR, last=LAST_YEAR)
        return result


class CivicDateField(serializers.DateField):
    default_error_messages = {
        "out_of_range": _("Choisissez une date entre {first} et {last}."),
    }

    def to_internal_value(self, value: Any) -> date:
        result: date = super().to_internal_value(value)
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            self.fail("out_of_range", first=FIRST_YEAR, last=LAST_YEAR)
        return result

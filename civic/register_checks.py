"""Deploy checks of the register and staff edits (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from civic.store import triggers_present

# The database's own guards of this area, by trigger name (created by migrations).
GUARD_TRIGGERS = ("petitions_rung_frozen", "petitions_instrumenttype_frozen")


def check_strike_off_bound(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    """A bound of 1000 per mille or more never refuses: a truncated roll file would strike off
    everyone it misses without anyone confirming."""
    if settings.REGISTER_STRIKE_OFF_MAX_PERMILLE < 1000:
        return []
    return [
        checks.Warning(
            "REGISTER_STRIKE_OFF_MAX_PERMILLE is "
            f"{settings.REGISTER_STRIKE_OFF_MAX_PERMILLE}: a register import may strike off the "
            "whole roll without confirmation.",
            hint="Keep it well below 1000 (the default is 50, 5 % of the roll).",
            id="civic.W080",
        )
    ]


def check_guard_triggers(
    app_configs: Any = None, databases: Any = None, **_kwargs: Any
) -> list[checks.CheckMessage]:
    """With `--database`, say so when a guard trigger of this area is missing (a faked or
    hand-edited migration): the ladders of open initiatives would no longer be frozen."""
    if not databases:
        return []
    warnings: list[checks.CheckMessage] = []
    for alias in databases:
        found = triggers_present(alias, GUARD_TRIGGERS)
        missing = sorted(set(GUARD_TRIGGERS) - found)
        if missing:
            warnings.append(
                checks.Warning(
                    f"Database {alias!r} lacks the trigger(s) {', '.join(missing)}: the ladders "
                    "of open initiatives are not frozen by the database.",
                    hint="Run the migrations (petitions 0009) without --fake.",
                    id="civic.W081",
                )
            )
    return warnings

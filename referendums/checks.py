"""Deploy checks of the referendums app (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError

from referendums import store


def _number(value: str | None) -> float | None:
    """A setting's value as a number (units dropped: only its sign and zero matter here)."""
    if value is None:
        return None
    digits = value.strip().rstrip("abcdefghijklmnopqrstuvwxyz").strip()
    try:
        return float(digits)
    except ValueError:
        return None


def _on(value: str | None, *, at_least: float) -> bool:
    number = _number(value)
    return number is not None and number >= at_least


def statement_logging_offences(found: dict[str, str | None]) -> list[str]:
    """The settings of `found` (store.server_logging_settings) that log statements or their
    parameters, spelled `name = value`."""
    offences = []

    def offend(name: str) -> None:
        offences.append(f"{name} = {found.get(name)}")

    if (found.get("log_statement") or "none") != "none":
        offend("log_statement")
    if _on(found.get("log_min_duration_statement"), at_least=0):
        offend("log_min_duration_statement")
    sampled = (_number(found.get("log_statement_sample_rate")) or 0) > 0
    if sampled and _on(found.get("log_min_duration_sample"), at_least=0):
        offend("log_min_duration_sample")
    if (_number(found.get("log_transaction_sample_rate")) or 0) > 0:
        offend("log_transaction_sample_rate")
    for name in ("log_parameter_max_length", "log_parameter_max_length_on_error"):
        if found.get(name) is not None and _number(found.get(name)) != 0:
            offend(name)
    libraries = f"{found.get('shared_preload_libraries') or ''},{found.get('session_preload_libraries') or ''}"
    explain_loaded = "auto_explain" in libraries or found.get("auto_explain.log_min_duration")
    if explain_loaded and _on(found.get("auto_explain.log_min_duration"), at_least=0):
        offend("auto_explain.log_min_duration")
    return offences


def check_server_statement_logging(
    app_configs: Any = None, **_kwargs: Any
) -> list[checks.CheckMessage]:
    """civic.W040: the connected PostgreSQL server must not log statements or their parameters
    (docs/threat-model.md, ballot secrecy)."""
    try:
        found = store.server_logging_settings()
    except DatabaseError:
        return []  # no database to ask: other checks and the first request will say so
    offences = statement_logging_offences(found)
    if not offences:
        return []
    return [
        checks.Warning(
            "The PostgreSQL server logs statements or their parameters ("
            + ", ".join(offences)
            + "): its log can link a voter's participation with their ballot.",
            hint="Set log_statement = none, log_min_duration_statement = -1, "
            "log_min_duration_sample = -1, log_transaction_sample_rate = 0, "
            "log_parameter_max_length = 0, log_parameter_max_length_on_error = 0, and "
            "auto_explain.log_min_duration = -1 (or do not load auto_explain); see the README.",
            id="civic.W040",
        )
    ]

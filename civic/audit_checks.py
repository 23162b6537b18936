"""Deploy checks of the audit chain's anchoring and of the application's database role."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from civic.privileges.store import connected_role


def _settings_warnings() -> list[checks.CheckMessage]:
    warnings: list[checks.CheckMessage] = []
    if not settings.AUDIT_CHAIN_KEY:
        warnings.append(
            checks.Warning(
                "AUDIT_CHAIN_KEY is not set: new audit entries are plain SHA-256, which whoever "
                "writes the database can recompute after an edit.",
                hint="Set AUDIT_CHAIN_KEY to a long random secret kept outside the database.",
                id="civic.W050",
            )
        )
    seed = settings.AUDIT_SIGNING_KEY
    valid_seed = False
    if seed:
        try:
            valid_seed = len(bytes.fromhex(seed)) == 32
        except ValueError:
            valid_seed = False
    if not valid_seed:
        warnings.append(
            checks.Warning(
                "AUDIT_SIGNING_KEY is missing or not 64 hex digits: the audit heads are not "
                "published, so a consistent rewrite of the chain goes unseen.",
                hint='Generate one: python -c "import secrets; print(secrets.token_hex(32))".',
                id="civic.W051",
            )
        )
    if not settings.AUDIT_HEADS_FILE:
        warnings.append(
            checks.Warning(
                "AUDIT_HEADS_FILE is not set: the chain's heads and the ballot box digests are "
                "not published outside the database.",
                hint="Point it at an append-only file on storage the database operator cannot "
                "write (e.g. a volume of the worker only).",
                id="civic.W052",
            )
        )
    if not settings.AUDITORS_EMAILS:
        warnings.append(
            checks.Warning(
                "AUDITORS_EMAILS is empty: no auditor receives a copy of the published heads.",
                hint="List the auditors' addresses, comma-separated.",
                id="civic.W055",
            )
        )
    return warnings


def _role_warnings() -> list[checks.CheckMessage]:
    try:
        row = connected_role()
    except DatabaseError:
        return []  # no database to ask (the checklist run on a machine without one)
    if row is None:
        return []
    superuser, owner = row
    warnings: list[checks.CheckMessage] = []
    if superuser:
        warnings.append(
            checks.Warning(
                "The application connects to PostgreSQL as a superuser: it can disable the "
                "audit log's triggers and rewrite the chain and the ballot box.",
                hint="Create the application's role with `manage.py db_roles --create` (as the "
                "owner) and connect as it; keep the owner for migrations.",
                id="civic.W053",
            )
        )
    elif owner:
        warnings.append(
            checks.Warning(
                "The application connects as the owner of the audit log: it can drop its "
                "triggers and rewrite it.",
                hint="Connect as the role of `manage.py db_roles --create`; migrate as the owner.",
                id="civic.W054",
            )
        )
    return warnings


def check_audit_anchoring(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    return _settings_warnings() + _role_warnings()

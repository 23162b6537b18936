"""The application's own database role: it owns nothing and may not rewrite the record.

    manage.py db_roles --create --role civic_app --password-env APP_DATABASE_PASSWORD

Run as the role that owns the tables (the one that migrates), after each `migrate`: it creates the
role if missing (LOGIN, not superuser, no CREATEDB/CREATEROLE) and sets its privileges afresh on
every table and sequence of the schema. The application then connects as that role
(DATABASE_URL); migrations keep running as the owner.

What the role may do, table by table (everything else: SELECT, INSERT, UPDATE, DELETE):
- the audit log: SELECT and INSERT only (append);
- ballots: SELECT, INSERT, DELETE and UPDATE of the district only: a re-vote replaces its ballot,
  the close shuffles and coarsens; once a box is sealed a trigger refuses any change;
- receipt hashes: SELECT, INSERT, DELETE, and UPDATE of the columns that mark a receipt
  superseded or count its checks (where they exist), never of its digest;
- the migrations table: SELECT only.
No table grants TRUNCATE, REFERENCES or TRIGGER; the role cannot alter, disable a trigger or
drop anything, as only the owner can.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic.privileges.store import RoleRefused, roles_grant


class Command(BaseCommand):
    help = (
        "Create the application's database role and grant it exactly what the application needs "
        "(no rewrite of the audit log or the ballot box). Run as the owner, after migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default=os.environ.get("APP_DATABASE_ROLE", "civic_app"))
        parser.add_argument("--create", action="store_true", help="create the role if missing")
        parser.add_argument(
            "--password-env",
            default="APP_DATABASE_PASSWORD",
            help="the environment variable holding the role's password (unset: left as is)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["password_env"]) or None
        try:
            done = roles_grant(options["role"], password=password, create=options["create"])
        except RoleRefused as refused:
            raise CommandError(str(refused)) from refused
        for line in done:
            self.stdout.write(line)
        self.stdout.write(f"privileges of {options['role']} set")

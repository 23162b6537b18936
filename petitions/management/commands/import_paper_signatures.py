"""`manage.py import_paper_signatures <initiative_id> <file.csv> --actor moderator@example.org`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic.errors import DomainError
from civic.models import User
from petitions.services import paper_rows_from_csv, paper_signatures_import


class Command(BaseCommand):
    help = "Enter a keyed batch of paper signatures (CSV: register_ref or last_name, first_names, birth_date; sheet_ref)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("initiative_id", type=int)
        parser.add_argument("csv_path")
        parser.add_argument(
            "--actor", required=True, help="e-mail of the moderator doing the entry"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(email=options["actor"].lower()).first()
        if actor is None:
            raise CommandError("no such account")
        path = Path(options["csv_path"])
        try:
            with path.open(encoding="utf-8", newline="") as lines:
                report = paper_signatures_import(
                    initiative_id=options["initiative_id"],
                    actor=actor,
                    rows=paper_rows_from_csv(lines),
                    source=path.name,
                )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from exc
        self.stdout.write(json.dumps(report.as_dict()))

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic.errors import DomainError
from civic.services.register import register_import


class Command(BaseCommand):
    help = "Import an electoral roll or resident register CSV file (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--strict", action="store_true", help="apply nothing if a row is rejected"
        )
        parser.add_argument(
            "--confirm-strike-offs",
            action="store_true",
            help="apply even if more than REGISTER_STRIKE_OFF_MAX_PERMILLE of the roll is struck off",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            with path.open("rb") as stream:
                report = register_import(
                    stream=stream,
                    filename=path.name,
                    actor=None,
                    strict=options["strict"],
                    confirm_strike_offs=options["confirm_strike_offs"],
                )
        except (OSError, DomainError) as exc:
            raise CommandError(str(exc)) from exc
        for rejection in report.rejected:
            self.stderr.write(f"line {rejection['line']}: {rejection['reason']}")
        self.stdout.write(
            f"{'applied' if report.applied else 'NOT applied'}: {report.rows_total} rows, "
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.rejected)} rejected, {report.struck_off} struck off, "
            f"{report.reinstated} reinstated"
        )
        if options["strict"] and report.rejected:
            raise CommandError("rejected rows: nothing was applied")

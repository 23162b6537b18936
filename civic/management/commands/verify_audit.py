from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civic.audit import audit_verify
from civic.audit_heads import heads_read, heads_verify


class Command(BaseCommand):
    help = (
        "Verify the whole audit hash chain and report the first broken link; with --heads, also "
        "check it against the signed heads published outside the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--heads", type=Path, help="a copy of the published heads (JSON lines)")
        parser.add_argument(
            "--public-key",
            help="the Ed25519 public key (hex) the auditors were given; default: this server's",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain BROKEN at entry #{report.broken_at}: {report.reason} "
                f"({report.checked} entries verified before it)"
            )
        self.stdout.write(f"audit chain OK: {report.checked} entries verified")
        if options["heads"] is None:
            return
        try:
            lines = heads_read(options["heads"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the heads: {exc}") from exc
        if not options["heads"].exists():
            raise CommandError(f"no such file: {options['heads']}")
        heads = heads_verify(lines, public_key=options["public_key"])
        if not heads.ok:
            raise CommandError(
                "audit chain REWRITTEN: it no longer matches the published heads: "
                + "; ".join(heads.problems)
            )
        self.stdout.write(f"published heads OK: {heads.checked} lines match the chain")

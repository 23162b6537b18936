from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civic.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the whole audit hash chain and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain BROKEN at entry #{report.broken_at}: {report.reason} "
                f"({report.checked} entries verified before it)"
            )
        self.stdout.write(f"audit chain OK: {report.checked} entries verified")

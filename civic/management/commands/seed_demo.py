import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civic.demo import DEFAULT_PASSWORD, DEMO_TOTP_SECRET, NEWCOMER, seed_demo


class Command(BaseCommand):
    help = "Create (idempotently) the demo city: districts, register, staff per role, residents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--entries", type=int, default=3000, help="register entries (default 3000)"
        )
        parser.add_argument(
            "--residents", type=int, default=20, help="verified residents to create"
        )
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="password of every demo account"
        )
        parser.add_argument(
            "--no-content",
            action="store_true",
            help="skip the instruments' demo content (initiatives, campaigns...)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = seed_demo(
            entries=options["entries"], residents=options["residents"], password=options["password"]
        )
        if not options["no_content"]:
            for app in ("petitions", "referendums", "assembly", "dashboards"):
                try:
                    demo = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError:
                    continue
                demo.seed_demo(stdout=self.stdout)
        self.stdout.write(
            f"demo city: {report.districts} districts, {report.entries_created} new register entries, "
            f"{report.residents_created} new residents"
        )
        self.stdout.write("demo logins (password: {}):".format(options["password"]))
        for email in report.staff:
            codes = " ".join(report.recovery_codes.get(email, []))
            self.stdout.write(f"  staff     {email}  (recovery codes, once each: {codes})")
        self.stdout.write(
            f"staff second factor: TOTP secret {DEMO_TOTP_SECRET} "
            "(current code: manage.py demo_totp)"
        )
        self.stdout.write(f"  newcomer  {NEWCOMER}  (residency not verified yet)")
        if options["residents"]:
            self.stdout.write(
                f"  residents resident-0001@example.org … resident-{options['residents']:04d}@example.org"
            )

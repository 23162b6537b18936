from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civic.demo import demo_totp_code


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff accounts' published secret (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for the demo only")
        self.stdout.write(demo_totp_code())

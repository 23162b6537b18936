"""`manage.py announce_open_obligations`: tell the other instruments again of every open obligation.

Run once after upgrading to the event-driven version, so initiatives that reached the assembly's
agenda rung before it reach the assembly's agenda too. Safe to run again: subscribers keep one
request per obligation.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from petitions.services.counting import obligations_announce_open


class Command(BaseCommand):
    help = "Announce every open obligation again to the instruments that act on it."

    def handle(self, *args: Any, **options: Any) -> None:
        announced = obligations_announce_open()
        self.stdout.write(f"{announced} open obligation(s) announced")

"""`manage.py rerun_draw <mandate id>` or `manage.py rerun_draw --bundle tirage.json`: replay the
draw from its published inputs and say whether it matches the published panel and reserve, whether
its seed is the public round the commitment named, and whether each volunteer had the chance the
algorithm promised. The
replay and its report are `assembly.sortition.replay`'s, shared with `tools/rerun_draw.py`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assembly import sortition
from assembly.models import DrawCommitment
from assembly.selectors import draw_bundle


class Command(BaseCommand):
    help = "Recompute a citizens' assembly draw from its published inputs and compare."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("mandate", nargs="?", type=int, help="mandate id (reads the database)")
        parser.add_argument(
            "--bundle", help="a downloaded tirage-<id>.json instead of the database"
        )
        parser.add_argument(
            "--no-recompute",
            action="store_true",
            help="skip re-solving the distribution (the replay of the draw itself is always done)",
        )
        parser.add_argument(
            "--simulated-draws",
            type=int,
            default=sortition.SIMULATED_DRAWS,
            help="draws simulated to check each volunteer's chance (0 to skip)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data = self._bundle(options)
        try:
            report = sortition.bundle_rerun(
                data,
                recompute=not options["no_recompute"],
                simulated_draws=options["simulated_draws"],
            )
        except sortition.SeedNotPublished as exc:
            raise CommandError(str(exc)) from None
        for line in sortition.report_lines(report):
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(sortition.MISMATCH_LINE)
        self.stdout.write(self.style.SUCCESS(sortition.MATCH_LINE))

    def _bundle(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["bundle"]:
            return dict(json.loads(Path(options["bundle"]).read_text(encoding="utf-8")))
        if not options["mandate"]:
            raise CommandError("Give a mandate id or --bundle FILE.")
        commitment = DrawCommitment.objects.filter(mandate_id=options["mandate"]).first()
        if commitment is None:
            raise CommandError("No commitment for this mandate.")
        return draw_bundle(commitment)

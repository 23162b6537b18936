"""`manage.py rerun_draw <mandate id>` or `manage.py rerun_draw --bundle tirage.json`: replay the
draw from its published inputs and say whether it matches the published panel and reserve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assembly import sortition


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["bundle"]:
            data = json.loads(Path(options["bundle"]).read_text(encoding="utf-8"))
        elif options["mandate"]:
            from assembly.models import DrawCommitment
            from assembly.selectors import draw_bundle

            commitment = DrawCommitment.objects.filter(mandate_id=options["mandate"]).first()
            if commitment is None:
                raise CommandError("No commitment for this mandate.")
            data = draw_bundle(commitment)
        else:
            raise CommandError("Give a mandate id or --bundle FILE.")
        if not data.get("seed"):
            raise CommandError("The seed is not published yet: nothing to replay.")
        report = sortition.rerun(
            data["payload"],
            published_digest=data["digest"],
            seed=data["seed"],
            published_panel=data["panel"],
            published_reserve=data["reserve"],
            recompute=not options["no_recompute"],
            seed_recorded_at=data.get("seed_recorded_at"),
        )
        out = self.stdout
        out.write(f"commitment digest matches: {'yes' if report.digest_matches else 'NO'}")
        out.write(f"committed lottery meets every quota: {'yes' if report.lottery_sound else 'NO'}")
        out.write(f"panel matches: {'yes' if report.panel_matches else 'NO'}")
        out.write(f"reserve list matches: {'yes' if report.reserve_matches else 'NO'}")
        if report.recomputed_lottery_identical is not None:
            out.write(
                "lottery recomputed identically on this machine: "
                + (
                    "yes"
                    if report.recomputed_lottery_identical
                    else "no (solver or platform differs)"
                )
            )
        for problem in report.problems:
            out.write(f"  - {problem}")
        if report.ok:
            out.write(
                self.style.SUCCESS("MATCH: the published panel follows from the published inputs.")
            )
        else:
            raise CommandError(
                "MISMATCH: the published panel does not follow from the published inputs."
            )

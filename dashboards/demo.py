"""Demo content: no data of its own, only the figures of what the instruments seeded (idempotent:
a second run folds nothing new and keeps every document's ETag)."""

from __future__ import annotations

from typing import Any

from dashboards.services import documents_rebuild, stats_tick


def seed_demo(*, stdout: Any) -> None:
    result = stats_tick()
    documents_rebuild(everything=True)
    stdout.write(f"dashboards: {result['touched']} initiatives folded, statistics built\n")

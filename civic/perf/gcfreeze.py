"""The web process's collector: what importing the application built is frozen."""

from __future__ import annotations

import gc


def freeze_import() -> None:
    """Collect the import's garbage, then move every object left (Django, the apps, their models
    and settings: about 110,000) out of the collector's sight: a full collection then walks only
    what requests left behind (bench/gc_pauses.py: longest pause 63.7 ms before, 8.0 ms after)."""
    gc.collect()
    gc.freeze()

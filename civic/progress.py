"""The progress of a staff member's background job (a Celery task), shown the same way on every
staff page: a native `<progress>` with the figures in words, a polite live status, and a page that
reloads itself every few seconds while the job runs and stops once it is over, without JavaScript.

The job records its own progress where every web process reads it (its row: done, total, state,
moved by the task in the transaction of each chunk), so any number of web servers and workers
agree. A page builds a `JobProgress` from that row and includes `civic/_job_progress.html`; its
`head` block includes `civic/_job_refresh.html` with `refresh=progress_refresh(...)`.

The reloading page is the job's own page, with no form to fill while it runs: a reload never
wipes what someone is typing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Seconds between two reloads of a job's page while it runs.
REFRESH_SECONDS = 2


@dataclass(frozen=True)
class JobProgress:
    """`total` None: a job that cannot count its steps (the bar then only says it runs)."""

    key: str  # unique in the page: the element ids
    label: str
    state: str
    done: int
    total: int | None
    running: bool

    @property
    def refresh_seconds(self) -> int:
        return REFRESH_SECONDS

    @property
    def percent(self) -> int:
        if self.total is None:
            return 0
        if self.total <= 0:
            return 0 if self.running else 100
        return min(100, self.done * 100 // self.total)

    @property
    def bar_max(self) -> int:
        """The bar's maximum: the total, or 1 for a job with nothing to do (a bar needs max > 0)."""
        return max(self.total or 0, 1)

    @property
    def bar_value(self) -> int:
        if self.total is not None and self.total <= 0:
            return 0 if self.running else 1
        return min(self.done, self.bar_max)


def progress_refresh(jobs: Iterable[JobProgress]) -> int | None:
    """The reload delay for a page showing these jobs: while any runs, else none (no reload)."""
    return REFRESH_SECONDS if any(job.running for job in jobs) else None

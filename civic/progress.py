"""The progress of a staff member's background job (a Celery task), shown the same way on every
staff page: a native `<progress>` with the figures in words and a polite live status.

The page never reloads itself (a reload under the reader moves a screen reader's focus and cuts
its reading: WCAG 2.2.1, technique failure F41). While the job runs, the block offers an
"Actualiser" link to the same page with a sentence saying to refresh it to see the progress: that
is all a browser without JavaScript needs. With JavaScript, `civic/static/civic/job-progress.js`
(a static file, CSP `script-src 'self'`) fetches the same page every `REFRESH_SECONDS` (its
`data-job-poll`), updates the bar and the status of each running block in place (the status, a
polite live region, announces it), and once the job is over shows its final state and a link
"Afficher le résultat", without moving the focus; after a few failed fetches it stops and leaves
the link. The JSON status endpoints stay for other clients.

The job records its own progress where every web process reads it (its row: done, total, state,
moved by the task in the transaction of each chunk), so any number of web servers and workers
agree. A page builds a `JobProgress` from that row and includes `civic/_job_progress.html`; its
`head` block includes `civic/_job_refresh.html` with `refresh=progress_refresh(...)`, which loads
the script only while a job of the page runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Seconds between two fetches of a job's page by its script while the job runs (a fraction is
# written with a decimal point in every language: the script reads it as a number).
REFRESH_SECONDS: float = 2


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
    def refresh_seconds(self) -> float:
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


def progress_refresh(jobs: Iterable[JobProgress]) -> float | None:
    """The polling delay for a page following these jobs: while any runs, else none (no script)."""
    return REFRESH_SECONDS if any(job.running for job in jobs) else None

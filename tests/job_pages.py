"""What every staff job page (civic/progress.py) must hold, read from its HTML: never a page that
reloads itself; while the job runs, one "Actualiser" link to the page itself and the script that
follows the job in place; once it is over, neither."""

from __future__ import annotations

import re

SCRIPT = re.compile(r'<script src="/static/civic/job-progress(\.[0-9a-f]+)?\.js" defer></script>')
META_REFRESH = re.compile(r"<meta[^>]*http-equiv=[\"']?refresh", re.I)


def _refresh_links(page: str, url: str) -> int:
    return len(re.findall(rf'<a href="{re.escape(url)}">Actualiser</a>', page))


def assert_followed_while_running(page: str, url: str) -> None:
    assert not META_REFRESH.search(page), "a job page never reloads itself"
    assert _refresh_links(page, url) == 1, "one Actualiser link to the page itself"
    assert "actualisez la page pour voir sa progression" in page
    assert len(SCRIPT.findall(page)) == 1, "the script that follows the job, once"
    assert re.search(r'data-job-poll="\d+(\.\d+)?"', page)
    assert "Afficher le résultat" in page  # hidden until the script finds the job over


def assert_not_followed_once_over(page: str, url: str) -> None:
    assert not META_REFRESH.search(page)
    assert _refresh_links(page, url) == 0 and "Actualiser" not in page
    assert "job-progress.js" not in page and "data-job-poll" not in page
    assert "Afficher le résultat" not in page

"""Page weight: what a visitor with an empty cache downloads to see a page (the HTML, its style
sheets, scripts, icons and images, and the fonts and images the style sheets name), each counted
compressed as the server or the CDN sends it (gzip, level 6). The budget is 100 KB a page, so a
resident on a slow mobile connection sees it within a few seconds."""

from __future__ import annotations

import functools
import gzip
import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

BUDGET_BYTES = 100 * 1024
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and (values.get("rel") or "").lower() in {"stylesheet", "icon"}:
            self.urls.append(values.get("href") or "")
        elif tag in {"script", "img"} and values.get("src"):
            self.urls.append(values["src"] or "")


@functools.lru_cache(maxsize=256)
def compressed_size(body: bytes) -> int:
    """Compressed once per distinct body: a crawl's pages share their style sheets and fonts."""
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def same_origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in {"data"} or (parts.netloc and parts.netloc != "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_weight(path: str, html: str, get: Callable[[str], bytes]) -> dict[str, int]:
    """Compressed bytes of the page and of everything it makes the browser fetch, by URL."""
    weights = {path: compressed_size(html.encode())}
    parser = _Assets()
    parser.feed(html)
    queue = [urljoin(path, url) for url in parser.urls if url]
    while queue:
        url = same_origin(queue.pop(0))
        if url is None or url in weights:
            continue
        body = get(url)
        weights[url] = compressed_size(body)
        if url.split("?")[0].endswith(".css"):
            text = body.decode(errors="replace")
            queue.extend(urljoin(url, found) for found in _CSS_URL.findall(text))
    return weights

"""Reading public documents back in tests: the text of a PDF (pypdf) and of a page, each with its
white space collapsed, so a sentence wrapped over two lines of the PDF still reads as one."""

from __future__ import annotations

import html
import io
import re

from pypdf import PdfReader


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def page_text(markup: str) -> str:
    """The visible text of a page's markup (tags dropped, entities decoded)."""
    markup = re.sub(r"<(script|style|head)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def numbers(text: str) -> list[str]:
    return sorted(re.findall(r"\d+(?:,\d+)?", text))


def pdf_link_size(markup: str, url: str) -> int:
    """The size in kilobytes a page states for its PDF link, which must point at `url`."""
    found = re.search(
        rf'<a href="{re.escape(url)}" type="application/pdf">[^<(]*\((\d+) (?:Ko|KB)\)</a>', markup
    )
    assert found, f"no PDF link to {url}"
    return int(found.group(1))

"""Share cards: the picture a social network or a messaging app shows beside a link to a page
(Open Graph `og:image`, Twitter `summary_large_image`), and the meta tags that point to it.

A card is drawn from public facts only (a title, a count, dates, a published result), in the
city's colour, with the subset of DejaVu Sans the project carries (civic/fonts: no font to install, no network;
Pillow's own default font has no accented letters). Each instrument
serves its cards as public pages (civic.http_cache), so a link shared ten thousand times is drawn
once per tick by each process and then served from the shared cache.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from civic.theme import colours

WIDTH, HEIGHT = 1200, 630  # the size every network accepts for a large card (1.91:1)
MARGIN = 72
TITLE_SIZE, LINE_SIZE, KICKER_SIZE = 58, 38, 32
TITLE_LINES = 3
FONTS = Path(__file__).resolve().parent / "fonts"


@cache
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, limit: int) -> list[str]:
    """Greedy word wrap to `width` pixels, at most `limit` lines, the last one ending in "…" when
    the text does not fit."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < limit:
        line = words.pop(0)
        while words and font.getlength(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words and lines:
        last = lines[-1]
        while last and font.getlength(last + " …") > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines[-1] = last + " …"
    return lines


def share_card(*, kicker: str, title: str, lines: Sequence[str] = ()) -> bytes:
    """A 1200 x 630 PNG: the city's name on a band of its colour, what the page is (`kicker`), its
    title, and up to three lines of figures."""
    primary = colours()["primary"]
    image = Image.new("RGB", (WIDTH, HEIGHT), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 120), fill=primary)
    draw.text((MARGIN, 40), str(settings.CITY_NAME), font=_font(KICKER_SIZE), fill="#ffffff")
    y = 168
    draw.text((MARGIN, y), kicker, font=_font(KICKER_SIZE), fill=primary)
    y += 64
    title_font = _font(TITLE_SIZE, bold=True)
    for line in _wrap(title, title_font, WIDTH - 2 * MARGIN, TITLE_LINES):
        draw.text((MARGIN, y), line, font=title_font, fill="#1a1a1a")
        y += 78
    y = max(y + 24, HEIGHT - MARGIN - len(lines[:3]) * 54)
    for line in lines[:3]:
        draw.text((MARGIN, y), line, font=_font(LINE_SIZE), fill="#1a1a1a")
        y += 54
    draw.rectangle((0, HEIGHT - 16, WIDTH, HEIGHT), fill=primary)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

"""The city's look, from settings: its name, logo, two colours and its fonts (CITY_NAME, CITY_LOGO,
CITY_COLOURS, CITY_FONT and CITY_FONT_FILES, config/city.py).

The colours and the font list become CSS custom properties, and the font files `@font-face` rules, in a small style sheet served by the site (civic.views.
theme_stylesheet, linked from base.html with a version drawn from the colours, so it is cached for
good and a new colour is fetched at once): the Content-Security-Policy allows no inline style. A
system check refuses a colour that is not a hex colour (it is written into a style sheet) or that
does not reach WCAG AA contrast (4.5:1) against white, since both colours carry white text (the
header, the buttons), a font list with characters other than names, commas and quotes, or a
font file that is not a WOFF2 path with a weight of 100 to 900.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import checks
from django.templatetags.static import static

DEFAULT_COLOURS = {"primary": "#00437a", "secondary": "#1e6b33"}
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# Family names, spaces, hyphens, commas and quotes only: the list is written into a style sheet.
FONT_LIST = re.compile(r"""^[A-Za-z0-9 ,'"-]+$""")
FONT_FILE = re.compile(
    r"^(?P<path>[\w./-]+\.woff2)(?::(?P<weight>[1-9]00))?(?::(?P<style>italic))?$"
)
AA_NORMAL_TEXT = 4.5


def colours() -> dict[str, str]:
    configured = getattr(settings, "CITY_COLOURS", None) or {}
    return {name: configured.get(name, default) for name, default in DEFAULT_COLOURS.items()}


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio between two #rrggbb colours, from 1 to 21."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def font() -> str:
    """The city's font list, or "" for the style sheet's system fonts."""
    return str(getattr(settings, "CITY_FONT", "") or "").strip()


def font_files() -> tuple[tuple[str, str, str], ...]:
    """(path, weight, style) of each well-formed CITY_FONT_FILES entry."""
    files = []
    for entry in getattr(settings, "CITY_FONT_FILES", None) or []:
        match = FONT_FILE.match(str(entry).strip())
        if match:
            files.append((match["path"], match["weight"] or "400", match["style"] or "normal"))
    return tuple(files)


@cache
def _css(primary: str, secondary: str, family: str, faces: tuple[tuple[str, str, str], ...]) -> str:
    rules = ""
    if family and faces:
        name = family.split(",")[0].strip()
        for url, weight, style in faces:
            rules += (
                f"@font-face{{font-family:{name};src:url('{url}') format('woff2');"
                f"font-weight:{weight};font-style:{style};font-display:swap}}"
            )
    font_rule = f";--font:{family}" if family else ""
    return f"{rules}:root{{--brand:{primary};--brand-2:{secondary}{font_rule}}}"


def theme_css() -> str:
    """The theme style sheet's text."""
    chosen = colours()
    family = font() if FONT_LIST.match(font()) else ""
    return _css(chosen["primary"], chosen["secondary"], family, _faces())


def _faces() -> tuple[tuple[str, str, str], ...]:
    """The font files' addresses; a file the static files do not hold is left out (the manifest
    storage would fail every page; the system check civic.E104 names it)."""
    faces = []
    for path, weight, style in font_files():
        try:
            faces.append((static(path), weight, style))
        except ValueError:
            continue
    return tuple(faces)


@cache
def _version(css: str) -> str:
    return hashlib.sha256(css.encode()).hexdigest()[:12]


def theme_version() -> str:
    """Changes with the colours: the style sheet's URL carries it, so it can be cached for good."""
    return _version(theme_css())


def check_theme(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for name, value in colours().items():
        if not isinstance(value, str) or not HEX.match(value):
            errors.append(
                checks.Error(
                    f"CITY_COLOURS[{name!r}] is {value!r}, not a colour written #rrggbb.",
                    hint="Write each colour as six hexadecimal digits, e.g. #00437a.",
                    id="civic.E100",
                )
            )
            continue
        ratio = contrast_ratio(value, "#ffffff")
        if ratio < AA_NORMAL_TEXT:
            errors.append(
                checks.Error(
                    f"CITY_COLOURS[{name!r}] {value} has a contrast of {ratio:.2f}:1 with white "
                    f"text; WCAG AA asks at least {AA_NORMAL_TEXT}:1.",
                    hint="Choose a darker shade: the header and the buttons carry white text on it.",
                    id="civic.E101",
                )
            )
    family = font()
    if family and not FONT_LIST.match(family):
        errors.append(
            checks.Error(
                f"CITY_FONT {family!r} is not a list of font family names.",
                hint='Write names separated by commas, e.g. Luciole, "Noto Sans", sans-serif.',
                id="civic.E103",
            )
        )
    for entry in getattr(settings, "CITY_FONT_FILES", None) or []:
        match = FONT_FILE.match(str(entry).strip())
        # A missing file would make the style sheet's address fail on every page in production.
        if not match or not finders.find(match["path"]):
            errors.append(
                checks.Error(
                    f"CITY_FONT_FILES entry {entry!r} is not a WOFF2 file of the static files, "
                    "with an optional weight and style.",
                    hint="Write path.woff2, path.woff2:700 or path.woff2:400:italic.",
                    id="civic.E104",
                )
            )
    logo = getattr(settings, "CITY_LOGO", "")
    if logo and not logo.endswith((".svg", ".png", ".webp")):
        errors.append(
            checks.Error(
                f"CITY_LOGO {logo!r} is not an SVG, PNG or WebP image path.",
                hint="Give a static path such as 'civic/logo.svg'.",
                id="civic.E102",
            )
        )
    return errors

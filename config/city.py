"""The city's name and look (civic/theme.py), from the environment: name, logo, colours, fonts."""

from __future__ import annotations

from config.env import env_list, env_str

CITY_NAME = env_str("CITY_NAME", "Ville de Poitiers-sur-Clain")
# The city's logo (a static path) and colours, both carrying white text (checked: civic/theme.py).
CITY_LOGO = env_str("CITY_LOGO", "civic/logo.svg")
CITY_COLOURS = {
    "primary": env_str("CITY_COLOUR_PRIMARY", "#00437a"),
    "secondary": env_str("CITY_COLOUR_SECONDARY", "#1e6b33"),
}
# The text's CSS font-family list (empty: the system fonts of civic/static/civic/site.css). A family
# that is not on the reader's device needs its WOFF2 files in CITY_FONT_FILES, static paths served
# by the site itself (no CDN), each "path", "path:weight" or "path:weight:italic"; they count in
# every page's 100 KB budget (tests/e2e/weight.py), so keep to one or two files.
CITY_FONT = env_str("CITY_FONT", "")
CITY_FONT_FILES = env_list("CITY_FONT_FILES", [])

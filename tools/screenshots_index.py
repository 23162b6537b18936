"""The gallery's index (docs/screenshots/README.md) and the pages shown before and after the
design-system work (issue 19), found by path patterns so that an older checkout's pages match too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# The last commit before the design-system work (the parent of its first commit, 93417f9).
BEFORE_COMMIT = "df42240"
WEBP_QUALITY = 50
# A very long page (a long list, the privacy notice) is cut: its top says what the page is.
HEIGHT_CAP = {390: 6000, 1280: 3600}
SITE_SUFFIX = " — Participation citoyenne"


@dataclass(frozen=True)
class Pair:
    name: str
    title: str
    role: str
    before: str  # pattern of the path in the older checkout
    after: str  # pattern of the gallery's key
    pick: str = "first"  # the first or last matching path by its number (demo ids grow)
    journey: str | None = None  # "vote": cast a vote, the page shown after is the receipt
    viewport_only: bool = False
    # The page shot is the picked path with this replacement (a page no link reaches).
    rewrite: tuple[str, str] | None = None

    def pick_from(self, paths: list[str], pattern: str) -> str | None:
        matching = sorted(
            {p for p in paths if re.fullmatch(pattern, p)},
            key=lambda p: [int(n) for n in re.findall(r"\d+", p)],
        )
        if not matching:
            return None
        found = matching[0] if self.pick == "first" else matching[-1]
        return found.replace(*self.rewrite) if self.rewrite else found


VOTE = r"/referendums/\d+/vote/"
BEFORE_AFTER = (
    Pair("home", "Home", "visitor", r"/", r"/"),
    Pair("phone-header", "Phone header (first screen)", "visitor", r"/", r"/", viewport_only=True),
    Pair("signup", "Sign-up", "visitor", r"/accounts/signup/", r"/accounts/signup/"),
    Pair(
        "results", "Results", "visitor", r"/referendums/\d+/results/", r"/referendums/\d+/results/"
    ),
    Pair(
        "closed-vote",
        "Closed referendum: its vote page",
        "resident",
        r"/referendums/\d+/results/",
        r"/referendums/\d+/results/",
        rewrite=("results/", "vote/"),
    ),
    Pair(
        "receipt", "Vote receipt", "resident", VOTE, r"/referendums/\d+/.*#receipt", journey="vote"
    ),
    Pair("dashboard", "Dashboard charts", "visitor", r"/tableau-de-bord/", r"/tableau-de-bord/"),
    Pair(
        "initiative-new",
        "Initiative creation",
        "resident",
        r"/initiatives/new/",
        r"/initiatives/new/instrument/",
    ),
    Pair("assembly", "Assembly sessions wording", "visitor", r"/assembly/\d+/", r"/assembly/\d+/"),
    Pair("staff-home", "Staff home (moderator)", "moderator", r"/staff/", r"/staff/"),
    Pair("my-data", "Mes données", "resident", r"/me/data/", r"/me/data/"),
)


def _links(name: str) -> str:
    return f"[390](390/{name}.webp) · [1280](1280/{name}.webp)"


def _thumb(src: str, width: int, alt: str) -> str:
    return f'<a href="{src}"><img src="{src}" width="{width}" alt="{alt}"></a>'


def _pairs_table(out: Path, shots: list[dict]) -> list[str]:
    lines = [
        "## Before and after",
        "",
        f"Before: commit `{BEFORE_COMMIT}`, the last one before the design-system work (issue 19), "
        "shot from its own checkout and demo data by `tools/screenshots --before`. After: the "
        "gallery above.",
        "",
        "| page | before 390 | after 390 | before 1280 | after 1280 |",
        "|---|---|---|---|---|",
    ]
    for pair in BEFORE_AFTER:
        key = pair.pick_from([s["key"] for s in shots], pair.after)
        # The role's own shot of the page, or the one shot for another role.
        mine = sorted(shots, key=lambda s: s["role"] != pair.role)
        after = next((s["name"] for s in mine if key in (s["key"], s["goto"])), None)
        cells = [pair.title]
        for width, thumb in ((390, 150), (1280, 260)):
            if pair.viewport_only and width != 390:
                cells += ["—", "—"]  # a phone's first screen
                continue
            before = f"before/{width}/{pair.name}.webp"
            shown = (out / before).exists()
            cells.append(_thumb(before, thumb, f"before, {width} px") if shown else "not shot")
            if after is None:
                cells.append("not shot")
                continue
            cells.append(_thumb(f"{width}/{after}.webp", thumb, f"after, {width} px"))
            if pair.viewport_only:
                cells[-1] += " (its first 844 px)"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _section(label: str, mine: list[dict], roles: dict[str, str]) -> list[str]:
    lines = [f"## Shot as: {label}", "", "| page | URL | seen by | images |", "|---|---|---|---|"]
    for shot in mine:
        cut = [w for w, cap in HEIGHT_CAP.items() if int(shot["heights"][str(w)]) > cap]
        note = f" (cut at {HEIGHT_CAP[cut[0]]} px at {cut[0]} px wide)" if cut else ""
        title = shot["title"].removesuffix(SITE_SUFFIX).replace("|", "·")
        seen = "everyone" if len(shot["seen_by"]) == len(roles) else ", ".join(shot["seen_by"])
        url = shot["key"].split("#")[0]
        lines.append(f"| {title}{note} | `{url}` | {seen} | {_links(shot['name'])} |")
    return [*lines, ""]


def write_index(out: Path, shots: list[dict], roles: dict[str, str]) -> None:
    size = sum(f.stat().st_size for f in out.rglob("*.webp"))
    lines = [
        "# Screenshot gallery",
        "",
        "Every page a visitor, a verified resident and each staff role reach by following links "
        "from the home page and the entry URLs (tests/e2e/crawler.py), in French, at 390 px "
        "(phone) and 1280 px (desktop) wide, on the demo city (`manage.py seed_demo --residents "
        "120`: initiatives collecting, one past its first threshold, an open vote, a published "
        "one, a binding referendum on its legal calendar, an assembly with published minutes). "
        "Staff roles log in with the demo's second factor, as the browser tests do. Pages no link "
        "reaches are reached as the role would (tools/screenshots_journeys.py): the code step at "
        "login, the second factor's pages, the guided creation's steps, the desk's closing page "
        "and a staff job's page after an upload or an export.",
        "",
        "Regenerate with `tools/screenshots` on a fresh database (Playwright on Debian's chromium, "
        "`tools/setup-browsers`); it rewrites this file and `shots.json`. The resident casts a vote "
        "in the browser, so the receipt page is in the gallery too.",
        "",
        f"Full-page WebP images at quality {WEBP_QUALITY}, cut at {HEIGHT_CAP[390]} px (phone) and "
        f"{HEIGHT_CAP[1280]} px (desktop) high; {len(shots)} pages, {2 * len(shots)} images; "
        f"{size / 1e6:.1f} MB in all with the before images. A page is shot for the first role "
        "that reaches it (roles in the order below); a resident's home and instrument pages and "
        "each staff role's staff home are shot for that role too. Jump to "
        "[before and after](#before-and-after).",
        "",
    ]
    for role, label in roles.items():
        mine = [s for s in shots if s["role"] == role]
        if mine:
            lines += _section(label, mine, roles)
    lines += _pairs_table(out, shots)
    (out / "README.md").write_text("\n".join(lines) + "\n")

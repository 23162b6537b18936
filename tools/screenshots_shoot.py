"""Shoot the screenshot gallery (run by tools/screenshots): crawl a running demo site in French as a
visitor, a resident and each staff role (staff pass their second factor as the browser tests do),
and save each page at 390 and 1280 px wide as a full-page WebP image, cut at a height cap.

Usage:
  python tools/screenshots_shoot.py BASE_URL OUT_DIR            # the gallery, then OUT_DIR/README.md
  python tools/screenshots_shoot.py --index OUT_DIR             # OUT_DIR/README.md again
  python tools/screenshots_shoot.py BASE_URL OUT_DIR --before   # only the before/after pages, into
                                                                # OUT_DIR/before/ (an older checkout)
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.accessibility import browser_fetcher  # noqa: E402
from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS  # noqa: E402
from tests.e2e.crawler import ENTRY_URLS, Fetched, crawl, is_html_page  # noqa: E402
from tools.screenshots_index import (  # noqa: E402
    BEFORE_AFTER,
    HEIGHT_CAP,
    WEBP_QUALITY,
    write_index,
)
from tools.screenshots_journeys import JOURNEYS, PASSWORD, Take, path_of  # noqa: E402

WIDTHS = {390: 844, 1280: 800}
MAX_PAGES = 160


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    email: str | None = None


ROLES = (
    Role("visitor", "visitor (not signed in)"),
    # A verified resident who signed the first demo initiative and has not voted in the open vote.
    Role("resident", "verified resident", "resident-0070@example.org"),
    Role("newcomer", "newcomer (residency not verified yet)", "newcomer@example.org"),
    Role("moderator", "moderator (initiatives)", "moderator@example.org"),
    Role("campaigns", "campaign manager (referendums)", "campaigns@example.org"),
    Role("clerk", "assembly clerk", "clerk@example.org"),
    Role("auditor", "auditor (read-only)", "auditor@example.org"),
    Role("admin", "administrator", "admin@example.org"),
)
# Pages each role sees its own way, shot again for that role even when another role's shot exists.
OWN_VIEW = {
    "resident": re.compile(r"^/$|^/(initiatives|referendums|assembly)/\d+/$"),
    "newcomer": re.compile(
        r"^/$|^/(initiatives|referendums)/\d+/$|^/me/verify/$|^/initiatives/new/"
    ),
    "*": re.compile(r"^/staff/$"),
}


@dataclass
class Shot:
    key: str  # the path shown (with the query of a search page)
    name: str  # file name without extension
    role: str
    title: str
    goto: str = ""  # the path loaded (a page a link does not reach may redirect)
    heights: dict[str, int] = field(default_factory=dict)  # full height per width
    seen_by: list[str] = field(default_factory=list)


def totp_code() -> str:
    """The demo staff's current TOTP code (civic.demo.DEMO_TOTP_SECRET), from this checkout."""
    out = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "demo_totp"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def log_in(page: Any, email: str, at_code: Take | None = None) -> bool:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    # A staff account's code: a loaded machine may cross into the next period between reading the
    # code and sending it, so a refused code is tried again with the next period's.
    for _attempt in range(3):
        if "/2fa/authenticate/" not in page.url:
            break
        if at_code and _attempt == 0:  # the code step itself, in the gallery
            at_code("/accounts/2fa/authenticate/")
        page.locator("input[name=code]").fill(totp_code())
        page.locator("main form [type=submit]").first.click()
        page.wait_for_load_state()
        if "/2fa/authenticate/" in page.url:
            time.sleep(30 - time.time() % 30 + 1)
    return "/accounts/login/" not in page.url and "/2fa/" not in page.url


def cast_vote(page: Any, vote_path: str) -> str | None:
    """Vote in the browser (choose, continue, confirm): the page shown after is the receipt."""
    page.goto(vote_path)
    radios = page.locator("main form input[type=radio]")
    if radios.count() == 0:
        return None
    radios.first.check()
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    confirm = page.locator("main form:has(input[name=step][value=cast]) [type=submit]")
    if confirm.count():
        confirm.first.click()
        page.wait_for_load_state()
    return urlsplit(page.url).path


def shot_key(visit_path: str, shown: str) -> str:
    parts = urlsplit(visit_path)
    # A search page is shot with its answer (the finder's entry URL carries a query).
    if parts.query and parts.path == shown and "q=" in parts.query:
        return f"{shown}?{parts.query}"
    return shown


def file_name(role: str, key: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "home"
    return f"{role}--{slug}"[:120]


def capture(page: Any, out: Path, name: str, width: int, *, full: bool = True) -> int:
    """One WebP at `width`; returns the page's full height (the image stops at the cap)."""
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    cut = min(height, HEIGHT_CAP[width]) if full else WIDTHS[width]
    png = page.screenshot(
        full_page=full, clip={"x": 0, "y": 0, "width": width, "height": cut}, animations="disabled"
    )
    target = out / str(width) / f"{name}.webp"
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.open(io.BytesIO(png)).convert("RGB").save(target, "WEBP", quality=WEBP_QUALITY, method=5)
    return height


def shoot(page: Any, out: Path, shot: Shot, goto: str) -> None:
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(goto, wait_until="load")
        if goto.startswith("/api/"):  # the API explorer draws itself from the schema it fetches
            page.locator(".swagger-ui .info").wait_for(timeout=30_000)
        shot.heights[str(width)] = capture(page, out, shot.name, width)
    shot.title = page.title()
    print(f"{shot.role:10} {shot.key}", flush=True)


def skipping_fetcher(page: Any, shown_paths: set[str]) -> Any:
    """A crawler fetch that does not load the other pages of a list already shown (page=2, filters):
    the gallery has one image per page, and a register's pages would use up the crawl."""
    load = browser_fetcher(page)

    def fetch(path: str) -> Fetched:
        parts = urlsplit(path)
        if parts.query and parts.path in shown_paths and "q=" not in parts.query:
            return Fetched(status=0, content_type="", html="", final_path=parts.path)
        fetched = load(path)
        shown_paths.add(fetched.final_path)
        return fetched

    return fetch


def crawl_role(page: Any) -> list[tuple[str, str]]:
    """(path to load, key) of every HTML page the role reaches, in crawl order."""
    visits = crawl(skipping_fetcher(page, set()), start=ENTRY_URLS, max_pages=MAX_PAGES)
    found: list[tuple[str, str]] = []
    for visit in visits:
        shown = visit.fetched.final_path
        if is_html_page(visit) and not shown.startswith(("/api/v1/schema", "/admin/")):
            found.append((visit.path, shot_key(visit.path, shown)))
    return found


def wants(role: str, key: str, shots: dict[tuple[str, str], Shot]) -> bool:
    if any(k == key for (_r, k) in shots):
        own = OWN_VIEW.get(role)
        return bool((own and own.search(key)) or OWN_VIEW["*"].search(key))
    return True


def taker(page: Any, out: Path, role: Role, shots: dict) -> Take:
    """Shoot a page a journey reached (tools/screenshots_journeys.py) for the role, unless the role
    has it already or the page sends the role elsewhere (a login page, an enrolled factor)."""

    def take(goto: str) -> None:
        if (role.key, goto) in shots:
            return
        page.goto(goto, wait_until="load")
        if path_of(page) != goto:
            print(f"{role.key:10} {goto}: shows {path_of(page)}, not shot", flush=True)
            return
        shot = Shot(key=goto, name=file_name(role.key, goto), role=role.key, title="", goto=goto)
        shot.seen_by.append(role.key)
        shots[(role.key, goto)] = shot
        shoot(page, out, shot, goto)

    return take


def gallery_role(browser: Any, base: str, out: Path, role: Role, shots: dict) -> None:
    context = browser.new_context(base_url=base, locale="fr-FR")
    context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    page = context.new_page()
    take = taker(page, out, role, shots)
    at_code = take if not any(k == "/accounts/2fa/authenticate/" for _r, k in shots) else None
    if role.email and not log_in(page, role.email, at_code):
        print(f"{role.key}: could not log in as {role.email}, role skipped", flush=True)
        context.close()
        return
    found = crawl_role(page)
    for pair in BEFORE_AFTER:
        derived = pair.pick_from([k for _p, k in found], pair.after) if pair.rewrite else None
        if pair.role == role.key and derived:
            found.append((derived, derived))
    if role.key == "resident":
        vote = next((p for p, k in found if re.fullmatch(r"/referendums/\d+/vote/", k)), None)
        receipt = cast_vote(page, vote) if vote else None
        if receipt:
            found.append((receipt, receipt + "#receipt"))
    for goto, key in found:
        for shot in shots.values():
            if shot.key == key and role.key not in shot.seen_by:
                shot.seen_by.append(role.key)
        if (role.key, key) in shots or not wants(role.key, key, shots):
            continue
        shot = Shot(key=key, name=file_name(role.key, key), role=role.key, title="", goto=goto)
        shot.seen_by.append(role.key)
        shots[(role.key, key)] = shot
        shoot(page, out, shot, goto)
    for journey in JOURNEYS.get(role.key, ()):
        journey(page, take)
    context.close()


def gallery(base: str, out: Path) -> None:
    for width in WIDTHS:
        for old in (out / str(width)).glob("*.webp"):
            old.unlink()
    shots: dict[tuple[str, str], Shot] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for role in ROLES:
            gallery_role(browser, base, out, role, shots)
            records = [asdict(s) for s in shots.values()]
            (out / "shots.json").write_text(
                json.dumps(records, ensure_ascii=False, indent=1) + "\n"
            )
        browser.close()
    index(out)


def index(out: Path) -> None:
    """Rewrite OUT_DIR/README.md from OUT_DIR/shots.json and the images present."""
    records = json.loads((out / "shots.json").read_text())
    write_index(out, records, {r.key: r.label for r in ROLES})


def before(base: str, out: Path) -> None:
    """The before/after pages of an older checkout, found by the same patterns, into out/before/."""
    target = out / "before"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for role in ROLES:
            wanted = [b for b in BEFORE_AFTER if b.role == role.key]
            if not wanted:
                continue
            context = browser.new_context(base_url=base, locale="fr-FR")
            context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
            page = context.new_page()
            if role.email and not log_in(page, role.email):
                raise SystemExit(f"could not log in as {role.email}")
            found = crawl_role(page)
            for item in wanted:
                goto = item.pick_from([k for _p, k in found], item.before)
                if goto is None:
                    print(f"before: {item.name}: no page matches", flush=True)
                    continue
                shoot_before(page, target, item, goto)
            context.close()
        browser.close()


def shoot_before(page: Any, target: Path, item: Any, goto: str) -> None:
    for width, height in WIDTHS.items():
        if item.viewport_only and width != min(WIDTHS):
            continue  # a phone's first screen
        page.set_viewport_size({"width": width, "height": height})
        if item.journey == "vote":
            cast_vote(page, goto)  # the older receipt is the answer to the POST: cast at each width
        else:
            page.goto(goto, wait_until="load")
        capture(page, target, item.name, width, full=not item.viewport_only)
    print(f"before {item.name}: {goto}", flush=True)


if __name__ == "__main__":
    if "--before" in sys.argv[3:]:
        before(sys.argv[1], Path(sys.argv[2]))
        if (Path(sys.argv[2]) / "shots.json").exists():
            index(Path(sys.argv[2]))
    elif sys.argv[1] == "--index":
        index(Path(sys.argv[2]))
    else:
        gallery(sys.argv[1], Path(sys.argv[2]))

"""CPU time and queries per request of the page paths of W11-W12, inside one process (informative).

W11's signed-in page and W12's form signing are HTTP figures that move with how busy the machine
is; the CPU time a request costs the web process barely does. This runs the real WSGI application
in-process (every middleware, the sessions where a login leaves them: the shared cache and
PostgreSQL; the count cache in Redis) on the page benchmarks' city (bench/pages_common.py) and
prints, per request, the CPU milliseconds and the queries of:

- `/healthz`, the floor of the stack;
- an initiative's page, anonymous, rendered each time (the per-process page memo off);
- the same page for a signed-in resident who may sign it;
- the form-signing round trip of W12: the page, the POST with its CSRF token, the redirect
  followed back to the page (three requests, counted as one resident);
- W11's conditional views answered 304 from the page memo (`If-None-Match`): the initiative's
  page and the home page.

`--without SETTING=VALUE` (repeatable) measures each path a second time in every round with those
settings (say `COUNT_VERSION_MEMO_MS=0`, `PAGE_HOT_PATH=false`): the figure of a piece, alternated
with the same code on the same machine.

Run: .venv/bin/python bench/pages_cpu.py [--requests 300] [--without SETTING=VALUE ...]
"""

from __future__ import annotations

import argparse
import html
import io
import re
import sys
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from harness import main_guard, median, report
from pages_common import seed_city
from petitions_common import analyze

_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Caller:
    """The WSGI application called in-process, with a cookie jar (one browser)."""

    def __init__(self, app: Callable, cookies: dict[str, str] | None = None) -> None:
        self.app = app
        self.cookies = dict(cookies or {})

    def __call__(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        content_type: str = "",
        headers: dict[str, str] | None = None,
    ) -> tuple[str, dict[str, str], bytes]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": content_type,
        }
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started: list[tuple[str, list[tuple[str, str]]]] = []
        content = b"".join(self.app(environ, lambda s, h, _e=None: started.append((s, h))))
        status, headers = started[0]
        for name, value in headers:
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
        return status, {k.lower(): v for k, v in headers}, content


def sign_round_trip(caller: Caller, initiative_id: int) -> bool:
    """W12's resident: the page, the form posted with the page's CSRF token, the redirect."""
    page = f"/initiatives/{initiative_id}/"
    status, _h, body = caller("GET", page)
    token = _CSRF_INPUT.search(body)
    if not status.startswith("200") or token is None:
        return False
    form = urlencode({"csrfmiddlewaretoken": html.unescape(token.group(1).decode())}).encode()
    status, headers, _b = caller(
        "POST", f"/initiatives/{initiative_id}/sign/", form, "application/x-www-form-urlencoded"
    )
    if not status.startswith("302") or not headers.get("location", "").endswith(page):
        return False
    status, _h, body = caller("GET", headers["location"])
    return status.startswith("200") and b"Vous avez sign" in body


def _overrides(pairs: list[str]) -> dict[str, object]:
    """`NAME=VALUE` as a setting: true/false, an integer, else the text."""
    settings: dict[str, object] = {}
    for pair in pairs:
        name, _eq, text = pair.partition("=")
        value: object = text
        if text.lower() in {"true", "false"}:
            value = text.lower() == "true"
        elif text.lstrip("-").isdigit():
            value = int(text)
        settings[name] = value
    return settings


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--without", action="append", default=[], metavar="SETTING=VALUE")
    args = parser.parse_args()
    n = args.requests
    rounds = args.rounds
    per = max(1, n // rounds)
    city = seed_city(residents=rounds * per * 2 + 400, initiatives=rounds * 4)
    analyze()

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config.wsgi import application as app

    settings.PAGE_MEMO_SECONDS = 0  # every anonymous page rendered, not remembered
    shown = city.initiatives[0]
    page = f"/initiatives/{shown}/"
    anonymous = Caller(app)

    def conditional(path: str) -> Callable[[int], bool]:
        """A 304 from the page memo: the page's own tag sent back (the memo on for the call)."""
        tags: dict[str, str] = {}

        def view(_i: int) -> bool:
            settings.PAGE_MEMO_SECONDS = 60
            try:
                if path not in tags:
                    tags[path] = anonymous("GET", path)[1]["etag"]
                status = anonymous("GET", path, headers={"If-None-Match": tags[path]})[0]
            finally:
                settings.PAGE_MEMO_SECONDS = 0
            return status.startswith("304")

        return view

    signed_in = Caller(app, {"sessionid": city.sessions[0]})
    fresh = iter(range(1, len(city.sessions)))

    def resident(i: int) -> bool:
        caller = Caller(app, {"sessionid": city.sessions[next(fresh)]})
        return sign_round_trip(caller, city.initiatives[i % len(city.initiatives)])

    paths: dict[str, Callable[[int], bool]] = {
        "healthz": lambda _i: anonymous("GET", "/healthz")[0].startswith("200"),
        "anonymous_page": lambda _i: anonymous("GET", page)[0].startswith("200"),
        "signed_in_page": lambda _i: signed_in("GET", page)[0].startswith("200"),
        "sign_round_trip": resident,
        "anonymous_304": conditional(page),
        "home_304": conditional("/"),
    }
    overrides = _overrides(args.without)
    defaults = {name: getattr(settings, name) for name in overrides}

    def under(values: dict[str, object], path: Callable[[int], bool]) -> Callable[[int], bool]:
        def run(i: int) -> bool:
            for name, value in values.items():
                setattr(settings, name, value)
            try:
                return path(i)
            finally:
                for name, value in defaults.items():
                    setattr(settings, name, value)

        return run

    if overrides:
        for name, path in list(paths.items()):
            paths[name + "_without"] = under(overrides, path)
    for path in paths.values():  # warm: imports, connections, templates, memos
        for i in range(10):
            assert path(i)
    queries: dict[str, int] = {}
    for name, path in paths.items():
        with CaptureQueriesContext(connection) as captured:
            assert path(0)
        queries[name] = len(captured)
    spent: dict[str, list[float]] = {name: [] for name in paths}
    for round_ in range(rounds):  # alternating rounds: each path meets the same machine
        order = list(paths.items())
        if round_ % 2:  # and every other round the other way round, so no path always comes last
            order.reverse()
        for name, path in order:
            began = time.process_time()
            ok = all(path(i) for i in range(per))
            spent[name].append((time.process_time() - began) / per * 1000)
            assert ok, name
    ms = {name: median(values) for name, values in spent.items()}
    report(
        "W11-cpu",
        "CPU per signed-in page ÷ CPU per /healthz (in-process; W11 wants rps >= 0.2 x /healthz)",
        ms["healthz"] / ms["signed_in_page"],
        "informative: W11 is measured over HTTP",
        True,
        **{f"{k}_ms": round(v, 3) for k, v in ms.items()},
        **{f"{k}_queries": v for k, v in queries.items()},
        without=args.without,
    )


if __name__ == "__main__":
    main()

"""The server under attack: HTTP with or without a session, and the application's database role."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import http.cookiejar
import json
import re
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

# tests.factories.STAFF_TOTP_SECRET and civic.demo.DEMO_TOTP_SECRET, both published.
TOTP_SECRETS = ("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "CIVICDEMOSTAFFSECONDFACTORKEYXYZ")


def totp_now(secret: str, period: int = 30) -> str:
    """RFC 6238 code of `secret` (base32) now: six digits, HMAC-SHA-1."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // period), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def _location(answer: Answer) -> str:
    return next((v for k, v in answer.headers.items() if k.lower() == "location"), "")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Browser:
    """A visitor with cookies (session, CSRF), as a resident's or a staff member's browser."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def _opener(self) -> urllib.request.OpenerDirector:
        return urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self, method: str, path: str, data: dict[str, str] | None = None, **headers: str
    ) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)  # noqa: S310
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
            req.add_header("Referer", self.base + path)
        for name, value in headers.items():
            req.add_header(name.replace("_", "-"), value)
        try:
            with self._opener().open(req, timeout=30) as resp:
                return Answer(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            return Answer(err.code, dict(err.headers), err.read())

    def csrf(self, path: str) -> str:
        """GET `path` and return the form's CSRF token."""
        page = self.request("GET", path).text
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        return found.group(1) if found else ""

    def post_form(self, path: str, data: dict[str, str]) -> Answer:
        return self.request("POST", path, {"csrfmiddlewaretoken": self.csrf(path), **data})

    def login(self, email: str, password: str) -> Answer:
        """The login form; a staff account then passes its second factor (the red team's staff
        use the tests' published TOTP secret, the demo's staff the demo's). A code is accepted
        once: a second login of one account within the same 30 s waits for the next code."""
        answer = self.post_form("/accounts/login/", {"login": email, "password": password})
        for attempt in range(2):
            for secret in TOTP_SECRETS:
                if not _location(answer).endswith("/accounts/2fa/authenticate/"):
                    return answer
                code = totp_now(secret)
                answer = self.post_form("/accounts/2fa/authenticate/", {"code": code})
                if answer.status == 200:  # refused: the form again
                    answer.headers["Location"] = "/accounts/2fa/authenticate/"
            if attempt == 0 and _location(answer).endswith("/accounts/2fa/authenticate/"):
                time.sleep(30 - time.time() % 30 + 0.5)
        return answer


@dataclass
class Target:
    base: str  # http://127.0.0.1:PORT
    database_url: str  # the application's own role, as the web server connects
    facts: dict[str, dict[str, Any]]

    def http(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One API request: `body` sent as JSON (or `raw` bytes as they are)."""
        host, port = self.base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        sent = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = {"Accept": "application/json", **(headers or {})}
        if sent is not None:
            all_headers.setdefault("Content-Type", "application/json")
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=sent, headers=all_headers)
            resp = conn.getresponse()
            return Answer(resp.status, dict(resp.getheaders()), resp.read())
        finally:
            conn.close()

    def browser(self) -> Browser:
        return Browser(self.base)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run `query` as the application's database role (what a stolen app credential can do)."""
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return list(cur.fetchall()) if cur.description else []

"""The web surface: webhooks that would reach inside the city's network, request bodies built to
exhaust the parser, a webhook secret read by a read-only auditor, and a forged X-Forwarded-For
spreading a burst over invented clients (threat model, "The web surface")."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.redteam import Attack

if TYPE_CHECKING:
    from tools.redteam.target import Answer, Target

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "red-team-web-2026"  # noqa: S105 - accounts of the throw-away red-team city
SECRET = "red-team-webhook-secret-" + "k" * 24

SETUP = f"""
import json
from civic.models import User, WebhookSubscriber
from civic.roles import Role, roles_sync
from django.contrib.auth.models import Group
roles_sync()
def staff(email, role):
    user = User.objects.create_user(email=email, password={PASSWORD!r}, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    from allauth.mfa.models import Authenticator as _A; from allauth.mfa.totp.internal.auth import TOTP as _T; _A.objects.filter(user=user, type="totp").exists() or _T.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user
admin = staff("redteam-web-admin@example.org", Role.ADMINISTRATOR)
staff("redteam-web-auditor@example.org", Role.AUDITOR)
hook = WebhookSubscriber.objects.create(
    name="Tableau de bord", url="https://hooks.example.org/civic",
    events=["initiative.published"], secret={SECRET!r}, created_by=admin,
)
print(json.dumps({{
    "admin": "redteam-web-admin@example.org",
    "auditor": "redteam-web-auditor@example.org",
    "hook": hook.pk,
}}))
"""


def _facts(target: Target) -> dict[str, Any]:
    return target.facts["web"]


def _request(
    target: Target,
    method: str,
    path: str,
    body: bytes | Iterator[bytes] | None = None,
    *,
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    chunked: bool = False,
) -> Answer:
    """One request from loopback address `source` (127.0.0.0/8 is all ours): each attack that
    spends a rate limit spends its own client's, not the other modules'."""
    from tools.redteam.target import Answer

    host, port = target.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(source, 0))
    all_headers = {"Accept": "application/json", "Content-Type": "application/json"}
    all_headers.update(headers or {})
    try:
        conn.request(method, path, body=body, headers=all_headers, encode_chunked=chunked)
        resp = conn.getresponse()
        return Answer(resp.status, dict(resp.getheaders()), resp.read())
    except (ConnectionError, http.client.HTTPException) as exc:
        # A server that hangs up on an oversize body has refused it, not failed.
        return Answer(0, {}, str(exc).encode())
    finally:
        conn.close()


def _code(answer: Answer) -> str:
    try:
        return str(answer.json().get("code"))
    except (ValueError, AttributeError):
        return "?"


# --- JSON bodies --------------------------------------------------------------------------------

NESTED = b"[" * 1000 + b"]" * 1000
ANONYMOUS_WRITES = [
    ("POST", "/api/v1/auth/token/"),
    ("POST", "/api/v1/me/verification/"),
    ("POST", "/api/v1/initiatives/"),
    ("POST", "/api/v1/initiatives/1/signatures/"),
    ("POST", "/api/v1/referendums/1/ballots/"),
    ("PATCH", "/api/v1/initiatives/1/"),
    ("PUT", "/api/v1/initiatives/1/"),
    ("POST", "/api/v1/staff/webhooks/"),
]


def _nested_json(target: Target) -> tuple[bool, str]:
    statuses = {
        f"{m} {p}": _request(target, m, p, NESTED, source="127.0.0.21").status
        for m, p in ANONYMOUS_WRITES
    }
    token = _request(target, "POST", "/api/v1/auth/token/", NESTED, source="127.0.0.22")
    errors = {k: v for k, v in statuses.items() if v >= 500 or v == 0}
    held = not errors and token.status == 400 and _code(token) == "json_too_deep"
    return held, f"server errors {errors or 'none'}; token endpoint {token.status} {_code(token)}"


def _oversize(target: Target) -> tuple[bool, str]:
    big = b'{"email": "' + b"a" * 3_000_000 + b'"}'
    declared = _request(target, "POST", "/api/v1/auth/token/", big, source="127.0.0.23")

    def pieces() -> Iterator[bytes]:
        for _ in range(300):
            yield b" " * 10_000

    chunked = _request(
        target, "POST", "/api/v1/auth/token/", pieces(), source="127.0.0.24", chunked=True
    )
    held = (declared.status, _code(declared)) == (413, "request_too_large") and (
        chunked.status,
        _code(chunked),
    ) == (413, "request_too_large")
    return held, (
        f"3 MB with Content-Length: {declared.status} {_code(declared)}; "
        f"3 MB chunked: {chunked.status} {_code(chunked)}"
    )


# --- Webhooks -----------------------------------------------------------------------------------


def _admin_token(target: Target) -> str:
    """The administrator's API token: e-mail, password and the second factor's code (a code is
    accepted once, so a refusal waits for the next period and tries again)."""
    from tools.redteam.target import TOTP_SECRETS, totp_now

    for attempt in range(2):
        for secret in TOTP_SECRETS:
            body = {
                "email": _facts(target)["admin"],
                "password": PASSWORD,
                "code": totp_now(secret),
            }
            answer = _request(
                target,
                "POST",
                "/api/v1/auth/token/",
                json.dumps(body).encode(),
                source="127.0.0.25",
            )
            data = answer.json() or {}
            if data.get("token"):
                return str(data["token"])
        if attempt == 0:
            time.sleep(30 - time.time() % 30 + 0.5)
    return ""


def _internal_receivers(target: Target) -> tuple[bool, str]:
    token = _admin_token(target)
    if not token:
        return False, "could not log in as the administrator"
    results = {}
    for url in (
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost:6379/",
        "http://hooks.example.org/civic",
    ):
        body = {"name": "x", "url": url, "events": ["initiative.published"], "secret": SECRET}
        answer = _request(
            target,
            "POST",
            "/api/v1/staff/webhooks/",
            json.dumps(body).encode(),
            source="127.0.0.25",
            headers={"Authorization": f"Bearer {token}"},
        )
        results[url] = f"{answer.status} {_code(answer)}"
    held = all(r.startswith("400 webhook_") for r in results.values())
    return held, "; ".join(f"{u} -> {r}" for u, r in results.items())


class _Hits:
    def __init__(self, answer: int, location: str = "") -> None:
        self.hits = 0
        hits = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                hits.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(answer)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _any

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


DELIVER = """
import json
from civic.models import WebhookDelivery, WebhookSubscriber
from civic.webhooks import webhook_deliver
from django.utils import timezone
sub = WebhookSubscriber.objects.create(name="redirector", url={url!r},
    events=["initiative.published"], secret="r" * 40)
d = WebhookDelivery.objects.create(subscriber=sub, event="initiative.published", payload={{}},
    next_attempt_at=timezone.now())
ok = webhook_deliver(delivery_id=d.pk)
d.refresh_from_db()
sub.delete()
print(json.dumps({{"delivered": ok, "status": d.last_status_code, "error": d.last_error}}))
"""


def _redirect(target: Target) -> tuple[bool, str]:
    """A receiver the city allows (loopback here, named in WEBHOOK_ALLOWED_PRIVATE_HOSTS) answers
    with a redirect to an internal service: the worker must not follow it."""
    inside = _Hits(204)
    outside = _Hits(307, location=inside.url + "internal")
    try:
        sys.path.insert(0, str(ROOT / "bench"))
        from harness import bench_env

        env = bench_env(
            target.database_url,
            WEBHOOK_ALLOW_HTTP="true",
            WEBHOOK_ALLOWED_PRIVATE_HOSTS="127.0.0.1",
            CACHE_URL=os.environ.get("REDTEAM_CACHE_URL", "redis://127.0.0.1:6379/5"),
            CELERY_BROKER_URL="filesystem://",
        )
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", DELIVER.format(url=outside.url)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            return False, "delivery failed to run: " + done.stderr.strip()[-300:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        inside.server.shutdown()
        outside.server.shutdown()
    held = not result["delivered"] and inside.hits == 0 and outside.hits == 1
    return held, (
        f"delivered={result['delivered']} status={result['status']} "
        f"receiver hits={outside.hits} internal hits={inside.hits}"
    )


def _auditor_secret(target: Target) -> tuple[bool, str]:
    browser = target.browser()
    browser.login(_facts(target)["auditor"], PASSWORD)
    hook = _facts(target)["hook"]
    pages = {
        path: browser.request("GET", path)
        for path in (
            "/admin/civic/webhooksubscriber/",
            f"/admin/civic/webhooksubscriber/{hook}/change/",
            f"/admin/civic/webhooksubscriber/{hook}/history/",
        )
    }
    seen = [p for p, a in pages.items() if a.status == 200]
    leaked = [p for p, a in pages.items() if SECRET in a.text]
    held = len(seen) == len(pages) and not leaked
    return held, f"pages read {len(seen)}/{len(pages)}; secret shown on {leaked or 'none'}"


# --- Client address -----------------------------------------------------------------------------


def _forged_forwarded_for(target: Target) -> tuple[bool, str]:
    """The token endpoint allows 10 a minute per client: 14 tries, each with another forged
    X-Forwarded-For, from one client. Then one try from another client still passes."""

    def wrong(i: int) -> bytes:
        # A new address each try: the per-account lockout (5 failures) must not be what answers.
        return json.dumps({"email": f"nobody{i}@example.org", "password": "wrong"}).encode()

    codes = [
        _request(
            target,
            "POST",
            "/api/v1/auth/token/",
            wrong(i),
            source="127.0.0.26",
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        ).status
        for i in range(14)
    ]
    other = _request(target, "POST", "/api/v1/auth/token/", wrong(99), source="127.0.0.27").status
    held = 429 in codes and other == 400 and not any(c >= 500 for c in codes)
    return held, f"forged burst answered {codes}; another client {other}"


def attacks() -> list[Attack]:
    return [
        Attack("17.13", "1,000 levels of JSON, anonymously, give no 5xx", _nested_json),
        Attack("17.12", "a 3 MB body is a 413, chunked or not", _oversize),
        Attack("17.12", "webhooks to internal addresses are refused", _internal_receivers),
        Attack("17.12", "a webhook redirect to an internal service is not followed", _redirect),
        Attack("17.12", "the auditor does not read a webhook secret", _auditor_secret),
        Attack(
            "17.12", "a forged X-Forwarded-For does not dodge a rate limit", _forged_forwarded_for
        ),
    ]

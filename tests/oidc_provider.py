"""A small, real OpenID Connect provider for the tests, shaped like FranceConnect v2.

It serves discovery, the JWKS, an authorisation page with "Continuer" and "Annuler" buttons,
the token endpoint (client secret checked, code used once), the userinfo endpoint answering a
signed JWT (`application/jwt`) with the pivot identity, and the end-session endpoint (which checks
`id_token_hint`). Tokens are signed ES256 (or RS256) with PyJWT and `cryptography`; it runs in a
thread on a free port of 127.0.0.1. Tests set `identity` (the person who consents) and may ask for
one fault on the next tokens (`fault`: "wrong_nonce", "expired", "unsigned_userinfo", "bad_acr",
"forged_id_token", "forged_userinfo": signed by a key the JWKS does not hold, under its `kid`).

It knows two clients: the residents' sign-in (CLIENT_ID, FranceConnect-shaped) and the staff single
sign-on (STAFF_CLIENT_ID, ProConnect-shaped: `staff_settings()`); `acr` and `amr` say what the next
ID tokens assert (a multi-factor login: `amr = ["pwd", "mfa"]`).
"""

from __future__ import annotations

import html
import json
import secrets
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.httpd import serve_in_thread

CLIENT_ID = "civic-test-client"
CLIENT_SECRET = "civic-test-secret-0123456789abcdef"
STAFF_CLIENT_ID = "civic-test-staff-client"
STAFF_CLIENT_SECRET = "civic-test-staff-secret-0123456789abcdef"
CLIENTS = {CLIENT_ID: CLIENT_SECRET, STAFF_CLIENT_ID: STAFF_CLIENT_SECRET}

# An agent as ProConnect describes one (its e-mail vouched for by the agent's administration).
AGENT = {
    "sub": "pc-7f3e2a91c4b84d0e9a6b5c3d2e1f0a9b",
    "given_name": "Claire",
    "usual_name": "Martin",
    "email": "agent@example.org",
    "email_verified": True,
    "siret": "21750001600019",
}

MARIE = {
    "sub": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2v1",
    "given_name": "Marie Hélène",
    "family_name": "Dupont",
    "preferred_username": "",
    "birthdate": "1984-03-12",
    "birthplace": "75056",
    "birthcountry": "99100",
    "gender": "female",
    "email": "marie.dupont@example.org",
}


class _Key:
    def __init__(self, alg: str) -> None:
        self.alg = alg
        self.kid = secrets.token_hex(8)
        self.private = (
            ec.generate_private_key(ec.SECP256R1())
            if alg == "ES256"
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )

    def public_jwk(self) -> dict[str, Any]:
        algorithm = (
            jwt.algorithms.ECAlgorithm if self.alg == "ES256" else jwt.algorithms.RSAAlgorithm
        )
        jwk = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


class LocalProvider:
    def __init__(self, *, alg: str = "ES256") -> None:
        self.alg = alg
        self.keys = [_Key(alg)]
        self.identity: dict[str, Any] = dict(MARIE)
        self.fault = ""
        self.acr = "eidas1"
        self.amr: list[str] = ["pwd"]
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.interactions: dict[str, dict[str, str]] = {}
        self.ended_sessions: list[dict[str, str]] = []
        self.jwks_reads = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LocalProvider:
        serve_in_thread(self._server)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def rotate_key(self, *, same_kid: bool = False) -> None:
        """A new signing key replaces the old one (a relying party must re-read the JWKS); with
        `same_kid`, under the old key's `kid` (only the signature check tells them apart)."""
        key = _Key(self.alg)
        if same_kid:
            key.kid = self.keys[-1].kid
        self.keys = [key]

    def settings(self) -> dict[str, Any]:
        """The toolkit's settings for this provider (override_settings)."""
        return {
            "OIDC_ENABLED": True,
            "OIDC_ISSUER": self.issuer,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ACR_VALUES": "eidas1",
        }

    def staff_settings(self, **extra: Any) -> dict[str, Any]:
        """The toolkit's settings for this provider as the staff single sign-on."""
        return {
            "STAFF_OIDC_ENABLED": True,
            "STAFF_OIDC_ISSUER": self.issuer,
            "STAFF_OIDC_RP_CLIENT_ID": STAFF_CLIENT_ID,
            "STAFF_OIDC_RP_CLIENT_SECRET": STAFF_CLIENT_SECRET,
            "STAFF_OIDC_ACR_VALUES": "eidas1",
            **extra,
        }

    # --- what the endpoints sign -----------------------------------------------------------
    def sign(self, claims: dict[str, Any], *, forged: bool = False) -> str:
        """Signed by the published key; `forged`: by a key the JWKS never held, under its `kid`."""
        key = self.keys[-1]
        signer = _Key(self.alg).private if forged else key.private
        return jwt.encode(claims, signer, algorithm=key.alg, headers={"kid": key.kid})

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/session/end",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "userinfo_signing_alg_values_supported": ["ES256", "RS256"],
            "acr_values_supported": ["eidas1"],
        }

    def issue_code(self, request: dict[str, str]) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = {**request, "identity": dict(self.identity), "fault": self.fault}
        return code

    def tokens(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        client = form.get("client_id", "")
        if client not in CLIENTS or form.get("client_secret") != CLIENTS[client]:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)  # a code serves once
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        if grant["client_id"] != client:
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        fault = grant["fault"]
        claims = {
            "iss": self.issuer,
            "aud": client,
            "sub": grant["identity"]["sub"],
            "iat": now - (3600 if fault == "expired" else 0),
            "exp": now + (-1800 if fault == "expired" else 60),
            "nonce": "x" * 32 if fault == "wrong_nonce" else grant.get("nonce", ""),
            "acr": "eidas2" if fault == "bad_acr" else self.acr,
            "amr": list(self.amr),
            "auth_time": now,
        }
        access = secrets.token_urlsafe(24)
        self.access_tokens[access] = grant
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 60,
            "id_token": self.sign(claims, forged=fault == "forged_id_token"),
        }

    def userinfo(self, access_token: str) -> tuple[int, str, str]:
        grant = self.access_tokens.get(access_token)
        if grant is None:
            return 401, "application/json", json.dumps({"error": "invalid_token"})
        identity = {k: v for k, v in grant["identity"].items() if v != ""}
        if grant["fault"] == "unsigned_userinfo":
            return 200, "application/json", json.dumps(identity)
        claims = {
            "iss": self.issuer,
            "aud": grant["client_id"],
            "iat": int(time.time()),
            **identity,
        }
        return 200, "application/jwt", self.sign(claims, forged=grant["fault"] == "forged_userinfo")

    def end_session(self, query: dict[str, str]) -> str | None:
        """Where to send the browser after ending the session, or None for a bad request."""
        try:
            jwt.decode(
                query.get("id_token_hint", ""),
                key=self.keys[-1].private.public_key(),
                algorithms=[self.alg],
                audience=list(CLIENTS),
                options={"verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        self.ended_sessions.append(query)
        back = query.get("post_logout_redirect_uri", "")
        return f"{back}?{urlencode({'state': query.get('state', '')})}"


_CONSENT = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Fournisseur de test</title></head>
<body><main><h1>Fournisseur d'identité de test</h1><p>Vous allez partager : {who}</p>
<form method="post" action="/authorize/decision"><input type="hidden" name="interaction" value="{interaction}">
<button type="submit" name="decision" value="accept">Continuer</button>
<button type="submit" name="decision" value="deny">Annuler</button></form></main></body></html>"""


def _handler(provider: LocalProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: str, content_type: str = "application/json") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            return {k: v[0] for k, v in parse_qs(raw).items()}

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._send(200, json.dumps(provider.discovery()))
            elif url.path == "/jwks":
                provider.jwks_reads += 1
                self._send(200, json.dumps({"keys": [k.public_jwk() for k in provider.keys]}))
            elif url.path == "/authorize":
                self._authorize(query)
            elif url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                status, content_type, body = provider.userinfo(token)
                self._send(status, body, content_type)
            elif url.path == "/session/end":
                target = provider.end_session(query)
                if target is None:
                    self._send(400, json.dumps({"error": "invalid_request"}))
                else:
                    self._redirect(target)
            else:
                self._send(404, json.dumps({"error": "not_found"}))

        def _authorize(self, query: dict[str, str]) -> None:
            if query.get("client_id") not in CLIENTS or query.get("response_type") != "code":
                self._send(400, json.dumps({"error": "invalid_request"}))
                return
            interaction = secrets.token_urlsafe(16)
            provider.interactions[interaction] = query
            family = provider.identity.get("family_name") or provider.identity.get("usual_name")
            who = f"{provider.identity['given_name']} {family}"
            page = _CONSENT.format(who=html.escape(who), interaction=interaction)
            self._send(200, page, "text/html; charset=utf-8")

        def do_POST(self) -> None:
            form = self._form()
            if self.path == "/token":
                status, body = provider.tokens(form)
                self._send(status, json.dumps(body))
            elif self.path == "/authorize/decision":
                request = provider.interactions.pop(form.get("interaction", ""), None)
                if request is None:
                    self._send(400, json.dumps({"error": "invalid_request"}))
                    return
                back = request["redirect_uri"]
                if form.get("decision") == "accept":
                    params = {"code": provider.issue_code(request), "state": request["state"]}
                else:
                    params = {
                        "error": "access_denied",
                        "error_description": "User auth aborted",
                        "state": request["state"],
                    }
                self._redirect(f"{back}?{urlencode(params)}")
            else:
                self._send(404, json.dumps({"error": "not_found"}))

    return Handler


@pytest.fixture
def oidc_provider(settings: Any) -> Iterator[LocalProvider]:
    """A running provider, and the toolkit's settings pointing at it (sign-in enabled)."""
    from civic.oidc import provider as kept

    running = LocalProvider().start()
    for name, value in running.settings().items():
        setattr(settings, name, value)
    kept.forget()
    yield running
    running.stop()
    kept.forget()

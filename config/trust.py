"""Settings of the trust hardening (docs/threat-model.md), read from the environment like the rest
of `config/settings.py`, which imports them all."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

# Trust hardening: accounts
# An API token lives this many days, then the client logs in again (check civic.W030 above 90).
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)
# One budget for every identity-match attempt, web form and API alike (civic.ratelimits), per
# account and per client address, counted in the shared cache.
THROTTLE_VERIFICATION = env_str("THROTTLE_VERIFICATION", "10/hour")
THROTTLE_VERIFICATION_ADDRESS = env_str("THROTTLE_VERIFICATION_ADDRESS", "30/hour")

# Staff second factor (civic/second_factor.py): TOTP with recovery codes, and WebAuthn security keys
# where the browser offers them. A staff account holds no role until one is enrolled.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Civic")
MFA_RECOVERY_CODE_COUNT = 10
# Staff addresses are set by the administrator, not proven by a link: enrolment must not wait on it.
MFA_ALLOW_UNVERIFIED_EMAIL = True

# Trust hardening: register
# A register import that would strike off more than this share of the roll (per mille of the active
# entries of the kinds in the file) is refused unless confirmed: a truncated file must not empty it.
REGISTER_STRIKE_OFF_MAX_PERMILLE = env_int("REGISTER_STRIKE_OFF_MAX_PERMILLE", 50, minimum=0)

# Trust hardening: audit
# The audit chain's HMAC key: outside the database, so whoever writes the table cannot recompute the
# links after an edit. Unset, new entries are plain SHA-256 (a deploy check warns).
AUDIT_CHAIN_KEY = env_str("AUDIT_CHAIN_KEY", "")
# Ed25519 private key (32-byte seed, hex) that signs each published head; its public key is served
# with the heads and given to the auditors. Unset, nothing is published (a deploy check warns).
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY", "")
# The append-only file of signed heads (one JSON line each), kept where the database operator cannot
# write, served at /api/v1/audit/heads/.
AUDIT_HEADS_FILE = env_str("AUDIT_HEADS_FILE", "")
# Every published head is also e-mailed to these addresses (the city's auditors).
AUDITORS_EMAILS = env_list("AUDITORS_EMAILS", [])

# Trust hardening: secrecy
# A voter checks a receipt only within this many minutes of casting it, and this many times at
# most (Estonia's i-voting check): afterwards a receipt held by a coercer proves nothing.
RECEIPT_CHECK_MINUTES = env_int("RECEIPT_CHECK_MINUTES", 30, minimum=1)
RECEIPT_CHECK_LIMIT = env_int("RECEIPT_CHECK_LIMIT", 3, minimum=1)

# Trust hardening: sortition
# The drand relays the draw reads its public round from (League of Entropy, quicknet chain): every
# one must serve the same round, or the draw waits. Seconds each relay has to answer.
ASSEMBLY_DRAND_RELAYS = env_list(
    "ASSEMBLY_DRAND_RELAYS",
    [
        "https://api.drand.sh",
        "https://api2.drand.sh",
        "https://api3.drand.sh",
        "https://drand.cloudflare.com",
    ],
)
ASSEMBLY_DRAND_TIMEOUT = env_int("ASSEMBLY_DRAND_TIMEOUT", 10, minimum=1)

# Trust hardening: web
# How many reverse proxies stand in front of the web server, each appending its peer to
# X-Forwarded-For: 0 reads REMOTE_ADDR; n reads the n-th address from the right (civic/client_ip.py).
# Rate limits, throttles and every record of a client's address use it. Check civic.W090.
if "NUM_PROXIES" in os.environ:
    raise ImproperlyConfigured("NUM_PROXIES is now TRUSTED_PROXY_COUNT: rename the variable")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
TRUSTED_PROXY_COUNT_EXPLICIT = "TRUSTED_PROXY_COUNT" in os.environ
# Webhook receivers: HTTPS only unless WEBHOOK_ALLOW_HTTP (tests, a local demo); never a loopback,
# private, link-local, multicast or reserved address unless the host name is listed here.
if "WEBHOOK_ALLOW_PRIVATE_DESTINATIONS" in os.environ:
    raise ImproperlyConfigured(
        "WEBHOOK_ALLOW_PRIVATE_DESTINATIONS is gone: list the hosts in WEBHOOK_ALLOWED_PRIVATE_HOSTS"
    )
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOWED_PRIVATE_HOSTS = [h.lower() for h in env_list("WEBHOOK_ALLOWED_PRIVATE_HOSTS", [])]
# JSON bodies of the API: at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413) and API_JSON_MAX_DEPTH
# levels of nesting (400), chunked or not, before any view runs (civic/api/parsers.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32, minimum=2)
# Petitions moderation (docs/civic-rules.md, "Moderation"): the law sets no longest extension of a
# collection, so the city does; extensions of one initiative add up to at most this many days.
PETITIONS_EXTENSION_MAX_DAYS = env_int("PETITIONS_EXTENSION_MAX_DAYS", 90, minimum=1)
# Documents of the city's answers: checked on their content (PDF, ODT, DOCX, PNG, JPEG), at most
# this many bytes each (petitions/documents.py).
PETITIONS_DOCUMENT_MAX_BYTES = env_int("PETITIONS_DOCUMENT_MAX_BYTES", 10_485_760, minimum=1024)

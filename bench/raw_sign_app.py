"""The raw ceiling of W1: a bare WSGI application doing what a signature costs the database and the
cache, with no framework. Not part of the toolkit; `petitions_sign_ceiling.py` serves it with the
same server and settings as the toolkit and drives both with the same requests.

Per request, the same three round trips as the toolkit's signing path: the token lookup (the
toolkit's own SQL), the rate-limit script on Redis, the signing statement (the toolkit's own CTE),
each prepared on the server. No eligibility rules, no error handling beyond what the benchmark's
requests need, no security headers: the point is what is left when everything else is taken away.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis

CONF = json.loads(Path(os.environ["RAW_SIGN_CONF"]).read_text())
PATH = re.compile(r"/api/v1/initiatives/([0-9]{1,18})/signatures/\Z")
HIT = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {current, tonumber(redis.call('GET', KEYS[2]) or '0')}
"""
_local = threading.local()
_script: list[Any] = []


def _connection() -> psycopg.Connection[Any]:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = psycopg.connect(CONF["database_url"], autocommit=True, prepare_threshold=0)
        _local.conn = conn
    return conn


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    found = PATH.match(environ["PATH_INFO"])
    if found is None or environ["REQUEST_METHOD"] != "POST":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b""]
    initiative = int(found[1])
    _keyword, _sep, key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    conn = _connection()
    row = conn.execute(CONF["token_sql"], [key]).fetchone()
    if row is None:
        start_response("403 Forbidden", [("Content-Type", "application/json")])
        return [b"{}"]
    user, entry = row[CONF["user_id"]], row[CONF["entry_id"]]
    if not _script:
        _script.append(redis.Redis.from_url(CONF["redis_url"]).register_script(HIT))
    bucket = int(time.time() // 60)
    _script[0](keys=[f"rl:sign:{user}:{bucket}", f"rl:sign:{user}:{bucket - 1}"], args=[121])
    now = datetime.now(UTC)
    slot = hash((os.getpid(), threading.get_ident())) % CONF["slots"]
    conn.execute(
        CONF["sign_sql"],
        [
            initiative,
            entry,
            row[CONF["identity_hash"]],
            "online",
            now,
            1,
            CONF["facts"],
            row[CONF["district_id"]],
            None,
            None,
            environ.get("REMOTE_ADDR") or None,
            initiative,
            now,
            entry,
            initiative,
            slot,
        ],
    ).fetchone()
    body = json.dumps({"initiative": initiative, "signed": True, "tracks": CONF["tracks"]}).encode()
    start_response(
        "201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]

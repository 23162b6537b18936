"""Local drand relays for the tests (the machine may not reach the League of Entropy): a threaded
HTTP server answering `/<relay>/<chain hash>/public/<round>` as drand's HTTP API does.

A round is served from `recorded` when it holds it (a real round, recorded from api.drand.sh), or
else synthesised: a signature derived from the round number and its randomness, the SHA-256 of the
signature, as drand's unchained rounds are (not signed by the League of Entropy: the draw does not
check BLS signatures, see the threat model). `lying` lists relays that serve another randomness,
`down` relays that answer 503.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.httpd import serve_in_thread

RECORDED_ROUND = json.loads(
    (Path(__file__).parent / "fixtures" / "drand_quicknet_round_123.json").read_text()
)
_PATH = re.compile(r"^/(?P<relay>[\w-]+)/(?P<chain>[0-9a-f]{64})/public/(?P<round>\d+)$")


def synthetic_round(number: int, salt: str = "") -> dict[str, Any]:
    signature = (hashlib.sha256(f"test round {number}{salt}".encode()).hexdigest() * 2)[:96]
    randomness = hashlib.sha256(bytes.fromhex(signature)).hexdigest()
    return {"round": number, "randomness": randomness, "signature": signature}


@dataclass
class Relays:
    base: str
    recorded: dict[int, dict[str, Any]] = field(default_factory=dict)
    lying: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)

    def urls(self, *names: str) -> list[str]:
        return [f"{self.base}/{name}" for name in names]

    def round(self, relay: str, number: int) -> dict[str, Any]:
        if relay in self.lying:
            return synthetic_round(number, salt=relay)
        return self.recorded.get(number) or synthetic_round(number)


@contextmanager
def drand_relays() -> Iterator[Relays]:
    relays = Relays(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            relays.requests.append(self.path)
            found = _PATH.match(self.path)
            if found is None or found["relay"] in relays.down:
                self.send_error(404 if found is None else 503)
                return
            body = json.dumps(relays.round(found["relay"], int(found["round"]))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    relays.base = f"http://127.0.0.1:{server.server_address[1]}"
    serve_in_thread(server)
    try:
        yield relays
    finally:
        server.shutdown()
        server.server_close()

"""The small HTTP servers the tests run beside the application (an identity provider, webhook
receivers, a randomness beacon's relays), each served from a thread."""

from __future__ import annotations

import threading
from socketserver import BaseServer


def serve_in_thread(server: BaseServer) -> None:
    """Serve until `server.shutdown()`. The loop looks for a shutdown every 50 ms instead of
    socketserver's default half second, which each test's teardown waited out: about 0.5 s a test,
    27 s of the OpenID Connect and staff sign-on tests' teardowns in a whole run."""
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()

"""Django's PostgreSQL backend, with a cheaper health check for persistent connections, and
connections that prepare the statements of civic.perf.prepared_cursor() on first use.

With `CONN_HEALTH_CHECKS`, Django sends `SELECT 1` before the first query of every request that
reuses a connection: one more round trip on each signature and each cast (four instead of three
with the rate limit's). Here a connection that served the previous request without an error less
than `HEALTH_CHECK_GRACE` seconds ago is trusted without that round trip; one idle for longer is
checked as before (what health checks are for: a connection the server or a firewall dropped while
idle). A connection that breaks within the grace fails that one request, as an in-flight request
fails when the database restarts, and Django then discards it at the end of the request.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    HEALTH_CHECK_GRACE = 1.0  # seconds
    served_at: float | None = None  # when this connection last ended a request cleanly
    health_check_done: bool  # Django's own attribute, unknown to the stubs

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        # Prepare on first use. Django's own cursors bind on the client and never prepare; the only
        # server-binding cursors are civic.perf.prepared_cursor()'s, off with
        # DATABASE_PREPARED_STATEMENTS=false.
        params["prepare_threshold"] = 0
        return params

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and not self.health_check_done
            and self.served_at is not None
            and time.monotonic() - self.served_at < self.HEALTH_CHECK_GRACE
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self) -> None:
        # Called when a request starts and when it ends. `health_check_done` is true only at the
        # end of a request that used the connection (it is reset here for the next request).
        served = self.connection is not None and self.health_check_done and not self.errors_occurred
        super().close_if_unusable_or_obsolete()
        if served and self.connection is not None:
            self.served_at = time.monotonic()

    def close(self) -> None:
        self.served_at = None
        super().close()

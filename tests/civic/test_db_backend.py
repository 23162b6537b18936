"""civic.perf.postgresql: the health check of a persistent connection is skipped only right after
the connection served a request cleanly; an idle or broken connection is still checked or dropped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, connection, connections

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A connection of its own (outside the test's transaction), persistent and health-checked as
    in production, counting its health checks."""
    settings_dict = {**connection.settings_dict, "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}
    wrapper = type(connections["default"])(settings_dict, alias="probe")
    wrapper.checks = 0
    is_usable = wrapper.is_usable

    def counting() -> bool:
        wrapper.checks += 1
        return is_usable()

    monkeypatch.setattr(wrapper, "is_usable", counting)
    yield wrapper
    wrapper.close()


def _request(wrapper) -> int:  # type: ignore[no-untyped-def]
    # What Django's request_started and request_finished signals do around a request.
    wrapper.close_if_unusable_or_obsolete()
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 41 + 1")
            return int(cursor.fetchone()[0])
    finally:
        wrapper.close_if_unusable_or_obsolete()


def _kill(wrapper) -> int:  # type: ignore[no-untyped-def]
    pid = wrapper.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    return int(pid)


def test_back_to_back_requests_skip_the_health_check(probe):
    assert [_request(probe) for _ in range(5)] == [42] * 5
    assert probe.health_check_enabled
    assert probe.checks == 0
    assert probe.served_at is not None


def test_an_idle_connection_is_checked_and_a_dropped_one_replaced(probe):
    assert _request(probe) == 42
    probe.served_at -= probe.HEALTH_CHECK_GRACE + 1  # idle for longer than the grace
    killed = _kill(probe)
    assert _request(probe) == 42  # the check found it dead: a new connection, no error
    assert probe.checks == 1
    assert probe.connection.info.backend_pid != killed


def test_a_connection_dropped_within_the_grace_fails_one_request_then_is_replaced(probe):
    assert _request(probe) == 42
    killed = _kill(probe)
    with pytest.raises(DatabaseError):
        _request(probe)
    assert probe.connection is None  # discarded at the end of the failed request
    assert _request(probe) == 42
    assert probe.connection.info.backend_pid != killed


def test_a_request_that_did_not_use_the_connection_does_not_refresh_it(probe):
    assert _request(probe) == 42
    served = probe.served_at
    probe.close_if_unusable_or_obsolete()  # a request without a query: start...
    probe.close_if_unusable_or_obsolete()  # ...and end
    assert probe.served_at == served

"""The browser suite's own machinery: the shared seeded world is put back whole before each test,
and a browser context keeps what it downloaded (nothing turns its HTTP cache off)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.signals import request_started

from assembly.models import Member
from civic.models import Notification, User
from petitions.models import Initiative, Signature
from referendums.models import Ballot
from tests.e2e import world_snapshot
from tests.e2e.world_snapshot import shared_world


def _census() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "notifications": Notification.objects.count(),
        "initiatives": Initiative.objects.count(),
        "signatures": Signature.objects.count(),
        "ballots": Ballot.objects.count(),
        "members": Member.objects.count(),
    }


def _assert_in_database(world: Any) -> None:
    """Every account and instrument object of the world the test got is a row of the database."""
    for role, user in world.users.items():
        assert User.objects.filter(pk=user.pk, email=user.email).exists(), role
    seeded = world.instruments
    assert Initiative.objects.filter(
        pk=seeded.initiative.pk, title=seeded.initiative.title
    ).exists()
    assert Member.objects.filter(pk__in=[m.pk for m in seeded.members]).count() == len(
        seeded.members
    )


def test_the_shared_world_a_test_gets_is_in_the_database(world: Any) -> None:
    """Before the tests below take snapshots of their own; the last test checks again after."""
    _assert_in_database(world)


@pytest.fixture
def fresh_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test takes its own snapshots, in schemas of its own, instead of replacing those the
    other tests of the process share."""
    monkeypatch.setattr(world_snapshot, "_snapshots", {})
    monkeypatch.setattr(world_snapshot, "SCHEMA_PREFIX", "harness_world")


def test_a_world_put_back_is_the_world_seeded_whatever_the_test_before_did(
    live_server: Any, fresh_snapshots: None
) -> None:
    seeded = shared_world(instruments=True)
    before = _census()
    assert before["signatures"] == 1 and before["ballots"] == 1  # what seed_instruments makes
    # What a test does to the world: a signature withdrawn, an account renamed, a row added.
    Signature.objects.all().delete()
    User.objects.filter(pk=seeded.users["resident"].pk).update(display_name="Renamed")
    Notification.objects.create(recipient=seeded.users["resident"], kind="x", subject="s", body="b")
    again = shared_world_after_flush()
    assert _census() == before
    assert again.users["resident"].pk == seeded.users["resident"].pk
    assert User.objects.get(pk=seeded.users["resident"].pk).display_name != "Renamed"
    assert again.instruments.signed_initiative.pk == seeded.instruments.signed_initiative.pk
    # Each test gets its own copies of the objects: changing one does not change the next's.
    again.users["resident"].display_name = "Changed in memory"
    assert shared_world_after_flush().users["resident"].display_name != "Changed in memory"


def shared_world_after_flush() -> Any:
    """The next test's world, after the flush that ends a transactional test (as Django's
    TransactionTestCase calls it: the sequences go on)."""
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
    return shared_world(instruments=True)


def test_an_old_world_is_seeded_again(
    live_server: Any, fresh_snapshots: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = shared_world(instruments=True)
    taken = world_snapshot._snapshots[True].taken
    monkeypatch.setattr(world_snapshot, "MAX_AGE_SECONDS", -1.0)
    second = shared_world_after_flush()
    assert world_snapshot._snapshots[True].taken > taken
    # Seeded anew: new rows, so new ids.
    assert second.users["resident"].pk != first.users["resident"].pk


@pytest.fixture
def static_requests() -> Iterator[list[str]]:
    asked: list[str] = []

    def record(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
        path = (environ or {}).get("PATH_INFO", "")
        if path.startswith("/static/"):
            asked.append(path)

    request_started.connect(record, dispatch_uid="harness-static-requests")
    yield asked
    request_started.disconnect(dispatch_uid="harness-static-requests")


def test_a_browser_context_downloads_the_style_sheet_once_for_several_pages(
    new_context: Any, world: Any, static_requests: list[str]
) -> None:
    _assert_in_database(world)  # the snapshots the tests above took left the shared one alone
    page = new_context().new_page()
    page.goto("/")
    assert any(path.endswith("/site.css") for path in static_requests)
    first = len(static_requests)
    page.goto("/initiatives/")
    page.goto("/referendums/")
    assert not [p for p in static_requests[first:] if p.endswith("/site.css")], static_requests

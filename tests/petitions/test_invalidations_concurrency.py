"""Real threads on PostgreSQL: an invalidation (and its undo) racing new signatures and
withdrawals leaves the published count exact and every row counted once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from petitions import services
from petitions.models import InitiativeCount, Invalidation, InvalidationState, Signature
from petitions.services import invalidations
from tests.petitions.factories import InitiativeFactory
from tests.petitions.test_concurrency import _residents

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"),
]


def _published(initiative_id: int) -> int:
    return InitiativeCount.objects.get(initiative_id=initiative_id, track=-1).count


def _exact(initiative_id: int, invalidation: Invalidation) -> None:
    services.counts_tick()
    counted = Signature.objects.filter(initiative_id=initiative_id, invalidation__isnull=True)
    assert _published(initiative_id) == counted.count()
    assert services.counts_recount() == []
    invalidation.refresh_from_db()
    held = Signature.objects.filter(invalidation=invalidation).count()
    assert invalidation.removed_online == held


def test_invalidation_and_undo_racing_signers_and_withdrawals_stay_exact(monkeypatch):
    monkeypatch.setattr(invalidations, "CHUNK", 7)  # many chunks, so the race interleaves
    initiative = InitiativeFactory(collecting=True)
    residents = _residents(360)
    early, late, more = residents[:160], residents[160:260], residents[260:]
    for i, user in enumerate(early):
        services.signature_sign(
            initiative_id=initiative.pk, user=user, ip=f"10.1.{i % 2}.{i % 250}"
        )
    moderator_id = initiative.initiator_id
    invalidation = Invalidation.objects.create(
        initiative=initiative,
        criteria={"ip": "10.1.0.0/16"},
        reason="automated",
        matched=160,
        created_by_id=moderator_id,
        created_at=timezone.now(),
    )
    start = threading.Barrier(3)

    def signers(users, prefix: str) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            for i, user in enumerate(users):
                services.signature_sign(
                    initiative_id=initiative.pk, user=user, ip=f"{prefix}.{i % 250}"
                )
        finally:
            connection.close()

    def withdrawals(users) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            for user in users:
                services.signature_withdraw(initiative_id=initiative.pk, user=user)
        finally:
            connection.close()

    def job() -> int:
        try:
            start.wait()
            return services.invalidation_run(invalidation_id=invalidation.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(3) as pool:
        runs = [
            pool.submit(signers, late, "10.1.9"),  # in the range, arriving mid-job
            pool.submit(withdrawals, early[::5]),  # some of the targets withdraw meanwhile
            pool.submit(job),
        ]
        removed = runs[2].result()
        for run in runs:
            run.result()
    invalidation.refresh_from_db()
    assert invalidation.state == InvalidationState.DONE
    # A target that withdraws after the job marked it leaves the invalidation's tally.
    assert 0 < invalidation.removed_online <= removed
    _exact(initiative.pk, invalidation)
    held = invalidation.removed_online

    # As `invalidation_undo_request` leaves it (its job is run here, in a thread).
    Invalidation.objects.filter(pk=invalidation.pk).update(
        state=InvalidationState.UNDOING, matched=held, progress=0
    )
    start = threading.Barrier(2)

    def undo() -> int:
        try:
            start.wait()
            return services.invalidation_undo_run(invalidation_id=invalidation.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        signing = pool.submit(signers, more, "10.1.8")
        restored = pool.submit(undo).result()
        signing.result()
    assert restored == held
    invalidation.refresh_from_db()
    assert invalidation.state == InvalidationState.UNDONE
    _exact(initiative.pk, invalidation)
    # Every withdrawal holds, whether it came before, during or after the job marked the row.
    assert _published(initiative.pk) == 360 - len(early[::5])

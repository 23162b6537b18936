"""On PostgreSQL: signers, withdrawers and folds at once; the aggregates end exact."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from dashboards.models import TOTAL_TRACK, SignatureDistrictCount, SignatureHourly
from dashboards.services import aggregates_fold
from petitions import services
from petitions.models import Signature
from tests.dashboards.factories import district, tick
from tests.factories import ResidentFactory
from tests.petitions.factories import InitiativeFactory


@pytest.mark.django_db(transaction=True)
def test_folds_racing_signers_and_withdrawals_end_with_exact_aggregates():
    initiative = InitiativeFactory(collecting=True)
    place = district("centre")
    groups = [
        [ResidentFactory(register_entry__district=place) for _ in range(12)] for _ in range(4)
    ]
    errors: list[BaseException] = []
    stop = threading.Event()

    def signer(users):  # type: ignore[no-untyped-def]
        try:
            for i, user in enumerate(users):
                services.signature_sign(initiative_id=initiative.pk, user=user)
                if i % 4 == 0:
                    services.signature_withdraw(initiative_id=initiative.pk, user=user)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def folder():  # type: ignore[no-untyped-def]
        try:
            while not stop.is_set():
                services.counts_tick()
                aggregates_fold()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=signer, args=(g,)) for g in groups]
    fold_thread = threading.Thread(target=folder)
    fold_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    fold_thread.join()
    assert errors == []
    tick()
    exact = Signature.objects.filter(initiative=initiative).count()
    assert exact == 4 * 9
    hourly = SignatureHourly.objects.filter(initiative_id=initiative.pk, track=TOTAL_TRACK)
    assert hourly.aggregate(n=Sum("count"))["n"] == exact
    districts = SignatureDistrictCount.objects.filter(initiative_id=initiative.pk)
    assert districts.aggregate(n=Sum("count"))["n"] == exact


@pytest.mark.django_db(transaction=True)
def test_signers_committing_during_folds_never_cost_a_repair(monkeypatch):
    from dashboards.services import fold

    initiative = InitiativeFactory(collecting=True)
    place = district("centre")
    groups = [
        [ResidentFactory(register_entry__district=place) for _ in range(15)] for _ in range(4)
    ]
    repairs: list[int] = []
    original = fold._repair
    monkeypatch.setattr(fold, "_repair", lambda i, d: (repairs.append(i), original(i, d)))
    errors: list[BaseException] = []
    stop = threading.Event()

    def signer(users):  # type: ignore[no-untyped-def]
        try:
            for user in users:
                services.signature_sign(initiative_id=initiative.pk, user=user)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def folder():  # type: ignore[no-untyped-def]
        try:
            while not stop.is_set():
                services.counts_tick()
                aggregates_fold()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=signer, args=(g,)) for g in groups]
    fold_thread = threading.Thread(target=folder)
    fold_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    fold_thread.join()
    assert errors == []
    tick()
    assert repairs == []  # one snapshot per fold: no signer ever looks like a mismatch
    hourly = SignatureHourly.objects.filter(initiative_id=initiative.pk, track=TOTAL_TRACK)
    assert hourly.aggregate(n=Sum("count"))["n"] == 60

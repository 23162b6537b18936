"""Real threads on PostgreSQL: one signature per person, exact counts, crossings acted on once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from civic.identity import identity_hash
from civic.models import AuditEntry, District, EntryKind, RegisterEntry, User, VerificationMethod
from petitions import services
from petitions.models import InitiativeCount, Obligation, Signature, TrackRung
from tests.factories import ResidentFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory
from tests.threads import answered, concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # An exception in any worker thread (a deadlock, a server error) fails the test.
    pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"),
]


HTTP_ROUNDS = 20


def _in_thread(fn):  # type: ignore[no-untyped-def]
    def run(*args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def _residents(n: int) -> list[User]:
    district = District.objects.create(code="conc", name="Concurrence")
    entries = RegisterEntry.objects.bulk_create(
        RegisterEntry(
            ref=f"C-{i:06d}",
            kind=EntryKind.ELECTOR,
            last_name=f"Nom{i}",
            first_names="Prénom",
            birth_date=date(1980, 1, 1),
            address="1 rue",
            district=district,
            roll_number=f"CR{i:07d}",
            identity_hash=identity_hash(
                last_name=f"Nom{i}", first_names="Prénom", birth_date=date(1980, 1, 1)
            ),
        )
        for i in range(n)
    )
    password = make_password(None)
    now = timezone.now()
    return User.objects.bulk_create(
        User(
            email=f"c{i}@example.org",
            password=password,
            register_entry=entry,
            verified_at=now,
            verification_method=VerificationMethod.MATCH,
        )
        for i, entry in enumerate(entries)
    )


def test_200_concurrent_signing_requests_by_one_resident_give_one_signature():
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    resident = ResidentFactory()

    def sign(_i: int) -> list[str]:
        user = User.objects.get(pk=resident.pk)
        return services.signature_sign(initiative_id=initiative.pk, user=user).tracks

    answers = answered(concurrently(200, sign, threads=32))
    assert all(a == [CHARTER, LEGAL] for a in answers)  # the same answer every time
    assert Signature.objects.filter(initiative=initiative).count() == 1
    services.counts_fold()
    counts = dict(
        InitiativeCount.objects.filter(initiative=initiative).values_list("track", "count")
    )
    assert counts == {-1: 1, 0: 1, 1: 1}


@pytest.mark.long
def test_1000_distinct_concurrent_signers_give_an_exact_count_after_the_counting_step():
    initiative = InitiativeFactory(collecting=True)
    users = _residents(1000)

    def sign(i: int) -> None:
        services.signature_sign(initiative_id=initiative.pk, user=users[i])

    answered(concurrently(len(users), sign, threads=24))
    assert Signature.objects.filter(initiative=initiative).count() == 1000
    services.counts_fold()
    counts = dict(
        InitiativeCount.objects.filter(initiative=initiative).values_list("track", "count")
    )
    assert counts == {-1: 1000, 0: 1000}
    assert services.counts_recount() == []


def test_folding_while_signers_sign_loses_and_doubles_nothing():
    initiative = InitiativeFactory(collecting=True)
    users = _residents(400)
    done = threading.Event()
    folded = threading.Condition()
    folds = [0]
    alive = threading.Thread.is_alive

    def sign(i: int) -> None:
        # 16 threads: thread t signs i = t, t + 16... so the signers sign in waves of 16, wave k
        # once the folders have folded k times: 25 waves, each written while a fold and a recount
        # run (a signature takes far less than a fold).
        with folded:
            # A folder that died ends every wait: the test fails at once, not after each wave.
            folded.wait_for(lambda: folds[0] >= i // 16 or not all(map(alive, folders)), 60)
            assert folds[0] >= i // 16, "no fold"
        services.signature_sign(initiative_id=initiative.pk, user=users[i])

    @_in_thread
    def fold() -> None:
        try:
            while not done.is_set():
                services.counts_fold()
                services.counts_recount(initiative_ids=[initiative.pk])
                with folded:
                    folds[0] += 1
                    folded.notify_all()
        finally:
            with folded:  # wakes the waiting signers, who see the folder gone
                folded.notify_all()

    folders = [threading.Thread(target=fold) for _ in range(2)]
    for t in folders:
        t.start()
    try:
        answered(concurrently(len(users), sign, threads=16))
    finally:
        done.set()  # a failing signer must not leave the folders running
        for t in folders:
            t.join()
    services.counts_fold()
    assert InitiativeCount.objects.get(initiative=initiative, track=-1).count == 400
    # A recount racing signers never "repairs" a count that was right.
    assert not AuditEntry.objects.filter(verb="initiative.count_repaired").exists()


def test_a_rung_crossing_is_acted_on_once_with_two_workers_racing():
    for _round in range(5):
        initiative = InitiativeFactory(collecting=True)
        rungs = TrackRung.objects.filter(track__initiative=initiative).update(threshold=1)
        assert rungs == 4  # the shipped charter ladder
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
        services.counts_fold()

        def evaluate(_i: int, pk: int = initiative.pk) -> list[int]:
            return services.rungs_evaluate(initiative_ids=[pk])

        results = answered(concurrently(2, evaluate))
        created = results[0] + results[1]
        # The workers may share the rungs, never act on one twice.
        assert len(created) == len(set(created)) == rungs
        assert Obligation.objects.filter(initiative=initiative).count() == rungs
        assert (
            AuditEntry.objects.filter(
                verb="initiative.rung_reached", target_id=str(initiative.pk)
            ).count()
            == rungs
        )


def test_two_workers_closing_the_same_initiative_close_it_once(freeze):
    initiative = InitiativeFactory(collecting=True)
    InitiativeFactory._meta.model.objects.filter(pk=initiative.pk).update(
        closes_at=timezone.now() + timezone.timedelta(microseconds=1)
    )

    def close(_i: int) -> bool:
        return services.initiative_close(initiative_id=initiative.pk)

    import time

    time.sleep(
        0.01
    )  # let the closing instant pass on the real clock (threads do not share a frozen one)
    results = answered(concurrently(4, close))
    assert results.count(True) == 1
    assert (
        AuditEntry.objects.filter(verb="initiative.closed", target_id=str(initiative.pk)).count()
        == 1
    )


@pytest.mark.long
def test_200_concurrent_signing_requests_over_http_give_one_signature_and_no_server_error(
    live_server, monkeypatch
):
    import http.client
    import json
    from urllib.parse import urlsplit

    from rest_framework.throttling import SimpleRateThrottle

    from tests.factories import api_key_for

    # Let every request reach the service: the proof is about the database, not the rate limit.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "sign": "100000/min", "user": "100000/min"},
    )
    server = urlsplit(live_server.url)
    # Each client thread keeps its connection from one request to the next, as a browser or a
    # proxy does: 32 requests in flight at any time, without a new connection (and, on the server,
    # a thread handed a new socket) for each of the 4,000.
    local = threading.local()
    opened: list[http.client.HTTPConnection] = []

    def post(path: str, token: str) -> tuple[int, str]:
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection(server.hostname, server.port, timeout=30)
            opened.append(local.conn)
        local.conn.request("POST", path, body=b"", headers={"Authorization": f"Bearer {token}"})
        response = local.conn.getresponse()
        body = response.read().decode()
        if response.will_close:
            local.conn.close()
            local.conn = None
        return response.status, body

    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            for round_ in range(HTTP_ROUNDS):  # TRUST.md: repeated 20 times
                initiative = InitiativeFactory(collecting=True)
                resident = ResidentFactory()
                token = api_key_for(resident)
                path = f"/api/v1/initiatives/{initiative.pk}/signatures/"
                answers = list(pool.map(post, [path] * 200, [token] * 200))
                statuses = [s for s, _b in answers]
                tally = {s: statuses.count(s) for s in set(statuses)}
                assert statuses.count(201) == 200, f"round {round_}: {tally}"
                assert len({b for _s, b in answers}) == 1, f"round {round_}: answers differ"
                assert json.loads(answers[0][1])["signed"] is True
                rows = Signature.objects.filter(initiative=initiative).count()
                assert rows == 1, f"round {round_}: {rows} signatures"
    finally:
        for conn in opened:
            conn.close()

"""Signing, withdrawing, paper entry and the quarter limit, through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from civic.errors import Conflict, NotEligible, NotVerified, PermissionDenied, RuleViolation
from petitions import services
from petitions.models import Channel, PaperRejection, Signature, Status
from petitions.selectors import paper_rejection_counts
from tests.factories import RegisterEntryFactory, ResidentFactory, UserFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def _counts(initiative):  # type: ignore[no-untyped-def]
    services.counts_fold()
    return {c.track: c.count for c in initiative.counts.all()}


def test_a_verified_elector_signs_once_and_counts_on_both_tracks(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    outcome = services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    assert outcome.tracks == [CHARTER, LEGAL]
    signature = Signature.objects.get()
    assert signature.channel == Channel.ONLINE
    assert signature.track_mask == 0b11
    assert signature.facts["resident_16"] is True and signature.facts["municipal_elector"] is True
    assert _counts(initiative) == {-1: 1, 0: 1, 1: 1}


def test_signing_twice_keeps_one_signature_and_gives_the_same_answer(now):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    first = services.signature_sign(initiative_id=initiative.pk, user=resident)
    second = services.signature_sign(initiative_id=initiative.pk, user=resident)
    assert first == second
    assert Signature.objects.count() == 1
    assert _counts(initiative)[-1] == 1


def test_a_resident_of_16_counts_on_the_charter_track_only(now):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    teen = ResidentFactory(register_entry=RegisterEntryFactory(minor16=True))
    outcome = services.signature_sign(initiative_id=initiative.pk, user=teen)
    assert outcome.tracks == [CHARTER]
    assert _counts(initiative) == {-1: 1, 0: 1, 1: 0}


def test_a_child_is_refused_with_a_clear_code_and_the_rule(now):
    initiative = InitiativeFactory(collecting=True)
    child = ResidentFactory(register_entry=RegisterEntryFactory(child=True))
    with pytest.raises(NotEligible) as caught:
        services.signature_sign(initiative_id=initiative.pk, user=child)
    assert caught.value.code == "not_eligible_too_young"
    assert caught.value.rule == "Charte de la participation, art. 2"
    assert Signature.objects.count() == 0


def test_a_non_elector_is_refused_on_a_legal_only_initiative(now):
    initiative = InitiativeFactory(collecting=True, instruments=[LEGAL])
    resident = ResidentFactory(register_entry=RegisterEntryFactory(resident_only=True))
    with pytest.raises(NotEligible) as caught:
        services.signature_sign(initiative_id=initiative.pk, user=resident)
    assert caught.value.code == "not_eligible_not_on_roll"


def test_an_inactive_register_entry_cannot_sign(now):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory(register_entry=RegisterEntryFactory(active=False))
    with pytest.raises(NotEligible) as caught:
        services.signature_sign(initiative_id=initiative.pk, user=resident)
    assert caught.value.code == "not_eligible_inactive_entry"


def test_an_unverified_account_cannot_sign(now):
    initiative = InitiativeFactory(collecting=True)
    with pytest.raises(NotVerified) as caught:
        services.signature_sign(initiative_id=initiative.pk, user=UserFactory())
    assert caught.value.code == "not_verified"


def test_a_draft_cannot_be_signed_nor_probed(now):
    initiative = InitiativeFactory()
    with pytest.raises(Exception) as caught:
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    assert caught.value.code == "initiative_not_found"  # type: ignore[attr-defined]


def test_nothing_is_accepted_at_the_closing_instant_even_before_the_close_job(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    freeze(initiative.closes_at - timedelta(microseconds=1))
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    freeze(initiative.closes_at)
    initiative.refresh_from_db()
    assert initiative.status == Status.COLLECTING  # the scheduler has not run
    with pytest.raises(Conflict) as caught:
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    assert caught.value.code == "collection_closed"
    freeze(initiative.closes_at + timedelta(days=3))
    with pytest.raises(Conflict):
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    with pytest.raises(Conflict):
        services.signature_withdraw(initiative_id=initiative.pk, user=resident)
    assert Signature.objects.count() == 1


def test_the_guard_is_in_the_insert_itself(freeze):
    """Even if the pre-check is skipped, the signing statement's own WHERE refuses a late
    signature."""
    from django.db import connection

    from petitions import store
    from petitions.services.signatures.plan import plan_for, signature_row
    from petitions.services.signatures.state import signing_state

    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    entry = ResidentFactory().register_entry
    tracks = signing_state(initiative.pk).tracks
    late = initiative.closes_at
    plan = plan_for(entry, tracks, now=late)

    def row(at):  # type: ignore[no-untyped-def]
        return signature_row(
            initiative_id=initiative.pk,
            entry=entry,
            plan=plan,
            channel="online",
            now=at,
            entered_by=None,
            connection=connection,
        )

    assert store.signature_insert_counted(row(late), slot=0) is None
    early = initiative.closes_at - timedelta(seconds=1)
    assert store.signature_insert_counted(row(early), slot=0)


def test_withdrawal_removes_the_signature_and_the_count(now):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    assert _counts(initiative)[-1] == 1
    services.signature_withdraw(initiative_id=initiative.pk, user=resident)
    assert Signature.objects.count() == 0
    assert _counts(initiative)[-1] == 0


def test_withdrawing_without_having_signed_changes_nothing_and_answers_the_same(now):
    initiative = InitiativeFactory(collecting=True)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    services.signature_withdraw(initiative_id=initiative.pk, user=ResidentFactory())
    assert Signature.objects.count() == 1
    assert _counts(initiative)[-1] == 1


def test_withdrawal_after_the_close_is_refused(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    freeze(initiative.closes_at)
    services.initiative_close(initiative_id=initiative.pk)
    with pytest.raises(Conflict):
        services.signature_withdraw(initiative_id=initiative.pk, user=resident)
    assert Signature.objects.count() == 1


# --- The quarter limit (CGCT L1112-16) ----------------------------------------------------------


def test_the_quarter_limit_removes_only_the_legal_track_for_that_signer(now):
    first = InitiativeFactory(collecting=True, instruments=[LEGAL])
    second = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    elector = ResidentFactory()
    services.signature_sign(initiative_id=first.pk, user=elector)
    outcome = services.signature_sign(initiative_id=second.pk, user=elector)
    assert outcome.tracks == [CHARTER]
    assert _counts(second) == {-1: 1, 0: 1, 1: 0}


def test_the_quarter_limit_refuses_when_no_track_remains_naming_the_article(now):
    first = InitiativeFactory(collecting=True, instruments=[LEGAL])
    second = InitiativeFactory(collecting=True, instruments=[LEGAL])
    elector = ResidentFactory()
    services.signature_sign(initiative_id=first.pk, user=elector)
    with pytest.raises(RuleViolation) as caught:
        services.signature_sign(initiative_id=second.pk, user=elector)
    assert caught.value.code == "quarter_limit"
    assert caught.value.rule == "CGCT L1112-16"


def test_the_quarter_limit_resets_with_the_next_quarter(freeze):
    freeze("2026-03-30 10:00")
    first = InitiativeFactory(collecting=True, instruments=[LEGAL])
    second = InitiativeFactory(collecting=True, instruments=[LEGAL])
    elector = ResidentFactory()
    services.signature_sign(initiative_id=first.pk, user=elector)
    freeze("2026-04-01 10:00")
    assert services.signature_sign(initiative_id=second.pk, user=elector).tracks == [LEGAL]


def test_signing_again_under_the_quarter_limit_repeats_each_first_answer(now):
    # The quarter limit is left to the database's constraint, which names only one of the
    # constraints a repeated signature breaks: each repeat must still answer as the first time.
    first = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    second = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    only_legal = InitiativeFactory(collecting=True, instruments=[LEGAL])
    elector = ResidentFactory()
    assert services.signature_sign(initiative_id=first.pk, user=elector).tracks == [CHARTER, LEGAL]
    assert services.signature_sign(initiative_id=second.pk, user=elector).tracks == [CHARTER]
    for _ in range(2):
        assert services.signature_sign(initiative_id=first.pk, user=elector).tracks == [
            CHARTER,
            LEGAL,
        ]
        assert services.signature_sign(initiative_id=second.pk, user=elector).tracks == [CHARTER]
        with pytest.raises(RuleViolation) as caught:
            services.signature_sign(initiative_id=only_legal.pk, user=elector)
        assert caught.value.code == "quarter_limit"
    assert Signature.objects.filter(register_entry=elector.register_entry).count() == 2
    assert list(
        Signature.objects.filter(quarter_key__isnull=False).values_list("initiative", flat=True)
    ) == [first.pk]
    assert _counts(first) == {-1: 1, 0: 1, 1: 1}
    assert _counts(second) == {-1: 1, 0: 1, 1: 0}


def test_a_signature_reads_no_signature_when_the_quarter_is_unused(now):
    # The quarter limit is checked by the unique constraint on the write, not by a read before it.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    elector = ResidentFactory()
    assert elector.register_entry is not None  # loaded, as the API's authentication leaves it
    with CaptureQueriesContext(connection) as ctx:
        outcome = services.signature_sign(initiative_id=initiative.pk, user=elector)
    assert outcome.tracks == [CHARTER, LEGAL]
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and "petitions_signature" in q["sql"].replace('"', "")
    ]
    assert reads == []


def test_the_quarter_limit_is_enforced_by_the_database_too(now):
    first = InitiativeFactory(collecting=True, instruments=[LEGAL])
    second = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    elector = ResidentFactory()
    services.signature_sign(initiative_id=first.pk, user=elector)
    key = Signature.objects.get().quarter_key
    assert key == "commune:2026Q1"
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(
            initiative=second,
            register_entry=elector.register_entry,
            identity_hash="x",
            channel="online",
            created_at=first.published_at,
            track_mask=2,
            facts={},
            district=elector.register_entry.district,
            quarter_key=key,
        )


# --- Paper -------------------------------------------------------------------------------------


def test_paper_entry_by_register_entry_counts_like_an_online_signature(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    entry = RegisterEntryFactory()
    outcome = services.paper_signature_enter(
        initiative_id=initiative.pk, actor=moderator, register_entry_id=entry.pk, sheet_ref="F1-L3"
    )
    assert outcome.accepted and outcome.tracks == [CHARTER]
    signature = Signature.objects.get()
    assert signature.channel == Channel.PAPER and signature.entered_by == moderator
    assert _counts(initiative)[-1] == 1


def test_paper_entry_by_name_finds_the_register_entry_through_the_keyed_hash(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    entry = RegisterEntryFactory(
        last_name="Dupont-Lévêque", first_names="Anne Marie", birth_date=date(1970, 1, 2)
    )
    outcome = services.paper_signature_enter(
        initiative_id=initiative.pk,
        actor=moderator,
        last_name="DUPONT LEVEQUE",
        first_names="anne-marie",
        birth_date=date(1970, 1, 2),
    )
    assert outcome.accepted
    assert Signature.objects.get().register_entry == entry


def test_paper_after_online_is_a_duplicate_in_the_rejection_register(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    outcome = services.paper_signature_enter(
        initiative_id=initiative.pk, actor=moderator, register_entry_id=resident.register_entry_id
    )
    assert not outcome.accepted and outcome.reason == "duplicate"
    assert Signature.objects.count() == 1
    assert _counts(initiative)[-1] == 1


def test_online_after_paper_keeps_one_signature(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    services.paper_signature_enter(
        initiative_id=initiative.pk, actor=moderator, register_entry_id=resident.register_entry_id
    )
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    assert Signature.objects.count() == 1
    assert _counts(initiative)[-1] == 1


def test_one_person_with_two_register_entries_signs_once(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    old = resident.register_entry
    twin = RegisterEntryFactory(
        last_name=old.last_name, first_names=old.first_names, birth_date=old.birth_date
    )
    assert twin.identity_hash == old.identity_hash
    services.signature_sign(initiative_id=initiative.pk, user=resident)
    outcome = services.paper_signature_enter(
        initiative_id=initiative.pk, actor=moderator, register_entry_id=twin.pk
    )
    assert outcome.reason == "duplicate"


def test_rejected_paper_signatures_are_registered_with_their_reason_and_counted_publicly(
    now, moderator
):
    initiative = InitiativeFactory(collecting=True)
    services.paper_signature_enter(
        initiative_id=initiative.pk,
        actor=moderator,
        last_name="Personne",
        first_names="Nemo",
        birth_date=date(1990, 1, 1),
        sheet_ref="F2-L1",
    )
    services.paper_signature_enter(
        initiative_id=initiative.pk,
        actor=moderator,
        register_entry_id=RegisterEntryFactory(child=True).pk,
    )
    services.paper_signature_enter(initiative_id=initiative.pk, actor=moderator)
    assert PaperRejection.objects.count() == 3
    assert paper_rejection_counts(initiative_id=initiative.pk) == {
        "not_eligible": 1,
        "not_on_register": 2,
    }
    assert Signature.objects.count() == 0


def test_paper_entry_is_reserved_to_moderators(now):
    initiative = InitiativeFactory(collecting=True)
    with pytest.raises(PermissionDenied):
        services.paper_signature_enter(
            initiative_id=initiative.pk,
            actor=ResidentFactory(),
            register_entry_id=RegisterEntryFactory().pk,
        )


def test_paper_entry_after_the_close_is_refused(freeze, moderator):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    freeze(initiative.closes_at)
    with pytest.raises(Conflict):
        services.paper_signature_enter(
            initiative_id=initiative.pk,
            actor=moderator,
            register_entry_id=RegisterEntryFactory().pk,
        )
    assert PaperRejection.objects.count() == 0


def test_a_remembered_open_state_never_lets_a_signature_in_after_a_withdrawal(now):
    initiative = InitiativeFactory(collecting=True)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())  # remembered open
    services.initiative_withdraw(initiative_id=initiative.pk, actor=initiative.initiator)
    with pytest.raises(Conflict) as caught:
        services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    assert caught.value.code == "collection_closed"
    assert Signature.objects.count() == 1

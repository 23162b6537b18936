"""The lifecycle through the services: every transition, audited, notified; every illegal one refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civic.errors import InvalidTransition, NotVerified, PermissionDenied, RuleViolation
from civic.models import AuditEntry, Notification
from petitions import services
from petitions.models import (
    TOTAL_TRACK,
    Initiative,
    InitiativeCount,
    Status,
    TrackRung,
)
from petitions.workflow import ALLOWED, can_transition
from tests.factories import RegisterEntryFactory, ResidentFactory, UserFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db


def _draft(initiator, slugs=(CHARTER,)):  # type: ignore[no-untyped-def]
    return services.initiative_create(
        actor=initiator,
        title="Des bancs au parc",
        summary="Des bancs.",
        body="Texte.",
        instrument_slugs=list(slugs),
    )


def _with_promoters(initiative, n):  # type: ignore[no-untyped-def]
    for _ in range(n):
        promoter = ResidentFactory()
        services.promoter_invite(
            initiative_id=initiative.pk, actor=initiative.initiator, email=promoter.email
        )
        services.promoter_cosign(initiative_id=initiative.pk, user=promoter)


def test_the_whole_lifecycle_runs_from_draft_to_closed_with_audit_and_notifications(
    moderator, freeze
):
    freeze("2026-03-02 10:00")
    initiator = ResidentFactory()
    initiative = _draft(initiator)
    _with_promoters(initiative, 2)
    services.initiative_submit(initiative_id=initiative.pk, actor=initiator)
    services.initiative_review_start(initiative_id=initiative.pk, actor=moderator)
    published = services.initiative_publish(initiative_id=initiative.pk, actor=moderator)
    assert published.status == Status.COLLECTING
    assert published.closes_at == published.published_at + timedelta(days=183)
    assert list(
        TrackRung.objects.filter(track__initiative=initiative).values_list("threshold", flat=True)
    ) == [50, 300, 900, 4500]
    assert set(
        InitiativeCount.objects.filter(initiative=initiative).values_list("track", flat=True)
    ) == {TOTAL_TRACK, 0}
    freeze("2026-09-02 10:00")
    assert services.initiative_close(initiative_id=initiative.pk) is True
    initiative.refresh_from_db()
    assert initiative.status == Status.CLOSED and initiative.closed_at is not None
    verbs = list(
        AuditEntry.objects.filter(
            target_id=str(initiative.pk), target_type="petitions.initiative"
        ).values_list("verb", flat=True)
    )
    for verb in [
        "initiative.created",
        "initiative.submitted",
        "initiative.review_started",
        "initiative.published",
        "initiative.closed",
    ]:
        assert verb in verbs
    kinds = set(Notification.objects.filter(recipient=initiator).values_list("kind", flat=True))
    assert {
        "petitions.submitted",
        "petitions.in_review",
        "petitions.published",
        "petitions.closed",
    } <= kinds


def test_submitting_without_enough_cosigned_promoters_is_refused_naming_the_rule():
    initiative = _draft(ResidentFactory())
    _with_promoters(initiative, 1)
    with pytest.raises(RuleViolation) as caught:
        services.initiative_submit(initiative_id=initiative.pk, actor=initiative.initiator)
    assert caught.value.code == "promoters_missing"
    assert caught.value.rule == "Charte de la participation, art. 2"


def test_an_invited_promoter_who_has_not_cosigned_does_not_count():
    initiative = _draft(ResidentFactory())
    for _ in range(2):
        services.promoter_invite(
            initiative_id=initiative.pk, actor=initiative.initiator, email=ResidentFactory().email
        )
    with pytest.raises(RuleViolation):
        services.initiative_submit(initiative_id=initiative.pk, actor=initiative.initiator)


def test_the_legal_instrument_alone_needs_only_the_initiator(moderator):
    initiative = _draft(ResidentFactory(), slugs=(LEGAL,))
    submitted = services.initiative_submit(initiative_id=initiative.pk, actor=initiative.initiator)
    assert submitted.status == Status.SUBMITTED


def test_an_unverified_account_cannot_start_an_initiative():
    with pytest.raises(NotVerified):
        _draft(UserFactory())


def test_someone_else_cannot_submit_or_withdraw_an_initiative():
    initiative = _draft(ResidentFactory(), slugs=(LEGAL,))
    with pytest.raises(PermissionDenied):
        services.initiative_submit(initiative_id=initiative.pk, actor=ResidentFactory())
    with pytest.raises(PermissionDenied):
        services.initiative_withdraw(initiative_id=initiative.pk, actor=ResidentFactory())


def test_a_resident_cannot_review_publish_or_reject():
    initiative = InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now())
    for call in (services.initiative_review_start, services.initiative_publish):
        with pytest.raises(PermissionDenied):
            call(initiative_id=initiative.pk, actor=initiative.initiator)
    with pytest.raises(PermissionDenied):
        services.initiative_reject(
            initiative_id=initiative.pk, actor=initiative.initiator, reason_code="doublon"
        )


ALL = [s.value for s in Status]


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in ALL for t in ALL if not can_transition(c, t) and t not in (Status.DRAFT,)],
)
def test_every_illegal_transition_is_refused(current, target, moderator, freeze):  # type: ignore[no-untyped-def]
    freeze("2026-03-02 10:00")
    now = timezone.now()
    fields = {"status": current}
    if current != Status.DRAFT:
        fields["submitted_at"] = now
    if current in (Status.COLLECTING, Status.CLOSED):
        fields.update(published_at=now, closes_at=now + timedelta(days=1))
    if current == Status.CLOSED:
        fields["closed_at"] = now
    if current == Status.REJECTED:
        from petitions.models import RejectionReason

        fields.update(rejected_at=now, rejection_reason=RejectionReason.objects.first())
    if current == Status.WITHDRAWN:
        fields["withdrawn_at"] = now
    initiative = InitiativeFactory(instruments=[LEGAL], **fields)
    calls = {
        Status.SUBMITTED: lambda: services.initiative_submit(
            initiative_id=initiative.pk, actor=initiative.initiator
        ),
        Status.IN_REVIEW: lambda: services.initiative_review_start(
            initiative_id=initiative.pk, actor=moderator
        ),
        Status.COLLECTING: lambda: services.initiative_publish(
            initiative_id=initiative.pk, actor=moderator
        ),
        Status.REJECTED: lambda: services.initiative_reject(
            initiative_id=initiative.pk, actor=moderator, reason_code="doublon"
        ),
        Status.WITHDRAWN: lambda: services.initiative_withdraw(
            initiative_id=initiative.pk, actor=initiative.initiator
        ),
    }
    if target == Status.CLOSED:
        freeze("2026-03-10 10:00")
        assert services.initiative_close(initiative_id=initiative.pk) is False
    else:
        with pytest.raises(InvalidTransition) as caught:
            calls[target]()
        assert caught.value.code == "invalid_transition"
    initiative.refresh_from_db()
    assert initiative.status == current


def test_the_transition_table_has_an_entry_for_every_status():
    assert set(ALLOWED) == set(ALL)


def test_rejection_records_the_reason_and_the_text(moderator):
    initiative = InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now())
    rejected = services.initiative_reject(
        initiative_id=initiative.pk,
        actor=moderator,
        reason_code="hors-competence",
        text="Compétence de l'État.",
    )
    assert rejected.status == Status.REJECTED
    assert rejected.rejection_reason.code == "hors-competence"
    assert rejected.rejection_text == "Compétence de l'État."


def test_rejection_with_an_unknown_reason_is_refused(moderator):
    initiative = InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now())
    with pytest.raises(Exception) as caught:
        services.initiative_reject(initiative_id=initiative.pk, actor=moderator, reason_code="nope")
    assert caught.value.code == "rejection_reason_unknown"  # type: ignore[attr-defined]


def test_withdrawal_while_collecting_is_allowed_and_notifies_signers(
    freeze, django_capture_on_commit_callbacks
):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    signer = ResidentFactory()
    services.signature_sign(initiative_id=initiative.pk, user=signer)
    with django_capture_on_commit_callbacks(execute=True):
        services.initiative_withdraw(initiative_id=initiative.pk, actor=initiative.initiator)
    initiative.refresh_from_db()
    assert initiative.status == Status.WITHDRAWN
    assert Notification.objects.filter(recipient=signer, kind="petitions.withdrawn").count() == 1


def test_withdrawal_after_the_closing_instant_is_refused_even_before_the_close_job(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    freeze(initiative.closes_at)
    with pytest.raises(InvalidTransition):
        services.initiative_withdraw(initiative_id=initiative.pk, actor=initiative.initiator)


def test_closing_acts_once_and_not_before_the_deadline(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    assert services.initiative_close(initiative_id=initiative.pk) is False
    freeze(initiative.closes_at)
    assert services.initiative_close(initiative_id=initiative.pk) is True
    assert services.initiative_close(initiative_id=initiative.pk) is False
    assert (
        AuditEntry.objects.filter(verb="initiative.closed", target_id=str(initiative.pk)).count()
        == 1
    )


def test_a_share_rung_is_resolved_from_the_register_when_collection_opens(moderator):
    for _ in range(23):
        RegisterEntryFactory()
    RegisterEntryFactory(resident_only=True)  # not an elector: not in the population
    initiative = _draft(ResidentFactory(), slugs=(LEGAL,))
    services.initiative_submit(initiative_id=initiative.pk, actor=initiative.initiator)
    services.initiative_review_start(initiative_id=initiative.pk, actor=moderator)
    services.initiative_publish(initiative_id=initiative.pk, actor=moderator)
    track = initiative.tracks.get()
    assert track.population_at_open == 24  # 23 + the initiator's entry
    assert TrackRung.objects.get(track=track).threshold == 3  # ceil(24 / 10)


def test_editing_is_limited_to_the_initiator_and_to_drafts():
    initiative = _draft(ResidentFactory(), slugs=(LEGAL,))
    services.initiative_update(
        initiative_id=initiative.pk, actor=initiative.initiator, title="Nouveau"
    )
    assert Initiative.objects.get(pk=initiative.pk).title == "Nouveau"
    with pytest.raises(PermissionDenied):
        services.initiative_update(initiative_id=initiative.pk, actor=ResidentFactory(), title="x")
    services.initiative_submit(initiative_id=initiative.pk, actor=initiative.initiator)
    with pytest.raises(InvalidTransition):
        services.initiative_update(
            initiative_id=initiative.pk, actor=initiative.initiator, title="y"
        )


def test_an_initiator_withdraws_a_draft_never_submitted():
    initiative = _draft(ResidentFactory())
    assert initiative.submitted_at is None
    services.initiative_withdraw(initiative_id=initiative.pk, actor=initiative.initiator)
    initiative.refresh_from_db()
    assert initiative.status == Status.WITHDRAWN
    assert initiative.withdrawn_at is not None
    assert AuditEntry.objects.filter(verb="initiative.withdrawn").count() == 1


def test_the_api_withdraws_a_draft_with_a_200(resident_api, resident):
    initiative = _draft(resident)
    response = resident_api.post(f"/api/v1/initiatives/{initiative.pk}/withdraw/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.WITHDRAWN

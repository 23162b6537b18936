"""Invitations, sign-up, commitment, draw, rerun and replacement through the services."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assembly import sortition
from assembly.models import (
    DrawCommitment,
    FeatureKind,
    Invitation,
    InvitationStatus,
    MandateStatus,
    Member,
    MemberSource,
    MemberStatus,
    Reserve,
    ReserveStatus,
    Volunteer,
)
from assembly.services import commitment as commitments
from assembly.services import composition, draw, pool, recruitment
from civic.errors import Conflict, InvalidTransition, NotFound, RuleViolation
from civic.models import AuditEntry
from tests.assembly.conftest import BALANCED_POOL, publish_and_draw
from tests.assembly.factories import MandateFactory
from tests.factories import RegisterEntryFactory

pytestmark = pytest.mark.django_db


# --- Stage one ----------------------------------------------------------------------------------


def _recruiting_with_register(clerk, n_entries: int = 30):  # type: ignore[no-untyped-def]
    mandate = MandateFactory()
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="genre",
        label="Genre",
        kind=FeatureKind.GENDER,
        quotas=[("f", "Femme", 1, 3), ("m", "Homme", 1, 3)],
    )
    composition.mandate_open_recruitment(mandate_id=mandate.pk, actor=clerk)
    entries = RegisterEntryFactory.create_batch(n_entries)
    return mandate, entries


def _invite(mandate, clerk, count: int):  # type: ignore[no-untyped-def]
    batch = recruitment.invitations_commit(mandate_id=mandate.pk, actor=clerk, count=count)
    return recruitment.invitations_draw(batch_id=batch.pk, actor=clerk)


def test_invitations_are_a_sample_reproducible_from_the_recorded_seed(clerk) -> None:
    mandate, entries = _recruiting_with_register(clerk)
    batch = _invite(mandate, clerk, 10)
    invited = sorted(
        Invitation.objects.filter(batch=batch).values_list("register_entry_id", flat=True)
    )
    population = sorted(e.pk for e in entries)
    assert invited == sorted(random.Random(batch.seed).sample(population, 10))
    assert batch.population == 30
    assert AuditEntry.objects.filter(verb="assembly.invitations_draw").exists()


def test_a_second_batch_never_invites_the_same_person_twice(clerk) -> None:
    mandate, _entries = _recruiting_with_register(clerk, 12)
    _invite(mandate, clerk, 8)
    _invite(mandate, clerk, 8)
    ids = list(
        Invitation.objects.filter(mandate=mandate).values_list("register_entry_id", flat=True)
    )
    assert len(ids) == len(set(ids)) == 12


def test_ineligible_entries_are_never_invited(clerk) -> None:
    mandate, _entries = _recruiting_with_register(clerk, 5)
    child = RegisterEntryFactory(child=True)
    inactive = RegisterEntryFactory(active=False)
    _invite(mandate, clerk, 100)
    invited = set(Invitation.objects.values_list("register_entry_id", flat=True))
    assert child.pk not in invited and inactive.pk not in invited
    assert len(invited) == 5


def test_invitations_are_refused_outside_recruitment(clerk) -> None:
    mandate = MandateFactory()
    with pytest.raises(InvalidTransition):
        recruitment.invitations_commit(mandate_id=mandate.pk, actor=clerk, count=5)


def test_the_mail_merge_export_neutralises_formula_cells(clerk) -> None:
    mandate, _entries = _recruiting_with_register(clerk, 0)
    RegisterEntryFactory(
        last_name='=HYPERLINK("http://x")', first_names="+Jean", address="@home", postcode="-1"
    )
    _invite(mandate, clerk, 5)
    rows = list(
        csv.reader(
            io.StringIO(
                recruitment.invitations_csv(
                    mandate_id=mandate.pk, actor=clerk, base_url="https://v.example"
                )
            )
        )
    )
    assert rows[0][0] == "invitation"
    data = rows[1]
    for cell in data:
        assert not cell.startswith(("=", "+", "-", "@"))
    assert data[1] == '\'=HYPERLINK("http://x")'
    assert data[6].startswith("https://v.example/assembly/volontaire/")
    assert AuditEntry.objects.filter(verb="assembly.invitations_export").exists()


def test_an_invitation_token_is_checked_and_cannot_be_forged(clerk) -> None:
    mandate, _entries = _recruiting_with_register(clerk, 3)
    _invite(mandate, clerk, 3)
    invitation = Invitation.objects.first()
    assert invitation is not None
    token = recruitment.invitation_token(invitation)
    assert recruitment.invitation_from_token(token) == invitation
    assert recruitment.invitation_from_token(f"{invitation.pk}.{'0' * 24}") is None
    other = Invitation.objects.exclude(pk=invitation.pk).first()
    assert other is not None
    assert recruitment.invitation_from_token(f"{other.pk}.{token.split('.')[1]}") is None
    assert recruitment.invitation_from_token("garbage") is None


# --- Sign-up ------------------------------------------------------------------------------------


def test_signing_up_records_register_facts_and_the_declared_gender(recruiting) -> None:
    mandate = recruiting([("f", "nord")])
    volunteer = Volunteer.objects.get(mandate=mandate)
    assert volunteer.features == {"genre": "f", "quartier": "nord"}
    assert volunteer.pseudonym.startswith("V-")
    assert volunteer.invitation.status == InvitationStatus.ACCEPTED


def test_the_age_band_comes_from_the_register_birth_date(clerk) -> None:
    mandate = MandateFactory(starts_on=timezone.localdate())
    composition.feature_add(
        mandate_id=mandate.pk,
        actor=clerk,
        key="age",
        label="Âge",
        kind=FeatureKind.AGE_BAND,
        quotas=[("16-29", "jeunes", 0, 4), ("30-59", "adultes", 0, 4), ("60+", "aînés", 0, 4)],
    )
    composition.mandate_open_recruitment(mandate_id=mandate.pk, actor=clerk)
    today = timezone.localdate()
    entry = RegisterEntryFactory(birth_date=today.replace(year=today.year - 30))
    _invite(mandate, clerk, 1)
    token = recruitment.invitation_token(Invitation.objects.get(register_entry=entry))
    volunteer = recruitment.volunteer_signup(token=token, declared={}, consent=True)
    assert volunteer.features == {"age": "30-59"}


def test_an_invalid_age_band_is_refused_when_the_criterion_is_defined(clerk) -> None:
    mandate = MandateFactory()
    with pytest.raises(RuleViolation) as exc:
        composition.feature_add(
            mandate_id=mandate.pk,
            actor=clerk,
            key="age",
            label="Âge",
            kind=FeatureKind.AGE_BAND,
            quotas=[("jeunes", "jeunes", 0, 4)],
        )
    assert exc.value.code == "invalid_age_band"


def _one_invitation(recruiting):  # type: ignore[no-untyped-def]
    mandate = recruiting([])
    entry = RegisterEntryFactory(district__code="nord")
    invitation = Invitation.objects.create(
        mandate=mandate,
        batch=mandate.batches.get_or_create(seed="t", requested=1, population=1)[0],
        register_entry=entry,
    )
    return mandate, recruitment.invitation_token(invitation)


def test_signing_up_without_consent_is_refused(recruiting) -> None:
    _mandate, token = _one_invitation(recruiting)
    with pytest.raises(RuleViolation) as exc:
        recruitment.volunteer_signup(token=token, declared={"genre": "f"}, consent=False)
    assert exc.value.code == "consent_required"
    assert not Volunteer.objects.exists()


def test_answering_the_same_invitation_twice_is_refused(recruiting) -> None:
    _mandate, token = _one_invitation(recruiting)
    recruitment.volunteer_signup(token=token, declared={"genre": "f"}, consent=True)
    with pytest.raises(Conflict) as exc:
        recruitment.volunteer_signup(token=token, declared={"genre": "m"}, consent=True)
    assert exc.value.code == "already_answered"
    assert Volunteer.objects.count() == 1


def test_a_declared_value_outside_the_quotas_is_refused(recruiting) -> None:
    _mandate, token = _one_invitation(recruiting)
    with pytest.raises(RuleViolation) as exc:
        recruitment.volunteer_signup(token=token, declared={"genre": "z"}, consent=True)
    assert exc.value.code == "feature_value_missing"
    assert Invitation.objects.get().status == InvitationStatus.SENT  # rolled back


def test_signing_up_after_recruitment_closed_is_refused(recruiting, clerk, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    _m, token = (
        mandate,
        recruitment.invitation_token(
            Invitation.objects.create(
                mandate=mandate,
                batch=mandate.batches.first(),
                register_entry=RegisterEntryFactory(district__code="sud"),
            )
        ),
    )
    commitments.commitment_publish(
        mandate_id=mandate.pk,
        actor=clerk,
        seed_expected_at=timezone.now() + timedelta(days=1),
    )
    with pytest.raises(InvalidTransition) as exc:
        recruitment.volunteer_signup(token=token, declared={"genre": "f"}, consent=True)
    assert exc.value.code == "recruitment_closed"


def test_criteria_are_frozen_once_someone_volunteered(recruiting, clerk) -> None:
    mandate = recruiting([("f", "nord")])
    with pytest.raises(Conflict) as exc:
        composition.feature_add(
            mandate_id=mandate.pk,
            actor=clerk,
            key="x",
            label="X",
            kind=FeatureKind.DECLARED,
            quotas=[("a", "A", 0, 1)],
        )
    assert exc.value.code == "features_frozen"


# --- Commitment and draw ------------------------------------------------------------------------


def test_the_commitment_freezes_pool_quotas_and_lottery_and_reports_probabilities(
    recruiting, clerk
) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitment = commitments.commitment_publish(
        mandate_id=mandate.pk,
        actor=clerk,
        seed_expected_at=timezone.now() + timedelta(days=1),
    )
    assert commitment.digest == sortition.commitment_digest(commitment.payload)
    assert len(commitment.payload["pool"]) == len(BALANCED_POOL)
    assert commitment.library.startswith("sortition-algorithms ")
    assert commitment.algorithm == "maximin"
    probabilities = list(Volunteer.objects.values_list("selection_probability", flat=True))
    assert all(p is not None and 0 < p <= 1 for p in probabilities)
    assert sum(probabilities) == pytest.approx(4)
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.COMMITTED
    with pytest.raises(Conflict):
        composition.quota_set(
            quota_id=mandate.features.first().quotas.first().pk, actor=clerk, min=0, max=4
        )


def test_a_changed_pool_changes_the_published_commitment(recruiting, clerk) -> None:
    first = recruiting(BALANCED_POOL)
    second = recruiting([*BALANCED_POOL[:-1], ("f", "sud")])
    when = timezone.now() + timedelta(days=1)
    a = commitments.commitment_publish(mandate_id=first.pk, actor=clerk, seed_expected_at=when)
    b = commitments.commitment_publish(mandate_id=second.pk, actor=clerk, seed_expected_at=when)
    assert a.pool_digest != b.pool_digest
    assert a.digest != b.digest


def test_the_seed_must_be_a_future_public_value(recruiting, clerk) -> None:
    mandate = recruiting(BALANCED_POOL)
    with pytest.raises(RuleViolation) as exc:
        commitments.commitment_publish(
            mandate_id=mandate.pk,
            actor=clerk,
            seed_expected_at=timezone.now() - timedelta(minutes=1),
        )
    assert exc.value.code == "seed_not_in_future"
    assert not DrawCommitment.objects.exists()


def test_infeasible_quotas_are_refused_with_a_clear_error_at_commitment(recruiting, clerk) -> None:
    mandate = recruiting([("f", "nord"), ("m", "nord"), ("m", "sud"), ("m", "sud"), ("m", "nord")])
    with pytest.raises(RuleViolation) as exc:
        commitments.commitment_publish(
            mandate_id=mandate.pk,
            actor=clerk,
            seed_expected_at=timezone.now() + timedelta(days=1),
        )
    assert exc.value.code == "infeasible_quotas"
    assert str(exc.value.detail).startswith("Aucune assemblée ne peut respecter tous les quotas")
    assert "genre" in str(exc.value.detail)  # the library's suggested relaxation follows
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.RECRUITING  # nothing published


def test_the_draw_waits_for_the_announced_public_value(recruiting, clerk, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    start = timezone.now()
    freeze(start)
    commitments.commitment_publish(
        mandate_id=mandate.pk,
        actor=clerk,
        seed_expected_at=start + timedelta(days=2),
    )
    with pytest.raises(RuleViolation) as exc:
        draw.draw_run(mandate_id=mandate.pk, actor=clerk)
    assert exc.value.code == "seed_not_yet_public"
    assert not Member.objects.exists()


def test_the_draw_seats_a_panel_meeting_every_quota_and_an_ordered_reserve(
    recruiting, clerk, freeze
) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitment = publish_and_draw(mandate, clerk, freeze)
    members = list(Member.objects.filter(mandate=mandate).select_related("volunteer"))
    assert len(members) == 4
    features = [m.volunteer.features for m in members]
    assert sum(f["genre"] == "f" for f in features) == 2
    assert all(1 <= sum(f["quartier"] == q for f in features) <= 3 for q in ("nord", "sud"))
    assert sorted(m.volunteer.pseudonym for m in members) == commitment.panel
    reserves = list(Reserve.objects.filter(mandate=mandate).order_by("rank"))
    assert [r.volunteer.pseudonym for r in reserves] == commitment.reserve
    assert len(reserves) == 3
    assert {m.seat for m in members} == {1, 2, 3, 4}
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.SEATED


def test_the_same_published_inputs_give_the_same_panel(recruiting, clerk, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitment = publish_and_draw(mandate, clerk, freeze)
    replay = sortition.draw_select(
        lottery=sortition.Lottery.from_json(commitment.payload["lottery"]),
        pids=[row["id"] for row in commitment.payload["pool"]],
        commitment_digest=commitment.digest,
        seed=commitment.seed,
        reserve_size=3,
    )
    assert replay.panel == commitment.panel and replay.reserve == commitment.reserve
    recomputed = sortition.lottery_compute(
        pool.pool_candidates(pool.pool_volunteers(mandate)),
        pool.mandate_quotas(mandate),
        4,
    )
    assert recomputed.as_json() == commitment.payload["lottery"]


def test_drawing_twice_is_refused(recruiting, clerk, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    with pytest.raises(Conflict):
        draw.draw_run(mandate_id=mandate.pk, actor=clerk)
    assert Member.objects.count() == 4


def test_the_rerun_command_says_the_draw_matches(recruiting, clerk, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    out = io.StringIO()
    call_command("rerun_draw", str(mandate.pk), stdout=out)
    assert "MATCH" in out.getvalue()
    assert "lottery recomputed identically on this machine: yes" in out.getvalue()


def test_the_rerun_command_detects_a_tampered_result(recruiting, clerk, freeze, tmp_path) -> None:
    import json

    from assembly.selectors import draw_bundle

    mandate = recruiting(BALANCED_POOL)
    commitment = publish_and_draw(mandate, clerk, freeze)
    outsider = next(
        row["id"] for row in commitment.payload["pool"] if row["id"] not in commitment.panel
    )
    # The database refuses a changed panel (see test_public_seed): the tampering is in a copy.
    bundle = draw_bundle(commitment)
    bundle["panel"] = sorted([*commitment.panel[1:], outsider])
    path = tmp_path / "tirage.json"
    path.write_text(json.dumps(bundle))
    with pytest.raises(CommandError, match="MISMATCH"):
        call_command("rerun_draw", "--bundle", str(path), "--no-recompute", stdout=io.StringIO())


def test_the_rerun_command_reads_a_downloaded_bundle(
    recruiting, clerk, freeze, client, tmp_path
) -> None:
    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    bundle = tmp_path / "tirage.json"
    bundle.write_bytes(client.get(f"/assembly/{mandate.pk}/tirage.json").content)
    out = io.StringIO()
    call_command("rerun_draw", "--bundle", str(bundle), "--no-recompute", stdout=out)
    assert "MATCH" in out.getvalue()


def test_the_rerun_command_refuses_an_undrawn_mandate(recruiting, clerk) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitments.commitment_publish(
        mandate_id=mandate.pk,
        actor=clerk,
        seed_expected_at=timezone.now() + timedelta(days=1),
    )
    with pytest.raises(CommandError, match="seed"):
        call_command("rerun_draw", str(mandate.pk), stdout=io.StringIO())


# --- Replacement --------------------------------------------------------------------------------


def test_a_member_who_leaves_is_replaced_by_the_first_reserve_that_keeps_the_quotas(
    recruiting, clerk, freeze
) -> None:
    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    leaving = (
        Member.objects.filter(mandate=mandate, volunteer__features__genre="f")
        .select_related("volunteer")
        .first()
    )
    assert leaving is not None
    reserves = list(
        Reserve.objects.filter(mandate=mandate).order_by("rank").select_related("volunteer")
    )
    staying = [
        m.volunteer.features
        for m in Member.objects.filter(mandate=mandate)
        .exclude(pk=leaving.pk)
        .select_related("volunteer")
    ]
    quotas = pool.mandate_quotas(mandate)

    def keeps(r: Reserve) -> bool:
        panel = {str(i): f for i, f in enumerate([*staying, r.volunteer.features])}
        return not sortition.quota_violations(list(panel), panel, quotas)

    expected = next((r for r in reserves if keeps(r)), reserves[0])
    draw.member_leave(member_id=leaving.pk, actor=clerk, reason="déménagement")
    leaving.refresh_from_db()
    assert leaving.status == MemberStatus.REPLACED
    assert leaving.replaced_by is not None
    replacement = leaving.replaced_by
    assert replacement.volunteer_id == expected.volunteer_id
    assert replacement.seat == leaving.seat
    assert replacement.source == MemberSource.RESERVE
    assert Reserve.objects.get(pk=expected.pk).status == ReserveStatus.CALLED
    entry = AuditEntry.objects.get(verb="assembly.member_leave")
    assert entry.after["quotas_kept"] is keeps(expected)
    assert Member.objects.filter(mandate=mandate, status=MemberStatus.ACTIVE).count() == 4


def test_when_no_reserve_keeps_the_quotas_the_first_reserve_is_called_and_it_is_audited(
    seated, clerk
) -> None:
    from tests.assembly.factories import VolunteerFactory

    mandate, members = seated(members=2)
    feature = mandate.features.create(key="genre", label="Genre", kind=FeatureKind.GENDER)
    feature.quotas.create(value="f", label="F", min=1, max=1)
    feature.quotas.create(value="m", label="M", min=1, max=1)
    members[0].volunteer.features = {"genre": "f"}
    members[0].volunteer.save()
    members[1].volunteer.features = {"genre": "m"}
    members[1].volunteer.save()
    reserve = Reserve.objects.create(
        mandate=mandate,
        volunteer=VolunteerFactory(mandate=mandate, features={"genre": "m"}),
        rank=1,
    )
    draw.member_leave(member_id=members[0].pk, actor=clerk)
    members[0].refresh_from_db()
    assert members[0].replaced_by is not None
    assert members[0].replaced_by.volunteer_id == reserve.volunteer_id
    assert AuditEntry.objects.get(verb="assembly.member_leave").after["quotas_kept"] is False


def test_when_the_reserve_is_exhausted_the_seat_stays_vacant(seated, clerk) -> None:
    _mandate, members = seated(members=2)
    draw.member_leave(member_id=members[0].pk, actor=clerk)
    members[0].refresh_from_db()
    assert members[0].status == MemberStatus.LEFT
    assert members[0].replaced_by is None


def test_a_member_who_already_left_cannot_leave_again(seated, clerk) -> None:
    _mandate, members = seated(members=2)
    draw.member_leave(member_id=members[0].pk, actor=clerk)
    with pytest.raises(InvalidTransition):
        draw.member_leave(member_id=members[0].pk, actor=clerk)
    with pytest.raises(NotFound):
        draw.member_leave(member_id=999999, actor=clerk)


def test_the_standalone_tool_replays_a_downloaded_bundle_without_django(
    recruiting, clerk, freeze, client, tmp_path
) -> None:
    import subprocess
    import sys
    from pathlib import Path

    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    bundle = tmp_path / "tirage.json"
    bundle.write_bytes(client.get(f"/assembly/{mandate.pk}/tirage.json").content)
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE: the tool must not need Django
    done = subprocess.run(
        [sys.executable, str(root / "tools" / "rerun_draw.py"), str(bundle)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MATCH" in done.stdout and "recomputed identically on this machine: yes" in done.stdout
    import json

    data = json.loads(bundle.read_text())
    data["panel"] = sorted([*data["panel"][1:], data["reserve"][0]])  # a swapped member
    bundle.write_text(json.dumps(data))
    done = subprocess.run(
        [sys.executable, str(root / "tools" / "rerun_draw.py"), str(bundle), "--no-recompute"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1 and "MISMATCH" in done.stdout


def test_a_mandate_closes_only_without_pending_sessions(seated, clerk) -> None:
    from assembly.models import SessionStatus
    from tests.assembly.factories import SessionFactory

    mandate, members = seated(members=2)
    Volunteer.objects.filter(pk=members[0].volunteer_id).update(email="a@example.org", phone="0600")
    session = SessionFactory(mandate=mandate, status=SessionStatus.PUBLISHED)
    with pytest.raises(Conflict) as exc:
        composition.mandate_close(mandate_id=mandate.pk, actor=clerk)
    assert exc.value.code == "sessions_pending"
    session.status = SessionStatus.CLOSED
    session.save()
    assert (
        composition.mandate_close(mandate_id=mandate.pk, actor=clerk).status == MandateStatus.CLOSED
    )
    with pytest.raises(InvalidTransition):
        composition.mandate_close(mandate_id=mandate.pk, actor=clerk)

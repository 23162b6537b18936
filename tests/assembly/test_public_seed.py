"""The sortition's seed comes from a public source fixed in advance (issue 17, finding 8).

- The commitment names a future drand round (League of Entropy, quicknet); once the round is
  produced, the draw reads its randomness from every configured relay (here two local relays, see
  `tests.assembly.drand_relay`) and derives the ticket from the commitment and that randomness.
  Nobody types a seed: the desk and the API have no seed field and refuse one.
- The database keeps one seed per draw: the round is fixed at commitment, the seed is the SHA-256
  of the round's signature, and neither it nor the result changes afterwards.
- The rerun checks fairness too: each volunteer's exact probability under the committed lottery
  against the algorithm's promise, and many simulated draws against those probabilities.
- An invitation batch publishes the digest of its seed before its sample is drawn; the draw
  checks the seed against it, and the database keeps them together.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from assembly import sortition
from assembly.models import DrawCommitment, Invitation, InvitationBatch, Member
from assembly.selectors import draw_bundle
from assembly.services import commitment as commitments
from assembly.services import draw, recruitment
from assembly.sortition import beacon
from assembly.sortition.fairness import fairness_check
from civic.errors import Conflict, RuleViolation
from civic.models import AuditEntry
from tests.assembly.conftest import BALANCED_POOL, publish_and_draw
from tests.assembly.drand_relay import RECORDED_ROUND, Relays, synthetic_round
from tests.assembly.test_composition import _recruiting_with_register

pytestmark = pytest.mark.django_db


def _committed(recruiting: Any, clerk: Any, freeze: Any) -> tuple[Any, DrawCommitment, Any]:
    mandate = recruiting(BALANCED_POOL)
    start = timezone.now()
    freeze(start)
    commitment = commitments.commitment_publish(
        mandate_id=mandate.pk, actor=clerk, seed_expected_at=start + timedelta(days=2)
    )
    return mandate, commitment, start


# --- The seed: a public round named in advance ---------------------------------------------------


def test_the_commitment_names_a_future_drand_round(recruiting, clerk, freeze) -> None:
    _mandate, commitment, start = _committed(recruiting, clerk, freeze)
    named = commitment.payload["beacon"]
    assert named["chain_hash"] == beacon.QUICKNET.hash and named["network"] == "drand"
    assert named["round"] == commitment.beacon_round
    # The first round after the date the clerk gave: produced after the publication.
    assert commitment.seed_expected_at == beacon.round_time(beacon.QUICKNET, named["round"])
    assert start + timedelta(days=2) <= commitment.seed_expected_at
    assert commitment.seed_expected_at - (start + timedelta(days=2)) <= timedelta(seconds=3)
    assert f"round {named['round']}" in commitment.seed_source
    assert commitment.digest == sortition.commitment_digest(commitment.payload)


def test_the_draw_takes_its_seed_from_the_relays_and_derives_the_ticket_from_the_commitment(
    recruiting, clerk, freeze, drand: Relays
) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitment = publish_and_draw(mandate, clerk, freeze)
    served = synthetic_round(commitment.beacon_round)
    assert commitment.seed == served["randomness"]
    assert commitment.beacon_signature == served["signature"]
    assert {p.split("/")[1] for p in drand.requests} == {"relay-a", "relay-b"}
    digest = hashlib.sha256(f"{commitment.digest}\n{commitment.seed}".encode()).digest()
    assert commitment.ticket == int.from_bytes(digest, "big") % sortition.LOTTERY_TICKETS
    entry = AuditEntry.objects.get(verb="assembly.draw_run")
    assert entry.after["beacon_round"] == commitment.beacon_round


def test_the_draw_cannot_run_before_the_round_is_produced(
    recruiting, clerk, freeze, drand: Relays
) -> None:
    mandate, commitment, _start = _committed(recruiting, clerk, freeze)
    freeze(commitment.seed_expected_at - timedelta(seconds=1))
    with pytest.raises(RuleViolation) as exc:
        draw.draw_run(mandate_id=mandate.pk, actor=clerk)
    assert exc.value.code == "seed_not_yet_public"
    assert drand.requests == [] and not Member.objects.exists()
    # Even asked directly, the beacon client refuses a round not yet due.
    with pytest.raises(beacon.BeaconError) as early:
        beacon.beacon_fetch(
            beacon.QUICKNET,
            commitment.beacon_round,
            relays=["http://unused"],
            timeout=1,
            now=timezone.now(),
        )
    assert early.value.code == "beacon_not_due"


@pytest.mark.parametrize(
    ("fault", "code"), [("lying", "beacon_disagreement"), ("down", "beacon_unavailable")]
)
def test_relays_that_disagree_or_fail_stop_the_draw(
    recruiting, clerk, freeze, drand: Relays, fault: str, code: str
) -> None:
    mandate, commitment, _start = _committed(recruiting, clerk, freeze)
    getattr(drand, fault).add("relay-b")
    freeze(commitment.seed_expected_at + timedelta(seconds=1))
    with pytest.raises(Conflict) as exc:
        draw.draw_run(mandate_id=mandate.pk, actor=clerk)
    assert exc.value.code == code
    commitment.refresh_from_db()
    assert commitment.seed == "" and not Member.objects.exists()
    getattr(drand, fault).clear()  # the relays agree again: the same round, the draw runs
    assert (
        draw.draw_run(mandate_id=mandate.pk, actor=clerk).seed
        == (synthetic_round(commitment.beacon_round)["randomness"])
    )


def test_the_clerk_desk_has_no_seed_field_and_refuses_a_posted_seed(
    client, recruiting, clerk, freeze
) -> None:
    mandate, commitment, _start = _committed(recruiting, clerk, freeze)
    client.force_login(clerk)
    desk = f"/assembly/greffe/{mandate.pk}/"
    assert 'name="seed"' not in client.get(desk).content.decode()
    freeze(commitment.seed_expected_at + timedelta(seconds=1))
    chosen = "4 8 15 16 23 42"
    refused = client.post(desk, {"action": "draw", "seed": chosen}, follow=True)
    assert "L&#x27;aléa ne se saisit pas" in refused.content.decode()
    commitment.refresh_from_db()
    assert commitment.seed == "" and not Member.objects.exists()
    client.post(desk, {"action": "draw"})
    commitment.refresh_from_db()
    assert commitment.seed == synthetic_round(commitment.beacon_round)["randomness"]


def test_the_api_refuses_a_seed_in_the_draw_or_the_commitment(
    staff_api, recruiting, clerk, freeze
) -> None:
    mandate, commitment, _start = _committed(recruiting, clerk, freeze)
    clerk_api = staff_api("assembly_clerk")
    freeze(commitment.seed_expected_at + timedelta(seconds=1))
    run = f"/api/v1/assemblies/{mandate.pk}/draw/run/"
    refused = clerk_api.post(run, {"seed": "4 8 15 16 23 42"})
    assert (refused.status_code, refused.json()["code"]) == (400, "seed_not_accepted")
    other = recruiting(BALANCED_POOL)
    asked = clerk_api.post(
        f"/api/v1/assemblies/{other.pk}/commitment/",
        {
            "seed_source": "Loto",
            "seed_expected_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
    )
    assert (asked.status_code, asked.json()["code"]) == (400, "seed_not_accepted")
    drawn = clerk_api.post(run)
    assert drawn.status_code == 200
    assert drawn.json()["seed"] == synthetic_round(commitment.beacon_round)["randomness"]


# --- The database: one seed per draw, fixed at commitment ----------------------------------------


def _refused(**changes: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        DrawCommitment.objects.update(**changes)


def test_the_database_refuses_another_seed_or_result_for_a_drawn_commitment(
    recruiting, clerk, freeze
) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitment = publish_and_draw(mandate, clerk, freeze)
    other = synthetic_round(commitment.beacon_round + 1)
    _refused(seed=other["randomness"], beacon_signature=other["signature"])
    _refused(seed="", beacon_signature="", seed_recorded_at=None, ticket=None)
    _refused(panel=commitment.reserve[:4])
    with pytest.raises(IntegrityError), transaction.atomic():
        DrawCommitment.objects.filter(pk=commitment.pk).delete()
    assert DrawCommitment.objects.get().seed == commitment.seed


def test_the_database_fixes_the_round_at_commitment_and_the_seed_to_its_signature(
    recruiting, clerk, freeze
) -> None:
    _mandate, commitment, _start = _committed(recruiting, clerk, freeze)
    _refused(beacon_round=commitment.beacon_round + 100)
    _refused(seed_expected_at=commitment.seed_expected_at + timedelta(days=1))
    _refused(payload={**commitment.payload, "panel_size": 3})
    forged = synthetic_round(commitment.beacon_round)
    # A randomness that is not the SHA-256 of the signature beside it.
    _refused(
        seed=hashlib.sha256(b"chosen").hexdigest(),
        beacon_signature=forged["signature"],
        seed_recorded_at=timezone.now(),
        ticket=1,
    )
    _refused(seed="4 8 15 16 23 42", seed_recorded_at=timezone.now(), ticket=1)


# --- The rerun checks fairness --------------------------------------------------------------------


def test_the_rerun_reports_each_volunteers_chance_against_the_promise(
    recruiting, clerk, freeze
) -> None:
    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    out = io.StringIO()
    call_command("rerun_draw", str(mandate.pk), "--no-recompute", stdout=out)
    text = out.getvalue()
    assert "seed is the randomness of the public round named in advance: yes" in text
    assert "each volunteer's chance keeps the algorithm's promise: yes" in text
    assert "smallest selection probability" in text and "simulated draws" in text
    assert "MATCH: " in text


def test_exact_probabilities_and_simulated_draws_agree_with_the_promise(
    recruiting, clerk, freeze
) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitment = publish_and_draw(mandate, clerk, freeze)
    report = fairness_check(commitment.payload, digest=commitment.digest)
    assert report.ok, report.problems
    promise = commitment.payload["promise"]
    assert min(report.exact.values()) >= promise["maximin"] - 4 / sortition.LOTTERY_TICKETS
    for pid, p in report.exact.items():
        assert abs(report.simulated[pid] - p) < 0.02
    stored = dict(commitment.mandate.volunteers.values_list("pseudonym", "selection_probability"))
    assert report.exact == pytest.approx(stored)


def _unfair_but_reproducible_bundle(commitment: DrawCommitment) -> dict[str, Any]:
    """The committed lottery with one volunteer left out of every panel (a panel of the pool that
    still meets the quotas takes those tickets), rehashed: digest, quotas and replay all match,
    only the promise is broken."""
    payload = json.loads(json.dumps(commitment.payload))
    victim = payload["pool"][0]["id"]
    pool = {row["id"]: row["features"] for row in payload["pool"]}
    quotas = [
        sortition.QuotaSpec(q["feature"], q["value"], q["min"], q["max"]) for q in payload["quotas"]
    ]
    without = [row for row in payload["lottery"] if victim not in row["panel"]]
    moved = sum(row["tickets"] for row in payload["lottery"] if victim in row["panel"])
    assert without and moved, "the victim is in some panels but not all"
    without[0]["tickets"] += moved
    payload["lottery"] = without
    assert all(not sortition.quota_violations(r["panel"], pool, quotas) for r in without)
    digest = sortition.commitment_digest(payload)
    round_ = synthetic_round(payload["beacon"]["round"])
    outcome = sortition.draw_select(
        lottery=sortition.Lottery.from_json(payload["lottery"]),
        pids=list(pool),
        commitment_digest=digest,
        seed=round_["randomness"],
        reserve_size=payload["reserve_size"],
    )
    return {
        "digest": digest,
        "payload": payload,
        "seed": round_["randomness"],
        "seed_recorded_at": None,
        "beacon": round_,
        "panel": outcome.panel,
        "reserve": outcome.reserve,
    }


def test_the_rerun_refuses_a_reproducible_draw_that_breaks_the_promise(
    recruiting, clerk, freeze
) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitment = publish_and_draw(mandate, clerk, freeze)
    bundle = _unfair_but_reproducible_bundle(commitment)
    report = sortition.bundle_rerun(bundle, recompute=False)
    assert report.digest_matches and report.lottery_sound
    assert report.panel_matches and report.reserve_matches and report.seed_from_beacon
    assert not report.fair and not report.ok
    victim = bundle["payload"]["pool"][0]["id"]
    assert any(victim in problem for problem in report.problems)


def test_the_rerun_refuses_a_typed_seed(recruiting, clerk, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    commitment = publish_and_draw(mandate, clerk, freeze)
    payload = {k: v for k, v in commitment.payload.items() if k != "beacon"}
    digest = sortition.commitment_digest(payload)
    outcome = sortition.draw_select(
        lottery=sortition.Lottery.from_json(payload["lottery"]),
        pids=[row["id"] for row in payload["pool"]],
        commitment_digest=digest,
        seed="4 8 15 16 23 42",
        reserve_size=payload["reserve_size"],
    )
    bundle = {
        "digest": digest,
        "payload": payload,
        "seed": "4 8 15 16 23 42",
        "panel": outcome.panel,
        "reserve": outcome.reserve,
    }
    report = sortition.bundle_rerun(bundle, recompute=False, simulated_draws=0)
    assert report.panel_matches and not report.seed_from_beacon and not report.ok
    # A seed other than the named round's randomness is caught as well.
    drawn = sortition.bundle_rerun(
        {**json.loads(json.dumps(_bundle_of(commitment))), "seed": "0" * 64},
        recompute=False,
        simulated_draws=0,
    )
    assert not drawn.seed_from_beacon


def _bundle_of(commitment: DrawCommitment) -> dict[str, Any]:
    return draw_bundle(commitment)


def test_a_recorded_quicknet_round_is_sound_and_a_tampered_one_is_not() -> None:
    number = RECORDED_ROUND["round"]
    assert beacon.beacon_problems(RECORDED_ROUND, expected_round=number) == []
    assert beacon.round_time(beacon.QUICKNET, number).timestamp() == 1692803367 + 3 * (number - 1)
    assert beacon.round_at(beacon.QUICKNET, beacon.round_time(beacon.QUICKNET, number)) == number
    tampered = {**RECORDED_ROUND, "randomness": hashlib.sha256(b"chosen").hexdigest()}
    assert "SHA-256 of its signature" in " ".join(
        beacon.beacon_problems(tampered, expected_round=number)
    )
    assert beacon.beacon_problems(RECORDED_ROUND, expected_round=number + 1)


# --- Invitations: the seed is committed before the sample ----------------------------------------


def test_an_invitation_batch_publishes_its_seed_digest_before_its_sample(clerk) -> None:
    mandate, entries = _recruiting_with_register(clerk, 12)
    batch = recruitment.invitations_commit(mandate_id=mandate.pk, actor=clerk, count=5)
    assert not Invitation.objects.exists() and batch.drawn_at is None
    assert batch.seed_digest == hashlib.sha256(batch.seed.encode()).hexdigest()
    committed = AuditEntry.objects.get(verb="assembly.invitations_commit")
    assert committed.after["seed_digest"] == batch.seed_digest
    assert batch.seed not in json.dumps(committed.after)  # the digest is published, not the seed
    recruitment.invitations_draw(batch_id=batch.pk, actor=clerk)
    invited = sorted(Invitation.objects.values_list("register_entry_id", flat=True))
    population = sorted(e.pk for e in entries)
    assert invited == sorted(random.Random(batch.seed).sample(population, 5))
    revealed = AuditEntry.objects.get(verb="assembly.invitations_draw").after
    assert hashlib.sha256(revealed["seed"].encode()).hexdigest() == committed.after["seed_digest"]
    with pytest.raises(Conflict) as again:
        recruitment.invitations_draw(batch_id=batch.pk, actor=clerk)
    assert again.value.code == "batch_drawn"


def test_the_database_keeps_an_invitation_seed_to_its_commitment(clerk) -> None:
    mandate, _entries = _recruiting_with_register(clerk, 6)
    batch = recruitment.invitations_commit(mandate_id=mandate.pk, actor=clerk, count=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationBatch.objects.filter(pk=batch.pk).update(seed="chosen")
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationBatch.objects.filter(pk=batch.pk).update(
            seed="chosen", seed_digest=hashlib.sha256(b"chosen").hexdigest()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationBatch.objects.create(
            mandate=mandate, seed="chosen", seed_digest="0" * 64, requested=1, population=6
        )
    recruitment.invitations_draw(batch_id=batch.pk, actor=clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationBatch.objects.filter(pk=batch.pk).update(drawn_at=timezone.now())


def test_the_invitation_draw_refuses_a_population_changed_since_the_commitment(clerk) -> None:
    from tests.factories import RegisterEntryFactory

    mandate, _entries = _recruiting_with_register(clerk, 6)
    batch = recruitment.invitations_commit(mandate_id=mandate.pk, actor=clerk, count=3)
    RegisterEntryFactory()  # one more elector, after the commitment
    with pytest.raises(Conflict) as exc:
        recruitment.invitations_draw(batch_id=batch.pk, actor=clerk)
    assert exc.value.code == "population_changed"
    assert not Invitation.objects.exists()


def test_the_clerk_desk_has_no_invitation_seed_field(client, clerk) -> None:
    mandate, _entries = _recruiting_with_register(clerk, 6)
    client.force_login(clerk)
    desk = f"/assembly/greffe/{mandate.pk}/"
    assert 'name="seed"' not in client.get(desk).content.decode()
    client.post(desk, {"action": "invitations", "count": 3, "seed": "chosen"})
    assert not InvitationBatch.objects.exists()
    client.post(desk, {"action": "invitations", "count": 3})
    batch = InvitationBatch.objects.get()
    assert batch.seed != "chosen" and batch.seed_digest in client.get(desk).content.decode()


def test_no_public_page_tells_citizens_to_run_manage_py(client, recruiting, clerk, freeze) -> None:
    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    page = client.get(f"/assembly/{mandate.pk}/").content.decode()
    assert "manage.py" not in page
    assert "tirage.json" in page or "données publiques du tirage" in page


def test_the_deploy_check_warns_of_a_single_or_plain_http_relay(settings) -> None:
    from assembly.checks import check_drand_relays

    settings.ASSEMBLY_DRAND_RELAYS = ["http://relay.example"]
    assert {w.id for w in check_drand_relays()} == {"civic.W070", "civic.W071"}
    settings.ASSEMBLY_DRAND_RELAYS = ["https://api.drand.sh", "https://drand.cloudflare.com"]
    assert check_drand_relays() == []

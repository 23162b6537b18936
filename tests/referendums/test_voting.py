import json

import pytest

from civic.errors import Conflict, NotEligible, NotVerified
from referendums.models import Ballot, Campaign, Participation, ReceiptHash, SealingKey
from referendums.sealing import receipt_digest, unseal, unwrap_key
from referendums.services.tally import tally_compute
from referendums.services.voting import ballot_cast, receipt_check
from tests.factories import RegisterEntryFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_casting_records_one_participation_one_ballot_and_returns_a_receipt(open_vote):
    vote = open_vote(voters=1)
    result = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes")
    )
    assert Participation.objects.filter(campaign=vote.campaign).count() == 1
    ballot = Ballot.objects.get(campaign=vote.campaign)
    assert json.loads(ballot.choices) == {vote.question_id: "o1"}
    assert not result.revote
    assert ReceiptHash.objects.filter(
        campaign=vote.campaign, digest=receipt_digest(vote.campaign.pk, result.receipt)
    ).exists()


def test_voting_again_replaces_the_ballot_and_supersedes_the_receipt(open_vote):
    vote = open_vote(voters=1)
    first = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes")
    )
    second = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("no")
    )
    assert second.revote
    assert Participation.objects.filter(campaign=vote.campaign).count() == 1
    ballots = list(Ballot.objects.filter(campaign=vote.campaign))
    assert [json.loads(b.choices)[vote.question_id] for b in ballots] == ["o2"]
    live = dict(
        ReceiptHash.objects.filter(campaign=vote.campaign).values_list("digest", "superseded")
    )
    # The old receipt stays (the published box lists it), marked superseded internally.
    assert live == {
        receipt_digest(vote.campaign.pk, second.receipt): False,
        receipt_digest(vote.campaign.pk, first.receipt): True,
    }


def test_the_sealed_reference_opens_only_with_the_campaign_key(open_vote):
    vote = open_vote(voters=1)
    result = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes")
    )
    participation = Participation.objects.get(campaign=vote.campaign)
    key_row = SealingKey.objects.get(campaign=vote.campaign)
    opened = unseal(
        unwrap_key(vote.campaign.pk, key_row.wrapped_key),
        vote.campaign.pk,
        participation.sealed_ref,
    )
    assert opened.ballot_id == Ballot.objects.get(campaign=vote.campaign).pk
    assert opened.receipt_digest == receipt_digest(vote.campaign.pk, result.receipt)
    from referendums.sealing import SealBroken

    with pytest.raises(SealBroken):
        unseal(b"\0" * 32, vote.campaign.pk, participation.sealed_ref)
    with pytest.raises(SealBroken):
        unseal(
            unwrap_key(vote.campaign.pk, key_row.wrapped_key),
            vote.campaign.pk + 1,
            participation.sealed_ref,
        )


def test_an_elector_outside_the_frozen_electorate_is_refused_with_the_rule(open_vote):
    vote = open_vote(voters=1)
    late = ResidentFactory()  # registered after the freeze
    with pytest.raises(NotEligible) as exc:
        ballot_cast(campaign_id=vote.campaign.pk, user=late, choices=vote.choices("yes"))
    assert exc.value.code == "not_in_electorate"
    assert exc.value.rule == "CGCT LO1112-11, L1112-22"
    assert not Ballot.objects.filter(campaign=vote.campaign).exists()


def test_a_resident_who_is_not_an_elector_is_not_in_the_electorate(db, open_vote):
    resident = ResidentFactory(register_entry=RegisterEntryFactory(resident_only=True))
    vote = open_vote(voters=1)
    with pytest.raises(NotEligible):
        ballot_cast(campaign_id=vote.campaign.pk, user=resident, choices=vote.choices("yes"))


def test_an_unverified_account_cannot_vote(open_vote):
    vote = open_vote(voters=1)
    with pytest.raises(NotVerified):
        ballot_cast(campaign_id=vote.campaign.pk, user=UserFactory(), choices=vote.choices("yes"))


def test_invalid_choices_are_refused(open_vote):
    vote = open_vote(voters=1)
    for bad in (
        {vote.question_id: "maybe"},
        {},
        {"999999": "yes"},
        {vote.question_id: "yes", "0": "no"},
    ):
        with pytest.raises(Exception) as exc:
            ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=bad)
        assert getattr(exc.value, "code", None) == "invalid_choices"
    assert not Participation.objects.filter(campaign=vote.campaign).exists()


def test_no_ballot_is_accepted_at_or_after_the_closing_instant_even_if_the_clock_job_is_late(
    open_vote, freeze
):
    vote = open_vote(voters=1)
    freeze(vote.campaign.voting_closes_at)  # the beat has not run: status is still "voting"
    with pytest.raises(Conflict) as exc:
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    assert exc.value.code == "voting_not_open"


def test_no_ballot_before_the_vote_opens(db):
    from tests.referendums.factories import CampaignFactory

    campaign = CampaignFactory(status="scheduled")
    voter = ResidentFactory()
    with pytest.raises(Conflict):
        ballot_cast(
            campaign_id=campaign.pk, user=voter, choices={str(campaign.questions.get().pk): "yes"}
        )


def test_the_ballot_table_has_nothing_that_links_it_to_a_voter():
    fields = {f.name for f in Ballot._meta.get_fields()}
    assert fields == {"id", "campaign", "choices", "district_code"}
    assert Ballot._meta.pk.name == "id" and Ballot._meta.pk.get_internal_type() == "UUIDField"
    assert not Ballot._meta.ordering
    receipt_fields = {f.name for f in ReceiptHash._meta.get_fields()}
    assert receipt_fields == {
        "id",
        "campaign",
        "digest",
        "superseded",
        "checkable_until",
        "checks_left",
    }
    assert ReceiptHash._meta.pk.get_internal_type() == "UUIDField"
    participation_fields = {f.name for f in Participation._meta.get_fields()}
    assert "ballot" not in participation_fields and "choices" not in participation_fields


def test_the_close_destroys_the_key_and_every_seal_before_counting(open_vote, close_vote):
    vote = open_vote(voters=3)
    for i, choice in enumerate(["yes", "no", "yes"]):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices(choice))
    ids_before = set(Ballot.objects.filter(campaign=vote.campaign).values_list("id", flat=True))
    campaign = close_vote(vote.campaign)
    assert not SealingKey.objects.filter(campaign=campaign).exists()
    assert not Participation.objects.filter(campaign=campaign, sealed_ref__isnull=False).exists()
    # Ballots were re-keyed: no id that existed while the vote was open survives.
    ids_after = set(Ballot.objects.filter(campaign=campaign).values_list("id", flat=True))
    assert len(ids_after) == 3 and not ids_before & ids_after
    counts = {o["key"]: o["count"] for o in campaign.results["questions"][0]["options"]}
    assert counts == {"o1": 2, "o2": 1}
    assert campaign.results["ballots"] == campaign.results["participations"] == 3


def test_the_tally_refuses_while_a_sealed_reference_remains(open_vote):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    with pytest.raises(Conflict) as exc:
        tally_compute(campaign=vote.campaign)
    assert exc.value.code == "seals_remaining"
    SealingKey.objects.filter(campaign=vote.campaign).delete()
    with pytest.raises(Conflict):  # the participation still holds its seal
        tally_compute(campaign=vote.campaign)


def test_the_tally_refuses_when_ballots_and_participations_differ(open_vote):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    SealingKey.objects.filter(campaign=vote.campaign).delete()
    Participation.objects.update(sealed_ref=None)
    Ballot.objects.create(campaign=vote.campaign, choices=json.dumps({vote.question_id: "o2"}))
    with pytest.raises(Conflict) as exc:
        tally_compute(campaign=vote.campaign)
    assert exc.value.code == "ballots_participations_mismatch"


def test_receipts_are_checked_right_after_the_cast_and_no_longer_after_the_close(
    open_vote, close_vote
):
    vote = open_vote(voters=2)
    mine = ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes")
    )
    assert receipt_check(campaign_id=vote.campaign.pk, code=mine.receipt.lower().replace("-", ""))
    assert not receipt_check(campaign_id=vote.campaign.pk, code="AAAA-BBBB-CCCC-DDDD-EEEE")
    close_vote(vote.campaign)
    with pytest.raises(Conflict) as exc:
        receipt_check(campaign_id=vote.campaign.pk, code=mine.receipt)
    assert exc.value.code == "receipt_not_checkable"


def test_per_district_results_suppress_small_cells(open_vote, close_vote, settings):
    settings.SMALL_CELL_THRESHOLD = 3
    vote = open_vote(voters=8, districts=2)  # 4 electors per district
    # district A (voters 0,2,4,6): yes, yes, yes, no ; district B (1,3,5,7): yes x4
    for i in range(8):
        choice = "no" if i == 6 else "yes"
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices(choice))
    campaign = close_vote(vote.campaign)
    rows = {d["code"]: d for d in campaign.results["districts"]}
    a = {o["key"]: o for o in rows[vote.districts[0].code]["questions"][0]["options"]}
    b = {o["key"]: o for o in rows[vote.districts[1].code]["questions"][0]["options"]}
    # "no"=1 in A is below 3: hidden, and so are enough other cells that it cannot be derived.
    assert a["o2"]["suppressed"] and a["o2"]["count"] is None
    assert a["o1"]["suppressed"]
    assert b["o2"]["suppressed"] and b["o1"]["suppressed"]
    assert all(o["count"] is not None for o in campaign.results["questions"][0]["options"])


def test_a_district_too_small_keeps_no_district_on_its_ballots(open_vote, settings):
    settings.SMALL_CELL_THRESHOLD = 5
    vote = open_vote(voters=2)  # a district of 2 electors
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    assert Ballot.objects.get(campaign=vote.campaign).district_code is None


def test_the_personal_data_export_says_when_not_what(open_vote):
    from referendums.selectors import personal_data_export

    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    export = personal_data_export(user=vote.voters[0])
    assert export["participations"][0]["campaign"] == vote.campaign.pk
    assert "yes" not in json.dumps(export, default=str)


def test_cancelling_an_open_vote_discards_ballots_unseen(open_vote, staff_api):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    response = staff_api("campaign_manager").post(f"/api/v1/referendums/{vote.campaign.pk}/cancel/")
    assert response.status_code == 200, response.content
    assert not Ballot.objects.filter(campaign=vote.campaign).exists()
    assert not SealingKey.objects.filter(campaign=vote.campaign).exists()
    assert Campaign.objects.get(pk=vote.campaign.pk).results is None


def test_the_participation_locking_query_is_the_only_lock_on_postgresql():
    # Documentation test: the cast takes a shared advisory lock, never a row lock on the campaign.
    from referendums import store

    assert store.LOCK_NAMESPACE


def test_turnout_slots_count_each_voter_once_whatever_the_revotes(open_vote):
    from referendums.services.tally import participations_by_district

    vote = open_vote(voters=2)
    for _ in range(3):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[1], choices=vote.choices("no"))
    assert participations_by_district(vote.campaign) == {vote.districts[0].code: 2}


def test_the_close_refuses_to_count_when_the_turnout_slots_drift(open_vote, freeze):
    from datetime import timedelta

    from django.db.models import F

    from referendums.models import TurnoutSlot
    from referendums.services.campaigns import voting_close_due

    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    TurnoutSlot.objects.filter(campaign=vote.campaign, slot=0).update(
        participations=F("participations") + 1
    )
    freeze(vote.campaign.voting_closes_at + timedelta(seconds=1))
    with pytest.raises(Conflict) as exc:
        voting_close_due(campaign_id=vote.campaign.pk)
    assert exc.value.code == "turnout_drift"
    vote.campaign.refresh_from_db()
    assert vote.campaign.status == "voting"  # rolled back whole: seals intact, nothing counted
    assert Participation.objects.filter(sealed_ref__isnull=False).count() == 1


def test_a_refused_close_is_reported_and_does_not_stop_the_clock_job(open_vote, freeze):
    from datetime import timedelta

    from django.db.models import F

    from referendums.models import TurnoutSlot
    from referendums.services.campaigns import campaigns_advance

    stuck, fine = open_vote(voters=1), open_vote(voters=1)
    TurnoutSlot.objects.filter(campaign=stuck.campaign, slot=0).update(
        participations=F("participations") + 1
    )
    freeze(
        max(stuck.campaign.voting_closes_at, fine.campaign.voting_closes_at) + timedelta(seconds=1)
    )
    assert campaigns_advance()["closed"] == 1
    fine.campaign.refresh_from_db()
    stuck.campaign.refresh_from_db()
    assert (fine.campaign.status, stuck.campaign.status) == ("closed", "voting")


def test_a_cast_runs_a_fixed_number_of_queries(open_vote, django_assert_max_num_queries):
    """Constant work per cast, whatever the size of the electorate or of the ballot box."""
    vote = open_vote(voters=3)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[2], choices=vote.choices("no"))
    # The state query (which takes the lock) and one statement for the four writes (+ savepoints
    # around the test's transaction).
    with django_assert_max_num_queries(5):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    # + lock the participation, delete the old ballot, supersede the old receipt: each statement
    # holds the voter or the choice, never both (the first-vote attempt is two statements).
    with django_assert_max_num_queries(14):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("no"))


def test_who_voted_is_purged_after_the_retention_period_and_results_stay(
    open_vote, close_vote, freeze
):
    from datetime import timedelta

    from referendums.models import ElectorateMember
    from referendums.services.campaigns import campaign_publish_results, personal_data_purge_due
    from tests.factories import StaffFactory

    vote = open_vote(voters=2)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    close_vote(vote.campaign)
    campaign = campaign_publish_results(
        campaign_id=vote.campaign.pk, actor=StaffFactory(role="campaign_manager")
    )
    freeze(campaign.published_at + timedelta(days=campaign.retention_days - 1))
    assert personal_data_purge_due() == 0
    assert Participation.objects.filter(campaign=campaign).count() == 1
    freeze(campaign.published_at + timedelta(days=campaign.retention_days, seconds=1))
    assert personal_data_purge_due() == 1
    assert personal_data_purge_due() == 0  # once
    assert not Participation.objects.filter(campaign=campaign).exists()
    assert not ElectorateMember.objects.filter(campaign=campaign).exists()
    campaign.refresh_from_db()
    assert campaign.results["participations"] == 1
    assert Ballot.objects.filter(campaign=campaign).count() == 1


def test_the_one_statement_write_refuses_a_campaign_that_stopped_voting(open_vote):
    import uuid

    from django.utils import timezone

    from referendums.store import first_vote_write

    vote = open_vote(voters=1)
    Campaign.objects.filter(pk=vote.campaign.pk).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    written = first_vote_write(
        campaign_id=vote.campaign.pk,
        entry_id=vote.voters[0].register_entry_id,
        now=timezone.now(),
        sealed_ref="x",
        slot=0,
        ballot_id=uuid.uuid4(),
        choices="{}",
        digest="0" * 64,
        checkable_until=timezone.now(),
        checks=3,
        small_cell=10,
    )
    assert (written.open, written.created) == (False, False)
    assert not Participation.objects.exists() and not Ballot.objects.exists()


def test_a_vote_missing_its_turnout_slots_refuses_every_cast_whole(open_vote):
    from referendums.models import ReceiptHash, TurnoutSlot

    vote = open_vote(voters=2)
    TurnoutSlot.objects.filter(campaign=vote.campaign).delete()
    # The first cast reads the campaign afresh; on PostgreSQL the second one takes the one-statement
    # path with this process's memo of the campaign.
    for voter in vote.voters:
        with pytest.raises(Conflict) as exc:
            ballot_cast(campaign_id=vote.campaign.pk, user=voter, choices=vote.choices("yes"))
        assert exc.value.code == "cast_incomplete"
    assert not Participation.objects.filter(campaign=vote.campaign).exists()
    assert not Ballot.objects.filter(campaign=vote.campaign).exists()
    assert not ReceiptHash.objects.filter(campaign=vote.campaign).exists()

"""Personal data leave on time: each instrument's retention job, run as the beat runs it, at a frozen
instant, keeps 0 identities past the instrument's period, keeps the counts, and audits counts only.
Here: referendums and the assembly, and each resident's own export; petitions' per-instrument purge
of signer identities is tested with the petitions (tests/petitions/test_retention.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from civic.models import AuditEntry
from referendums.models import Campaign, ElectorateMember, Participation
from referendums.services.campaigns import campaign_publish_results
from referendums.services.voting import ballot_cast
from referendums.tasks import purge_personal_data
from tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def voted_and_published(open_vote, close_vote, voters: int = 2) -> Campaign:  # type: ignore[no-untyped-def]
    vote = open_vote(voters=voters)
    for voter in vote.voters:
        ballot_cast(campaign_id=vote.campaign.pk, user=voter, choices=vote.choices("yes"))
    close_vote(vote.campaign)
    return campaign_publish_results(
        campaign_id=vote.campaign.pk, actor=StaffFactory(role="campaign_manager")
    )


def identities_past_their_period(now) -> int:  # type: ignore[no-untyped-def]
    """Participations and electorate rows of campaigns whose retention period has passed."""
    kept = 0
    for campaign in Campaign.objects.filter(published_at__isnull=False):
        if campaign.published_at + timedelta(days=campaign.retention_days) <= now:
            kept += Participation.objects.filter(campaign=campaign).count()
            kept += ElectorateMember.objects.filter(campaign=campaign).count()
    return kept


# --- referendums: who voted and the frozen electorate --------------------------------------------


def test_the_beat_runs_the_referendum_purge_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE["referendums-purge"]
    assert entry["task"] == purge_personal_data.name == "referendums.tasks.purge_personal_data"


def test_no_voter_identity_is_kept_past_the_referendum_retention_period(
    open_vote, close_vote, freeze
):
    early = voted_and_published(open_vote, close_vote)
    freeze(early.published_at + timedelta(days=10))
    late = voted_and_published(open_vote, close_vote)
    results_before = Campaign.objects.get(pk=early.pk).results

    at = early.published_at + timedelta(days=early.retention_days, seconds=1)
    freeze(at)
    assert identities_past_their_period(timezone.now()) > 0
    assert purge_personal_data() == 1

    assert identities_past_their_period(timezone.now()) == 0
    assert not Participation.objects.filter(campaign=early).exists()
    # The later campaign's period has not passed: its lists stay.
    assert Participation.objects.filter(campaign=late).count() == 2
    early.refresh_from_db()
    assert early.results == results_before  # counts and results stay
    assert early.personal_data_purged_at == at


def test_the_referendum_purge_is_audited_with_counts_only_and_runs_once(
    open_vote, close_vote, freeze
):
    campaign = voted_and_published(open_vote, close_vote, voters=3)
    freeze(campaign.published_at + timedelta(days=campaign.retention_days, seconds=1))
    assert purge_personal_data() == 1
    assert purge_personal_data() == 0
    entries = AuditEntry.objects.filter(verb="referendum.personal_data_purge")
    assert entries.count() == 1
    after = entries.get().after
    assert set(after) == {"participations", "electorate"}
    assert all(isinstance(v, int) for v in after.values())
    assert after["participations"] == 3


def test_the_referendum_purge_waits_for_the_whole_period(open_vote, close_vote, freeze):
    campaign = voted_and_published(open_vote, close_vote)
    freeze(campaign.published_at + timedelta(days=campaign.retention_days) - timedelta(seconds=1))
    assert purge_personal_data() == 0
    assert Participation.objects.filter(campaign=campaign).count() == 2


def test_a_vote_whose_results_are_not_published_keeps_its_lists(open_vote, close_vote, freeze):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("no"))
    close_vote(vote.campaign)  # closed, results not yet published (a challenge may be pending)
    freeze(timezone.now() + timedelta(days=3650))
    assert purge_personal_data() == 0
    assert Participation.objects.filter(campaign=vote.campaign).count() == 1


def test_a_voter_exports_their_participation_until_it_is_purged(open_vote, close_vote, freeze):
    from referendums.selectors import personal_data_export

    campaign = voted_and_published(open_vote, close_vote, voters=1)
    from civic.models import User

    entry_id = Participation.objects.get(campaign=campaign).register_entry_id
    voter = User.objects.get(register_entry_id=entry_id)
    assert len(personal_data_export(user=voter)["participations"]) == 1
    freeze(campaign.published_at + timedelta(days=campaign.retention_days, seconds=1))
    purge_personal_data()
    assert personal_data_export(user=voter)["participations"] == []


# --- assembly: volunteers' contact details ----------------------------------------------------------


def test_closing_a_mandate_erases_every_volunteers_contact_details_and_audits_the_count():
    from assembly.models import MandateStatus, Volunteer
    from assembly.services.composition import mandate_close
    from tests.assembly.factories import MandateFactory, VolunteerFactory

    mandate = MandateFactory(status=MandateStatus.SEATED)
    for i in range(3):
        VolunteerFactory(mandate=mandate, email=f"v{i}@example.org", phone="0600000000")
    other = VolunteerFactory(email="keep@example.org")  # another mandate, still running
    mandate_close(mandate_id=mandate.pk, actor=StaffFactory(role="assembly_clerk"))
    assert not Volunteer.objects.filter(mandate=mandate).exclude(email="", phone="").exists()
    other.refresh_from_db()
    assert other.email == "keep@example.org"
    after = AuditEntry.objects.get(verb="assembly.mandate_close").after
    assert after["contacts_erased"] == 3


def test_volunteers_not_drawn_are_purged_after_the_mandate():
    from assembly.models import MandateStatus, Volunteer
    from assembly.services.composition import mandate_close
    from tests.assembly.factories import MandateFactory, VolunteerFactory

    mandate = MandateFactory(status=MandateStatus.SEATED)
    VolunteerFactory(mandate=mandate)
    mandate_close(mandate_id=mandate.pk, actor=StaffFactory(role="assembly_clerk"))
    # Deleted, or kept as pseudonym and features only (so the published draw can be rerun).
    assert not Volunteer.objects.filter(
        mandate=mandate, member__isnull=True, register_entry__isnull=False
    ).exists()


# --- petitions: signature identities ----------------------------------------------------------------


def test_no_signature_identity_is_kept_past_the_petitions_retention_period(freeze):
    from petitions.models import InstrumentType, Obligation, ObligationStatus, Signature, Status
    from petitions.services.retention import signatures_purge_due
    from petitions.services.signatures import signature_sign
    from tests.petitions.factories import InitiativeFactory

    initiative = InitiativeFactory(collecting=True)
    for resident in ResidentFactory.create_batch(3):
        signature_sign(initiative_id=initiative.pk, user=resident)
    from petitions.services import initiative_close

    freeze(initiative.closes_at + timedelta(seconds=1))
    assert initiative_close(initiative_id=initiative.pk)
    Obligation.objects.filter(initiative=initiative).update(status=ObligationStatus.DONE)
    retention_days = max(InstrumentType.objects.values_list("retention_days", flat=True))
    freeze(initiative.closes_at + timedelta(days=retention_days, seconds=2))
    assert signatures_purge_due() == 1
    rows = Signature.objects.filter(initiative=initiative)
    assert not rows.filter(register_entry__isnull=False).exists()
    assert initiative.__class__.objects.get(pk=initiative.pk).status == Status.CLOSED


# --- the resident's own export ------------------------------------------------------------------------


@pytest.mark.parametrize("app", ["petitions", "referendums", "assembly"])
def test_every_instrument_exports_what_it_holds_on_a_resident(app, client):
    import importlib

    export = importlib.import_module(f"{app}.selectors").personal_data_export
    resident = ResidentFactory()
    assert isinstance(export(user=resident), dict)
    client.force_login(resident)
    response = client.get(reverse("my-data") + "?format=json")
    assert response.status_code == 200
    assert app in response.json()


def test_a_visitor_gets_no_personal_data_export(client):
    response = client.get(reverse("my-data") + "?format=json")
    assert response.status_code in (302, 401, 403)
    assert "register_entry" not in response.content.decode()


def test_a_resident_export_never_carries_another_residents_data(client):
    mine, theirs = ResidentFactory(), ResidentFactory()
    client.force_login(mine)
    body = client.get(reverse("my-data") + "?format=json").content.decode()
    assert theirs.email not in body
    assert theirs.register_entry.last_name not in body

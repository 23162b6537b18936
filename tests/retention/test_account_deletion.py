"""Account deletion (/me/delete/, civic/legal/deletion.py) under CIVIC-RULES' rule, per instrument:
what remains, which counts and results do not move, and that nothing leads from the deleted person
to a ballot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.urls import reverse

from assembly.models import Member
from assembly.selectors import personal_data_export
from civic.audit import actor_pseudonym, audit_verify
from civic.errors import PermissionDenied, RuleViolation
from civic.legal.deletion import account_delete
from civic.models import (
    ApiToken,
    AuditEntry,
    AuditIdentity,
    DeskRequest,
    Notification,
    OidcBindMethod,
    OidcIdentity,
    User,
)
from civic.notifications import notify
from civic.services.desk import desk_request_close
from petitions.models import Signature
from petitions.selectors import count_memo_forget, initiative_count
from petitions.services.counting import counts_fold
from petitions.services.deadlines import initiative_close
from petitions.services.signatures import signature_sign
from referendums.models import Ballot, Participation
from referendums.selectors import personal_data_export as referendum_export
from referendums.services.campaigns import campaign_publish_results
from referendums.services.voting import ballot_cast
from tests.assembly.factories import MemberFactory
from tests.factories import ResidentFactory, StaffFactory, api_key_for, enrol_second_factor
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def _total(initiative_id: int) -> int:
    counts_fold()
    cache.clear()
    count_memo_forget()
    return initiative_count(initiative_id=initiative_id).total


def test_a_signature_on_an_open_collection_is_withdrawn_and_one_after_the_close_is_kept(freeze):
    resident, other = ResidentFactory(), ResidentFactory()
    closed = InitiativeFactory(collecting=True)
    for person in (resident, other):
        signature_sign(initiative_id=closed.pk, user=person)
    freeze(closed.closes_at + timedelta(seconds=1))
    assert initiative_close(initiative_id=closed.pk)
    still_open = InitiativeFactory(collecting=True)
    for person in (resident, other):
        signature_sign(initiative_id=still_open.pk, user=person)
    assert (_total(closed.pk), _total(still_open.pk)) == (2, 2)
    entry_id = resident.register_entry_id

    report = account_delete(user=resident, password=PASSWORD)

    assert report["petitions"] == {"signatures_withdrawn": 1, "signatures_kept": 1}
    # Open collection: withdrawn, the count drops by one. Closed: kept for the legal check, tied
    # to the register entry only, and the count does not change.
    assert not Signature.objects.filter(initiative=still_open, register_entry_id=entry_id).exists()
    assert Signature.objects.filter(initiative=closed, register_entry_id=entry_id).exists()
    assert (_total(closed.pk), _total(still_open.pk)) == (2, 1)
    tombstone = User.objects.get(pk=resident.pk)
    assert tombstone.register_entry_id is None and not tombstone.is_active
    assert tombstone.email.endswith("@deleted.invalid") and not tombstone.has_usable_password()


def test_a_cast_ballot_is_never_touched_nor_linked_to_the_deleted_person(open_vote, close_vote):
    vote = open_vote(voters=3)
    for voter in vote.voters:
        ballot_cast(campaign_id=vote.campaign.pk, user=voter, choices=vote.choices("yes"))
    leaving = vote.voters[0]
    entry_id = leaving.register_entry_id
    ballots_before = sorted(
        Ballot.objects.filter(campaign=vote.campaign).values_list("pk", flat=True)
    )
    assert Participation.objects.filter(campaign=vote.campaign).count() == 3

    report = account_delete(user=leaving, password=PASSWORD)

    assert "referendums" not in report or report["referendums"] == {}
    # The ballot box and the participation record (against double voting) are as they were.
    assert sorted(Ballot.objects.filter(campaign=vote.campaign).values_list("pk", flat=True)) == (
        ballots_before
    )
    assert Participation.objects.filter(campaign=vote.campaign, register_entry_id=entry_id).exists()
    # No path from the account: it holds no register entry, ballots and participations hold no
    # account, and the audit entry of the deletion names a pseudonym whose address is gone.
    tombstone = User.objects.get(pk=leaving.pk)
    assert tombstone.register_entry_id is None
    assert not {f.name for f in Ballot._meta.fields} & {"user", "voter", "register_entry"}
    assert not {f.related_model for f in Participation._meta.fields} & {User}
    entry = AuditEntry.objects.get(verb="account.deleted")
    assert leaving.email not in str(entry.after) and entry.target_id == str(leaving.pk)
    assert not AuditIdentity.objects.filter(pseudonym=actor_pseudonym(leaving.pk)).exists()
    assert audit_verify().ok
    # The results count the ballot as cast.
    campaign = close_vote(vote.campaign)
    assert campaign.results is not None
    assert Ballot.objects.filter(campaign=campaign).count() == 3


def test_published_results_do_not_move_when_a_voter_deletes_their_account(open_vote, close_vote):
    vote = open_vote(voters=3)
    for voter, choice in zip(vote.voters, ("yes", "yes", "no"), strict=True):
        ballot_cast(campaign_id=vote.campaign.pk, user=voter, choices=vote.choices(choice))
    close_vote(vote.campaign)
    campaign = campaign_publish_results(
        campaign_id=vote.campaign.pk, actor=StaffFactory(role="campaign_manager")
    )
    published = campaign.results
    leaving = vote.voters[0]
    assert referendum_export(user=leaving)["participations"]

    account_delete(user=leaving, password=PASSWORD)

    campaign.refresh_from_db()
    assert campaign.results == published and campaign.results["ballots"] == 3
    assert Participation.objects.filter(campaign=campaign).count() == 3
    # The deleted person's account no longer leads to the participation (nor, ever, to a ballot).
    assert referendum_export(user=User.objects.get(pk=leaving.pk)) == {"participations": []}


def test_messages_tokens_and_second_factors_go_with_the_account():
    resident, other = ResidentFactory(), ResidentFactory()
    for person in (resident, other):
        notify(recipient=person, kind="k", subject="s", body="b")
        api_key_for(person)
        enrol_second_factor(person)  # a resident may enrol one too (TOTP and recovery codes)
        EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    assert Authenticator.objects.filter(user=resident).count() == 2

    account_delete(user=resident, password=PASSWORD)

    for kind in (Notification, ApiToken, Authenticator, EmailAddress):
        owner = "recipient_id" if kind is Notification else "user_id"
        assert not kind.objects.filter(**{owner: resident.pk}).exists(), kind.__name__
        assert kind.objects.filter(**{owner: other.pk}).exists(), kind.__name__


def test_the_password_is_required_and_a_staff_account_is_not_deleted_here():
    resident = ResidentFactory()
    with pytest.raises(PermissionDenied):
        account_delete(user=resident, password="wrong")
    assert User.objects.get(pk=resident.pk).is_active
    with pytest.raises(RuleViolation):
        account_delete(user=StaffFactory(role="moderator"), password=PASSWORD)


def test_the_page_confirms_with_the_password_by_post(client):
    resident = ResidentFactory()
    client.force_login(resident)
    assert client.get(reverse("account-delete")).status_code == 200
    assert 'href="/me/delete/"' in client.get(reverse("my-data")).content.decode()
    wrong = client.post(reverse("account-delete"), {"password": "nope", "confirm": "on"})
    assert wrong.status_code == 400 and User.objects.get(pk=resident.pk).is_active
    unconfirmed = client.post(reverse("account-delete"), {"password": PASSWORD})
    assert unconfirmed.status_code == 400 and User.objects.get(pk=resident.pk).is_active
    done = client.post(reverse("account-delete"), {"password": PASSWORD, "confirm": "on"})
    assert done.status_code == 302 and "_auth_user_id" not in client.session
    assert not User.objects.get(pk=resident.pk).is_active
    assert client.get(reverse("my-data")).status_code == 302  # signed out


def test_the_assembly_keeps_its_seat_and_the_account_no_longer_leads_to_it():
    resident = ResidentFactory()
    member = MemberFactory(volunteer__invitation__register_entry=resident.register_entry)
    assert personal_data_export(user=resident)["invitations"]

    account_delete(user=resident, password=PASSWORD)

    # The seat, its public first name and district stay (the assembly's composition and its
    # minutes do not change); the draw's records stay with the register entry until the mandate's
    # close unlinks them; the account leads nowhere.
    kept = Member.objects.get(pk=member.pk)
    assert (kept.seat, kept.first_name) == (member.seat, member.first_name)
    tombstone = User.objects.get(pk=resident.pk)
    assert personal_data_export(user=tombstone) == {"invitations": [], "volunteering": []}


def test_the_provider_binding_and_desk_requests_go_with_the_account():
    resident = ResidentFactory()
    other = ResidentFactory()
    OidcIdentity.objects.create(
        user=resident, issuer="https://fc.example", subject="sub-1", method=OidcBindMethod.ACCOUNT
    )
    OidcIdentity.objects.create(user=other, issuer="https://fc.example", subject="sub-2")
    closed = DeskRequest.objects.create(user=resident, reason="ambiguous")
    desk_request_close(
        agent=StaffFactory(role="moderator"),
        request_id=closed.pk,
        reason="document_missing",
        note="Apportez votre carte.",
    )
    DeskRequest.objects.create(user=resident, reason="struck_off")
    DeskRequest.objects.create(user=other, reason="struck_off")
    account_delete(user=resident, password=PASSWORD)
    assert not OidcIdentity.objects.filter(user=resident).exists()
    assert not OidcIdentity.objects.filter(subject="sub-1").exists()
    assert not DeskRequest.objects.filter(user=resident).exists()
    # Someone else's are untouched.
    assert OidcIdentity.objects.filter(user=other).count() == 1
    assert DeskRequest.objects.filter(user=other).count() == 1

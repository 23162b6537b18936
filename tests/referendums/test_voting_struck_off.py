"""An elector struck off the register after the electorate was frozen votes no more (CIVIC-RULES,
"Strike-offs"): not a first vote, not a re-vote, whichever path the cast takes."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from civic.errors import NotEligible
from civic.models import StrikeOffReason
from civic.services.strike_offs import register_strike_off, register_strike_off_reverse
from referendums.models import Ballot, Participation
from referendums.services.voting import ballot_cast

pytestmark = pytest.mark.django_db


def _strike(user):  # type: ignore[no-untyped-def]
    return register_strike_off(
        entry_id=user.register_entry_id, actor=None, reason=StrikeOffReason.LEFT_ROLL
    )


def test_a_struck_off_elector_of_the_frozen_electorate_cannot_vote(open_vote):
    vote = open_vote(voters=2)
    # A first cast by someone else warms the per-process state memo: the fast path is tried too.
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[1], choices=vote.choices("no"))
    _strike(vote.voters[0])
    with pytest.raises(NotEligible) as refused:
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    assert refused.value.code == "not_in_electorate"
    assert Participation.objects.filter(campaign=vote.campaign).count() == 1
    assert Ballot.objects.filter(campaign=vote.campaign).count() == 1


def test_a_struck_off_elector_cannot_vote_again(open_vote):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    _strike(vote.voters[0])
    with pytest.raises(NotEligible):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("no"))
    ballots = Ballot.objects.filter(campaign=vote.campaign)
    assert [json.loads(b.choices) for b in ballots] == [vote.choices("yes")]


def test_a_reversed_strike_off_lets_the_elector_vote(open_vote):
    vote = open_vote(voters=1)
    record = _strike(vote.voters[0])
    register_strike_off_reverse(strike_off_id=record.pk, actor=None)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    assert Participation.objects.filter(campaign=vote.campaign).count() == 1


def test_a_struck_off_elector_is_refused_over_http_with_a_stable_code(open_vote):
    vote = open_vote(voters=1)
    client = APIClient()
    client.force_authenticate(vote.voters[0])
    _strike(vote.voters[0])
    response = client.post(
        f"/api/v1/referendums/{vote.campaign.pk}/ballots/",
        {"choices": vote.choices("yes")},
        format="json",
    )
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_in_electorate"
    assert not Participation.objects.filter(campaign=vote.campaign).exists()

"""City figures of the other instruments: turnout while open, results only once published,
assembly activity."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards.services import documents_rebuild
from referendums.services.voting import ballot_cast
from tests.assembly.factories import SessionFactory
from tests.referendums.conftest import close_vote, open_vote  # noqa: F401

pytestmark = pytest.mark.django_db

CITY = "/api/v1/stats/city/"
OPTION_COUNT = re.compile(r'\{[^{}]*"key"[^{}]*"count"[^{}]*\}|\{[^{}]*"count"[^{}]*"key"[^{}]*\}')


def _referendum(api, campaign_id):  # type: ignore[no-untyped-def]
    documents_rebuild()
    return next(r for r in api.get(CITY).json()["referendums"] if r["id"] == campaign_id)


def test_an_open_vote_shows_its_turnout_and_no_result(api, open_vote):  # noqa: F811
    vote = open_vote(voters=3)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    entry = _referendum(api, vote.campaign.pk)
    assert entry["turnout"]["participations"] == 1
    assert entry["turnout"]["electorate"] == 3
    assert entry["results"] is None
    assert not OPTION_COUNT.search(api.get(CITY).content.decode())


def test_a_closed_vote_not_yet_published_still_shows_no_result(api, open_vote, close_vote):  # noqa: F811
    vote = open_vote(voters=2)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    close_vote(vote.campaign)
    entry = _referendum(api, vote.campaign.pk)
    assert entry["results"] is None
    assert not OPTION_COUNT.search(api.get(CITY).content.decode())


def test_published_results_appear_with_their_counts(api, staff_api, open_vote, close_vote):  # noqa: F811
    vote = open_vote(voters=2)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    close_vote(vote.campaign)
    published = staff_api("campaign_manager").post(
        f"/api/v1/referendums/{vote.campaign.pk}/publish/"
    )
    assert published.status_code == 200
    entry = _referendum(api, vote.campaign.pk)
    options = {o["key"]: o["count"] for o in entry["results"]["questions"][0]["options"]}
    assert options == {"o1": 1, "o2": 0}


def test_assembly_activity_counts_sessions_votes_and_recommendations(api):
    from assembly.models import Motion, Recommendation

    closed = SessionFactory(status="closed")
    SessionFactory(status="published")
    Motion.objects.create(
        session=closed,
        title="Motion A",
        majority="simple",
        status="closed",
        result="adopted",
        closed_at=timezone.now(),
        votes_for=10,
    )
    Motion.objects.create(session=closed, title="Motion B", majority="simple")
    Recommendation.objects.create(
        mandate=closed.mandate,
        title="Reco",
        text="…",
        status="referred",
        adopted_at=timezone.now(),
        referred_at=timezone.now(),
        answer_due=timezone.localdate() - timedelta(days=1),
    )
    documents_rebuild()
    assembly = api.get(CITY).json()["assembly"]
    assert assembly["sessions"] == {"closed": 1, "published": 1}
    assert assembly["votes"] == {"closed": 1, "adopted": 1, "rejected": 0}
    assert assembly["recommendations"] == {"referred": 1}
    assert assembly["answers_overdue"] == 1

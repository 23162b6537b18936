"""Fixtures: an online vote open now with a known electorate, and its close."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from civic.models import District, User
from referendums.models import Campaign, CampaignStatus
from referendums.services.campaigns import campaigns_advance
from tests.factories import DistrictFactory, ResidentFactory
from tests.referendums.factories import CampaignFactory

# The factory's options: fixed keys, their meaning apart (docs/threat-model.md, ballot secrecy).
OPTION_KEY = {"yes": "o1", "no": "o2"}


@dataclass
class OpenVote:
    campaign: Campaign
    voters: list[User]
    districts: list[District] = field(default_factory=list)

    def client(self, i: int) -> APIClient:
        client = APIClient()
        client.force_authenticate(self.voters[i])
        return client

    @property
    def question_id(self) -> str:
        return str(self.campaign.questions.get().pk)

    def choices(self, key: str) -> dict[str, str]:
        """`choices("yes")`: the option meaning yes (key `o1`); any other key as given."""
        return {self.question_id: OPTION_KEY.get(key, key)}


@pytest.fixture
def open_vote(db: Any) -> Callable[..., OpenVote]:
    """`open_vote(voters=3, districts=1, **campaign_fields)`: voters spread over districts, the
    campaign scheduled and advanced by the clock into voting."""

    def make(voters: int = 3, districts: int = 1, **fields: Any) -> OpenVote:
        ds = [DistrictFactory() for _ in range(districts)]
        users = [ResidentFactory(register_entry__district=ds[i % districts]) for i in range(voters)]
        campaign = CampaignFactory(status=CampaignStatus.SCHEDULED, **fields)
        campaigns_advance()
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.VOTING
        return OpenVote(campaign, users, ds)

    return make


@pytest.fixture
def close_vote(freeze: Any) -> Callable[[Campaign], Campaign]:
    def close(campaign: Campaign) -> Campaign:
        freeze(campaign.voting_closes_at + timedelta(seconds=1))
        campaigns_advance()
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.CLOSED
        return campaign

    return close

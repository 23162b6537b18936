"""Nothing about what was voted reaches anyone before the close: every page, endpoint and admin
screen of the app, for every role including superusers.

The proof is structural: while the vote is open, no request of any role runs a single query on the
ballot table (the only place contents exist), and the responses carry no count of any option."""

import json
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referendums.models import Ballot, Participation, ReceiptHash, SealingKey
from referendums.services.voting import ballot_cast
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

OPTION_COUNT = re.compile(rb'\{[^{}]*"key"[^{}]*"count"[^{}]*\}|\{[^{}]*"count"[^{}]*"key"[^{}]*\}')
ROLES = [
    "anonymous",
    "resident",
    "voter",
    "administrator",
    "moderator",
    "campaign_manager",
    "assembly_clerk",
    "auditor",
    "superuser",
]


def _client(role: str, voter) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    if role == "voter":
        user = voter
    elif role == "resident":
        user = UserFactory()
    elif role == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    else:
        user = StaffFactory(role=role)
    client.force_login(user)
    return client


def _urls(campaign_id: int) -> list[tuple[str, str, dict | None]]:
    api = f"/api/v1/referendums/{campaign_id}"
    urls: list[tuple[str, str, dict | None]] = [
        ("get", "/api/v1/referendums/", None),
        ("get", f"{api}/", None),
        ("get", f"{api}/turnout/", None),
        ("get", f"{api}/results/", None),
        ("get", f"{api}/ballot-box/", None),
        ("get", f"{api}/sheets/", None),
        ("post", f"{api}/receipts/check/", {"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"}),
        ("post", f"{api}/publish/", {}),
        ("post", f"{api}/archive/", {}),
        ("get", "/api/v1/schema/", None),
        ("get", reverse("referendums:list"), None),
        ("get", reverse("referendums:detail", args=[campaign_id]), None),
        ("get", reverse("referendums:vote", args=[campaign_id]), None),
        ("get", reverse("referendums:receipt", args=[campaign_id]), None),
        ("post", reverse("referendums:receipt", args=[campaign_id]), {"receipt": "AAAA"}),
        ("get", reverse("referendums:results", args=[campaign_id]), None),
        ("get", reverse("referendums:staff-sheets", args=[campaign_id]), None),
        ("get", "/", None),
        ("get", "/me/data/?format=json", None),
        ("get", "/admin/", None),
    ]
    for model, _model_admin in admin.site._registry.items():
        if model._meta.app_label != "referendums":
            continue
        name = f"admin:referendums_{model._meta.model_name}"
        urls.append(("get", reverse(f"{name}_changelist"), None))
        first = model.objects.order_by("pk").first()
        if first is not None:
            urls.append(("get", reverse(f"{name}_change", args=[first.pk]), None))
    urls.append(("get", reverse("admin:referendums_campaign_change", args=[campaign_id]), None))
    return urls


@pytest.mark.long
def test_no_role_reads_ballot_contents_anywhere_while_the_vote_is_open(open_vote):
    vote = open_vote(voters=4)
    for i, choice in enumerate(["yes", "yes", "yes", "no"]):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices(choice))
    ballot_table = Ballot._meta.db_table
    for role in ROLES:
        client = _client(role, vote.voters[0])
        for method, url, data in _urls(vote.campaign.pk):
            with CaptureQueriesContext(connection) as queries:
                if method == "get":
                    response = client.get(url)
                else:
                    response = client.post(
                        url, data=json.dumps(data), content_type="application/json"
                    )
            assert response.status_code < 500, (role, url, response.status_code)
            touched = [q["sql"] for q in queries.captured_queries if ballot_table in q["sql"]]
            assert touched == [], (role, url, touched)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if url.endswith(("/results/", "/ballot-box/")) and url.startswith("/api/"):
                assert response.status_code in (403, 404, 409), (role, url)
            # No object pairs an option with a count (the shape of every result in the app).
            assert not OPTION_COUNT.search(body), (role, url)


def test_no_admin_screen_exists_for_ballots_receipts_participations_or_keys():
    for model in (Ballot, ReceiptHash, Participation, SealingKey):
        assert model not in admin.site._registry


def test_results_answer_409_with_a_stable_code_until_published(
    open_vote, close_vote, api, staff_api
):
    vote = open_vote(voters=1)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    url = f"/api/v1/referendums/{vote.campaign.pk}/results/"
    assert api.get(url).json()["code"] == "results_not_published"
    close_vote(vote.campaign)
    response = staff_api("administrator").get(url)
    assert response.status_code == 409 and response.json()["code"] == "results_not_published"
    staff_api("campaign_manager").post(f"/api/v1/referendums/{vote.campaign.pk}/publish/")
    response = api.get(url)
    assert response.status_code == 200
    assert response.json()["questions"][0]["options"][0]["count"] == 1
    assert OPTION_COUNT.search(response.content)  # the detector used above does see results


def test_turnout_is_shown_while_voting_without_contents(open_vote, api):
    vote = open_vote(voters=3)
    ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[0], choices=vote.choices("yes"))
    data = api.get(f"/api/v1/referendums/{vote.campaign.pk}/turnout/").json()
    assert data["participations"] == 1 and data["electorate"] == 3
    # One district of 3 electors: below the threshold, its figure is suppressed.
    assert (
        data["districts"][0]["suppressed"] is True
        and data["districts"][0]["participations"] is None
    )
    assert "yes" not in json.dumps(data)

"""Bad input never breaks the referendum endpoints: every refusal is a 4xx with a code."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(st.sampled_from(["choices", "x"]), JSON, max_size=2))
def test_casting_garbage_is_refused_with_a_code(open_vote, body):
    vote = open_vote.cached if hasattr(open_vote, "cached") else None
    if vote is None:
        vote = open_vote(voters=1)
        open_vote.cached = vote
    response = vote.client(0).post(
        f"/api/v1/referendums/{vote.campaign.pk}/ballots/", body, format="json"
    )
    assert response.status_code < 500
    if response.status_code >= 400:
        assert "code" in response.json()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "kind",
                "title_fr",
                "cutoff_date",
                "campaign_opens_at",
                "voting_opens_at",
                "voting_closes_at",
                "questions",
                "districts",
                "origin_kind",
                "origin_id",
                "quorum_percent",
                "predicate",
            ]
        ),
        JSON,
        max_size=8,
    )
)
def test_creating_from_garbage_is_refused_with_a_code(staff_api, body):
    client = getattr(staff_api, "cached", None) or staff_api("campaign_manager")
    staff_api.cached = client
    response = client.post("/api/v1/referendums/", body, format="json")
    assert response.status_code < 500
    assert response.status_code == 201 or "code" in response.json()

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from referendums.models import Campaign, CampaignStatus, Participation
from tests.factories import DistrictFactory, ResidentFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def _payload(**extra):
    now = timezone.now()
    return {
        "kind": "online_vote",
        "title_fr": "Faut-il piétonniser la place ?",
        "title_en": "Should the square be pedestrianised?",
        "cutoff_date": (now + timedelta(days=5)).date().isoformat(),
        "campaign_opens_at": (now + timedelta(days=5)).isoformat(),
        "voting_opens_at": (now + timedelta(days=20)).isoformat(),
        "voting_closes_at": (now + timedelta(days=27)).isoformat(),
        **extra,
    }


def test_a_campaign_manager_creates_a_yes_no_draft(staff_api):
    response = staff_api("campaign_manager").post("/api/v1/referendums/", _payload(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft"
    options = data["questions"][0]["options"]
    assert [(o["key"], o["meaning"]) for o in options] == [("o1", "yes"), ("o2", "no")]
    assert data["origin"] == {"kind": "council", "id": None, "label": ""}


def test_creating_is_refused_to_residents_and_other_staff(resident_api, staff_api, api):
    assert api.post("/api/v1/referendums/", _payload(), format="json").status_code in (401, 403)
    assert resident_api.post("/api/v1/referendums/", _payload(), format="json").status_code == 403
    assert (
        staff_api("moderator").post("/api/v1/referendums/", _payload(), format="json").status_code
        == 403
    )
    assert not Campaign.objects.exists()


def test_bad_input_is_a_4xx_with_a_stable_code(staff_api):
    client = staff_api("campaign_manager")
    bad_order = _payload(voting_closes_at=(timezone.now() + timedelta(days=1)).isoformat())
    response = client.post("/api/v1/referendums/", bad_order, format="json")
    assert response.status_code == 400 and response.json()["code"] == "calendar_order"
    response = client.post(
        "/api/v1/referendums/", _payload(origin_kind="initiative"), format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    response = client.post(
        "/api/v1/referendums/",
        _payload(questions=[{"text_fr": "Q", "options": [{"key": "a", "label_fr": "A"}]}]),
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_options"
    response = client.post("/api/v1/referendums/", _payload(districts=["nowhere"]), format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_district"


def test_an_initiative_origin_is_recorded_without_a_foreign_key(staff_api):
    district = DistrictFactory()
    response = staff_api("campaign_manager").post(
        "/api/v1/referendums/",
        _payload(
            origin_kind="initiative",
            origin_id=42,
            origin_label="Initiative « Place verte »",
            districts=[district.code],
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["origin"]["id"] == 42
    assert response.json()["districts"] == [district.code]
    assert response.json()["whole_city"] is False


def test_patch_edits_a_draft_but_not_an_open_vote(staff_api, open_vote):
    client = staff_api("campaign_manager")
    created = client.post("/api/v1/referendums/", _payload(), format="json").json()
    response = client.patch(
        f"/api/v1/referendums/{created['id']}/", {"title_en": "New"}, format="json"
    )
    assert response.status_code == 200 and response.json()["title_en"] == "New"
    vote = open_vote(voters=1)
    response = client.patch(
        f"/api/v1/referendums/{vote.campaign.pk}/", {"title_fr": "X"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "campaign_not_editable"
    assert (
        staff_api("auditor")
        .patch(f"/api/v1/referendums/{created['id']}/", {"title_fr": "X"}, format="json")
        .status_code
        == 403
    )


def test_drafts_are_hidden_from_the_public(api, staff_api):
    draft = CampaignFactory()
    assert api.get(f"/api/v1/referendums/{draft.pk}/").status_code == 404
    assert api.get("/api/v1/referendums/").json()["count"] == 0
    assert staff_api("auditor").get(f"/api/v1/referendums/{draft.pk}/").status_code == 200


def test_the_list_runs_the_same_number_of_queries_for_2_or_12_campaigns(
    api, django_assert_num_queries
):
    for _ in range(2):
        CampaignFactory(status=CampaignStatus.SCHEDULED)
    with django_assert_num_queries(2):
        assert api.get("/api/v1/referendums/").status_code == 200
    for _ in range(10):
        CampaignFactory(status=CampaignStatus.SCHEDULED)
    with django_assert_num_queries(2):
        assert len(api.get("/api/v1/referendums/?page_size=100").json()["results"]) == 12


def test_casting_over_http_returns_a_receipt_and_never_caches(open_vote):
    vote = open_vote(voters=1)
    response = vote.client(0).post(
        f"/api/v1/referendums/{vote.campaign.pk}/ballots/",
        {"choices": vote.choices("yes")},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["receipt"]) == 29  # 24 base32 characters in groups of 4
    assert response["Cache-Control"] == "no-store"


def test_casting_over_http_is_refused_to_the_unverified_and_the_ineligible(open_vote, api):
    from rest_framework.test import APIClient

    vote = open_vote(voters=1)
    resident_api = APIClient()
    resident_api.force_authenticate(ResidentFactory())  # registered after the electorate froze
    url = f"/api/v1/referendums/{vote.campaign.pk}/ballots/"
    assert api.post(url, {"choices": vote.choices("yes")}, format="json").status_code in (401, 403)
    response = resident_api.post(url, {"choices": vote.choices("yes")}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_in_electorate"
    response = vote.client(0).post(url, {"choices": "yes"}, format="json")
    assert response.status_code == 400
    assert not Participation.objects.exists()


def test_casting_is_throttled_under_the_vote_scope(open_vote, settings):
    from django.core.cache import cache

    cache.clear()
    from rest_framework.settings import api_settings

    rates = dict(api_settings.DEFAULT_THROTTLE_RATES)
    vote = open_vote(voters=1)
    url = f"/api/v1/referendums/{vote.campaign.pk}/ballots/"
    from referendums.api.views import BallotCastApi

    assert BallotCastApi.throttle_scope == "vote" and "vote" in rates
    from unittest import mock

    with mock.patch.dict(api_settings.DEFAULT_THROTTLE_RATES, {"vote": "2/min"}):
        from rest_framework.throttling import ScopedRateThrottle

        with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", {**rates, "vote": "2/min"}):
            codes = [
                vote.client(0)
                .post(url, {"choices": vote.choices("yes")}, format="json")
                .status_code
                for _ in range(3)
            ]
    cache.clear()
    assert codes == [201, 201, 429]


def test_campaigners_get_equal_space_side_by_side(staff_api):
    client = staff_api("campaign_manager")
    created = client.post("/api/v1/referendums/", _payload(), format="json").json()
    url = f"/api/v1/referendums/{created['id']}/campaigners/"
    r1 = client.post(
        url, {"name": "Groupe A", "side": "for", "argument_fr": "Pour car..."}, format="json"
    )
    r2 = client.post(
        url, {"name": "Groupe B", "side": "against", "argument_fr": "x" * 4001}, format="json"
    )
    assert r1.status_code == 201
    assert r2.status_code == 400 and r2.json()["code"] == "argument_too_long"
    detail = client.get(f"/api/v1/referendums/{created['id']}/").json()
    sides = {c["name"]: c for c in detail["campaigners"]}
    assert sides["Groupe A"]["argument"] == "Pour car..."
    assert sides["Groupe B"]["argument"] is None  # authorised, its text refused


def test_pages_show_the_campaign_in_the_active_language(client):
    campaign = CampaignFactory(
        status=CampaignStatus.SCHEDULED, title_fr="Titre FR", title_en="Title EN"
    )
    page = client.get(f"/referendums/{campaign.pk}/")
    assert page.status_code == 200 and "Titre FR" in page.content.decode()
    page = client.get(f"/en/referendums/{campaign.pk}/")
    assert "Title EN" in page.content.decode()


def test_the_vote_page_confirms_before_casting_and_shows_the_receipt(open_vote, client):
    vote = open_vote(voters=1)
    client.force_login(vote.voters[0])
    url = f"/referendums/{vote.campaign.pk}/vote/"
    field = f"q{vote.question_id}"
    page = client.get(url)
    assert page.status_code == 200 and f'name="{field}"' in page.content.decode()
    confirm = client.post(url, {field: "o2", "step": "confirm"})
    assert (
        "Je confirme" in confirm.content.decode() or "confirm" in confirm.content.decode().lower()
    )
    assert not Participation.objects.exists()  # nothing cast at the confirmation step
    done = client.post(url, {field: "o2", "step": "cast"})
    assert done.status_code == 302 and done["Location"] == f"{url}receipt/"
    assert Participation.objects.count() == 1
    assert 'class="receipt"' in client.get(done["Location"]).content.decode()


def test_the_vote_page_requires_login(open_vote, client):
    vote = open_vote(voters=1)
    assert client.get(f"/referendums/{vote.campaign.pk}/vote/").status_code == 302


def test_a_patch_breaking_a_database_rule_is_a_400_not_a_500(staff_api):
    client = staff_api("campaign_manager")
    created = client.post(
        "/api/v1/referendums/", _payload(origin_kind="initiative", origin_id=7), format="json"
    ).json()
    response = client.patch(
        f"/api/v1/referendums/{created['id']}/", {"origin_id": None}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "field, value",
    [
        ("campaign_opens_at", "0349-02-02T03:14:04Z"),  # Paris had a seconds offset then
        ("voting_closes_at", "2150-06-01T10:00:00Z"),
        ("cutoff_date", "1899-01-01"),
    ],
)
def test_a_date_far_outside_a_civic_calendar_is_a_400_naming_the_field(staff_api, field, value):
    from referendums.models import Campaign

    response = staff_api("campaign_manager").post(
        "/api/v1/referendums/", _payload(**{field: value}), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "2000" in str(body["detail"][field]) and "2099" in str(body["detail"][field])
    assert not Campaign.objects.exists()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_choice = st.text(max_size=40) | st.sampled_from(["yes", "no", " yes", "", "a" * 33, "é", "x\x00"])


@pytest.mark.long
@examples(max_examples=400, deadline=None)
@given(
    body=st.dictionaries(
        st.sampled_from(["choices", "other"]),
        st.dictionaries(st.text(max_size=4), _choice, max_size=3) | _json,
        max_size=2,
    )
)
def test_the_cast_s_shortcut_accepts_only_what_the_serializer_accepts_unchanged(body):
    from referendums.api.views import BallotCastApi

    plain = BallotCastApi.plain_choices(body)
    serializer = BallotCastApi.InputSerializer(data=body)
    if plain is not None:
        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data["choices"] == plain

"""The resident's pages of a vote: the action area (a form only for those who may vote), the
receipt after the cast (post/redirect/get, the voter's own, copy, print, e-mail) and results that
say the outcome first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from civic.models import Notification, User
from referendums.models import Ballot, Campaign, CampaignStatus, Participation, ReceiptHash
from referendums.receipt_cookie import COOKIE
from referendums.services.voting import ballot_cast
from tests.factories import ResidentFactory, StaffFactory, UserFactory
from tests.referendums.factories import CampaignFactory
from tests.referendums.test_paper import _key_both, figures, paper  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _cast(client: Client, vote, choice: str = "yes"):  # type: ignore[no-untyped-def]
    field = f"q{vote.question_id}"
    return client.post(
        f"/referendums/{vote.campaign.pk}/vote/",
        {"step": "cast", field: vote.choices(choice)[vote.question_id]},
    )


def _receipt_in(page: str) -> str:
    start = page.index('<pre class="receipt"')
    start = page.index(">", start) + 1
    return page[start : page.index("</pre>", start)].strip()


# --- Receipts: post/redirect/get ------------------------------------------------------------------


def test_the_cast_redirects_to_a_receipt_page_that_a_reload_does_not_cast_again(open_vote):
    vote = open_vote(voters=2)
    client = _client(vote.voters[0])
    response = _cast(client, vote)
    assert response.status_code == 302
    assert response["Location"] == f"/referendums/{vote.campaign.pk}/vote/receipt/"
    assert Ballot.objects.filter(campaign=vote.campaign).count() == 1
    assert ReceiptHash.objects.filter(campaign=vote.campaign).count() == 1

    first = client.get(response["Location"])
    again = client.get(response["Location"])
    assert first.status_code == again.status_code == 200
    code = _receipt_in(first.content.decode())
    assert code == _receipt_in(again.content.decode())
    # Reloading casts nothing: one ballot, one receipt, one participation.
    assert Ballot.objects.filter(campaign=vote.campaign).count() == 1
    assert ReceiptHash.objects.filter(campaign=vote.campaign).count() == 1
    assert Participation.objects.filter(campaign=vote.campaign).count() == 1
    assert first["Cache-Control"].startswith("max-age=0") and "private" in first["Cache-Control"]
    page = first.content.decode()
    assert 'media="print"' in page  # the print stylesheet
    assert f'action="/referendums/{vote.campaign.pk}/receipt/"' in page  # check it now
    assert f'href="/referendums/{vote.campaign.pk}/receipt/"' in page  # the check page


def test_the_receipt_cookie_is_scoped_signed_and_expires_with_the_check_window(open_vote, settings):
    vote = open_vote(voters=1)
    response = _cast(_client(vote.voters[0]), vote)
    cookie = response.cookies[COOKIE]
    assert cookie["path"] == f"/referendums/{vote.campaign.pk}/vote/"
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) == settings.RECEIPT_CHECK_MINUTES * 60


def test_the_code_shown_is_the_receipt_the_server_checks(open_vote):
    vote = open_vote(voters=1)
    client = _client(vote.voters[0])
    code = _receipt_in(client.get(_cast(client, vote)["Location"]).content.decode())
    check = client.post(f"/referendums/{vote.campaign.pk}/receipt/", {"receipt": code})
    assert "Votre bulletin a bien été reçu." in check.content.decode()


def test_a_re_vote_shows_the_new_receipt_and_says_the_old_one_was_replaced(open_vote):
    vote = open_vote(voters=1)
    client = _client(vote.voters[0])
    first = _receipt_in(client.get(_cast(client, vote, "yes")["Location"]).content.decode())
    page = client.get(_cast(client, vote, "no")["Location"]).content.decode()
    assert _receipt_in(page) != first
    assert "Votre vote précédent a été remplacé par celui-ci." in page


def test_no_one_else_reads_a_voters_receipt(open_vote):
    vote = open_vote(voters=2)
    voter = _client(vote.voters[0])
    response = _cast(voter, vote)
    stolen = response.cookies[COOKIE].value
    url = response["Location"]
    # Another account in the same browser (or holding a copy of the cookie): nothing.
    other = _client(vote.voters[1])
    other.cookies[COOKIE] = stolen
    denied = other.get(url)
    assert denied.status_code == 404 and '<pre class="receipt"' not in denied.content.decode()
    assert other.post(f"{url}email/").status_code == 404
    # The same voter's cookie on another campaign's page: nothing either.
    elsewhere = CampaignFactory(status=CampaignStatus.VOTING)
    voter.cookies[COOKIE] = stolen
    assert voter.get(f"/referendums/{elsewhere.pk}/vote/receipt/").status_code == 404
    # A visitor is sent to log in.
    anonymous = Client()
    anonymous.cookies[COOKIE] = stolen
    assert anonymous.get(url).status_code == 302
    assert len(mail.outbox) == 0


def test_the_receipt_is_no_longer_shown_after_the_check_window(open_vote, freeze, settings):
    vote = open_vote(voters=1)
    client = _client(vote.voters[0])
    url = _cast(client, vote)["Location"]
    freeze(timezone.now() + timedelta(minutes=settings.RECEIPT_CHECK_MINUTES, seconds=5))
    page = client.get(url)
    assert page.status_code == 200
    assert '<pre class="receipt"' not in page.content.decode()
    assert "n'est plus affiché" in page.content.decode()


def test_the_receipt_is_e_mailed_once_to_the_voter_and_stored_nowhere(open_vote):
    vote = open_vote(voters=1)
    voter = vote.voters[0]
    client = _client(voter)
    url = _cast(client, vote)["Location"]
    code = _receipt_in(client.get(url).content.decode())
    sent = client.post(f"{url}email/")
    assert sent.status_code == 302 and sent["Location"] == url
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [voter.email] and code in message.body
    assert f"/referendums/{vote.campaign.pk}/receipt/" in message.body
    # Not through the stored outbox: no row links the voter to the code.
    assert not Notification.objects.filter(body__contains=code).exists()
    page = client.get(url).content.decode()
    assert "Le récépissé a été envoyé à" in page
    client.post(f"{url}email/")  # once per receipt
    assert len(mail.outbox) == 1


# --- The action area: a form only for those who may vote ------------------------------------------


def _vote_form_shown(page: str) -> bool:
    return 'name="step" value="confirm"' in page


def test_a_voter_who_may_vote_sees_the_form_and_the_page_leads_to_it(open_vote):
    vote = open_vote(voters=1)
    client = _client(vote.voters[0])
    assert _vote_form_shown(client.get(f"/referendums/{vote.campaign.pk}/vote/").content.decode())
    detail = client.get(f"/referendums/{vote.campaign.pk}/").content.decode()
    assert f'href="/referendums/{vote.campaign.pk}/vote/"' in detail


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("unverified", "Vérifiez votre résidence"),
        ("staff", "Un compte d'agent ne vote pas"),
        ("outsider", "Vous ne faites pas partie du corps électoral"),
    ],
)
def test_no_vote_form_for_someone_who_cannot_vote_but_the_reason(open_vote, who, reason):
    vote = open_vote(voters=1)
    user = {
        "unverified": lambda: UserFactory(),
        "staff": lambda: StaffFactory(role="campaign_manager"),
        "outsider": lambda: ResidentFactory(),  # registered after the electorate was frozen
    }[who]()
    client = _client(user)
    for url in (f"/referendums/{vote.campaign.pk}/vote/", f"/referendums/{vote.campaign.pk}/"):
        page = client.get(url).content.decode()
        assert not _vote_form_shown(page), url
        assert f'href="/referendums/{vote.campaign.pk}/vote/"' not in page, url
        assert reason in page, url
    if who == "unverified":
        assert 'href="/me/verify/"' in page
    # A forged cast is refused before the service: nothing is written.
    _cast(client, vote)
    assert not Ballot.objects.filter(campaign=vote.campaign).exists()


def test_no_vote_form_before_the_opening_nor_after_the_close(open_vote, close_vote):
    later = CampaignFactory(
        status=CampaignStatus.CAMPAIGN,
        voting_opens_at=timezone.now() + timedelta(days=2),
        voting_closes_at=timezone.now() + timedelta(days=3),
    )
    vote = open_vote(voters=1)
    client = _client(vote.voters[0])
    page = client.get(f"/referendums/{later.pk}/vote/").content.decode()
    assert not _vote_form_shown(page) and "pas encore ouvert" in page
    close_vote(vote.campaign)
    page = client.get(f"/referendums/{vote.campaign.pk}/vote/").content.decode()
    assert not _vote_form_shown(page) and "Le vote est clos" in page
    assert _cast(client, vote).status_code == 200
    assert Ballot.objects.filter(campaign=vote.campaign).count() == 0


def test_a_visitor_is_offered_a_sign_in_link_back_to_the_vote(open_vote):
    vote = open_vote(voters=1)
    page = Client().get(f"/referendums/{vote.campaign.pk}/").content.decode()
    assert f"/accounts/login/?next=/referendums/{vote.campaign.pk}/" in page
    assert not _vote_form_shown(page)


# --- Results that speak ---------------------------------------------------------------------------


def _publish(campaign: Campaign) -> None:
    from referendums.services.campaigns import campaign_publish_results

    campaign_publish_results(campaign_id=campaign.pk, actor=StaffFactory(role="campaign_manager"))


def test_online_results_say_the_outcome_first_then_bars_then_named_districts(
    open_vote, close_vote, settings
):
    settings.SMALL_CELL_THRESHOLD = 2
    vote = open_vote(voters=5, districts=2)
    for i, choice in enumerate(["yes", "yes", "no", "yes", "yes"]):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices(choice))
    close_vote(vote.campaign)
    _publish(vote.campaign)
    page = Client().get(f"/referendums/{vote.campaign.pk}/results/").content.decode()
    question = vote.campaign.questions.get()
    outcome = page.index("Le résultat")
    assert outcome < page.index("<meter") < page.index("Par quartier")
    assert "« Oui » arrive en tête avec 80,0 % des voix." in page
    assert f'<h2 id="h-q1">{question.text_fr}</h2>' in page
    assert "80,0 % (4 voix)" in page and "20,0 % (1 voix)" in page
    assert 'value="80.0"' in page  # the bar's length, whatever the page's language
    for district in vote.districts:
        assert f"<caption>{district.name}</caption>" in page
        assert f"<caption>{district.code}</caption>" not in page
    assert '<th scope="row">o1</th>' not in page
    assert '<th scope="row">Oui</th>' in page
    assert "Question : 1" not in page


def test_a_binding_referendum_below_half_turnout_is_said_not_valid(paper, client):  # noqa: F811
    campaign, stations, clerks = paper
    low = figures(registered=1000, voters=300, blank=0, null=0, yes=200, no=100)
    for station in stations:
        _key_both(campaign, station, clerks, low)
    _publish(campaign)
    page = client.get(f"/referendums/{campaign.pk}/results/").content.decode()
    assert "n'est pas valable" in page
    assert "30,0 %" in page or "30,00 %" in page
    assert "moins de la moitié" in page
    assert page.index("n'est pas valable") < page.index("<meter")
    assert f'<th scope="row">{stations[0].district.name}</th>' in page


def test_an_adopted_binding_referendum_says_so_with_its_share(paper, client):  # noqa: F811
    campaign, stations, clerks = paper
    for station in stations:
        _key_both(campaign, station, clerks, figures(voters=600, blank=0, null=0, yes=450, no=150))
    _publish(campaign)
    page = client.get(f"/referendums/{campaign.pk}/results/").content.decode()
    assert "Le projet est adopté : 75,0 % de oui" in page


def test_the_campaign_page_of_a_voter_runs_a_fixed_number_of_queries(
    open_vote, django_assert_num_queries
):
    vote = open_vote(voters=1)
    client = _client(vote.voters[0])
    client.get(f"/referendums/{vote.campaign.pk}/")
    # The campaign and its five prefetches, the turnout and the user (the session comes from the
    # cache); then the action area: is the voter in the frozen electorate, and have they voted.
    with django_assert_num_queries(10):
        client.get(f"/referendums/{vote.campaign.pk}/")

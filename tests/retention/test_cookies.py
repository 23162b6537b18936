"""No cookie other than the strictly necessary ones the cookies page lists (loi Informatique et
Libertés art. 82): every cookie the site sets along a resident's journeys (sign-up, login, signing,
voting and its receipt, the language switch, a confirmation message, logout) is named on
/cookies/, in French and English."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client

from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def listed(client: Client, url: str) -> set[str]:
    body = client.get(url).content.decode()
    return set(re.findall(r'<th scope="row"[^>]*><code>([^<]+)</code></th>', body))


def test_every_cookie_set_along_the_journeys_is_listed_on_the_cookies_page(open_vote):
    vote = open_vote(voters=1)
    voter = vote.voters[0]
    voter.set_password(PASSWORD)
    voter.save()
    EmailAddress.objects.create(user=voter, email=voter.email, verified=True, primary=True)
    initiative = InitiativeFactory(collecting=True)
    client = Client()
    set_by_site: set[str] = set()

    def keep(response):  # type: ignore[no-untyped-def]
        set_by_site.update(response.cookies.keys())
        return response

    for url in ("/", "/initiatives/", f"/referendums/{vote.campaign.pk}/", "/accounts/signup/"):
        keep(client.get(url))
    keep(client.post("/accounts/signup/", {"email": "x@example.org", "password1": "short"}))
    keep(client.get("/accounts/login/"))
    login = keep(client.post("/accounts/login/", {"login": voter.email, "password": PASSWORD}))
    assert login.status_code == 302 and "_auth_user_id" in client.session
    keep(client.get(f"/initiatives/{initiative.pk}/"))
    keep(client.post(f"/initiatives/{initiative.pk}/sign/"))
    keep(client.get(f"/initiatives/{initiative.pk}/"))  # the confirmation message, then gone
    keep(client.get(f"/referendums/{vote.campaign.pk}/vote/"))
    field = f"q{vote.question_id}"
    cast = keep(
        client.post(
            f"/referendums/{vote.campaign.pk}/vote/",
            {"step": "cast", field: vote.choices("yes")[vote.question_id]},
        )
    )
    assert cast.status_code == 302
    keep(client.get(cast["Location"]))  # the receipt page
    keep(client.post("/i18n/setlang/", {"language": "en", "next": "/en/"}))
    keep(client.get("/me/data/"))
    keep(client.post("/accounts/logout/"))

    # The journeys did set the session, CSRF, message, receipt and language cookies.
    assert {
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        "messages",
        "vote_receipt",
        settings.LANGUAGE_COOKIE_NAME,
    } <= set_by_site, set_by_site
    assert set_by_site <= listed(client, "/cookies/"), set_by_site - listed(client, "/cookies/")
    assert listed(client, "/en/cookies/") == listed(client, "/cookies/")
    minutes = settings.RECEIPT_CHECK_MINUTES
    page = client.get("/cookies/").content.decode()
    assert f"{minutes} minutes, le temps de vérifier le récépissé" in page
    english = client.get("/en/cookies/").content.decode()
    assert f"{minutes} minutes, the time to check the receipt" in english

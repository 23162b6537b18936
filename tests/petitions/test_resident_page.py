"""A signed-in resident's initiative page, kept whole per kind of resident (civic.fragments.
kept_page): each visitor still gets their own CSRF token, messages and standing; staff and the
initiative's promoters get their own page; sessions live in the cache and end everywhere."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from petitions.models import Signature
from tests.factories import RegisterEntryFactory, ResidentFactory, StaffFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def kept(settings, freeze):  # type: ignore[no-untyped-def]
    """As in production: the public part and the residents' pages kept for one tick."""
    freeze("2026-03-02 10:00")
    settings.PAGE_FRAGMENT_SECONDS = 60


def _browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _page(client: Client, initiative) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/initiatives/{initiative.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    return response.content.decode()


def _sign(client: Client, initiative, token: str | None):  # type: ignore[no-untyped-def]
    data = {} if token is None else {"csrfmiddlewaretoken": token}
    return client.post(f"/initiatives/{initiative.pk}/sign/", data)


def test_each_resident_gets_a_token_of_their_own_that_only_their_session_accepts(kept):
    initiative = InitiativeFactory(collecting=True)
    first, second = _browser(ResidentFactory()), _browser(ResidentFactory())
    page_one, page_two = _page(first, initiative), _page(second, initiative)
    assert page_one.count("csrfmiddlewaretoken") == page_two.count("csrfmiddlewaretoken") >= 2
    one, two = _TOKEN.findall(page_one)[0], _TOKEN.findall(page_two)[0]
    assert one != two and "\x00" not in page_one + page_two
    # The kept page with someone else's token, a wrong one, or none: refused, nothing recorded.
    assert _sign(second, initiative, one).status_code == 403
    assert _sign(second, initiative, "x" * 64).status_code == 403
    assert _sign(second, initiative, None).status_code == 403
    assert Signature.objects.count() == 0
    # Each token from each page works for its own session (every form of the page alike).
    for client, page in ((first, page_one), (second, page_two)):
        for token in set(_TOKEN.findall(page)):
            assert _sign(client, initiative, token).status_code == 302
    assert Signature.objects.count() == 2


def test_the_message_after_signing_shows_once_and_the_standing_is_the_residents_own(kept):
    initiative = InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    signer, other = _browser(ResidentFactory()), _browser(ResidentFactory())
    child = _browser(ResidentFactory(register_entry=RegisterEntryFactory(child=True)))
    token = _TOKEN.findall(_page(signer, initiative))[0]
    assert "Je signe" in _page(other, initiative)
    response = _sign(signer, initiative, token)
    assert response.status_code == 302 and response["Location"] == f"/initiatives/{initiative.pk}/"
    after = _page(signer, initiative)
    assert "Votre signature est enregistrée" in after and "Vous avez signé" in after
    again = _page(signer, initiative)
    assert "Votre signature est enregistrée" not in again and "Retirer ma signature" in again
    # The others' pages are theirs: no message, no withdrawal form, their own standing.
    for client, says in ((other, "Je signe"), (child, "Vous ne pouvez pas signer")):
        page = _page(client, initiative)
        assert says in page and "Retirer ma signature" not in page
        assert "Votre signature est enregistrée" not in page


def test_the_initiator_and_staff_get_their_own_page_not_a_residents(kept):
    initiative = InitiativeFactory(collecting=True)
    resident = _browser(ResidentFactory())
    assert "Retirer l'initiative" not in _page(resident, initiative)
    initiator = _browser(initiative.initiator)
    assert "Retirer l'initiative" in _page(initiator, initiative)
    moderator = _browser(StaffFactory(role="moderator"))
    staff_page = _page(moderator, initiative)
    assert "Examen (agents)" in staff_page and "Espace agents" in staff_page
    page = _page(resident, initiative)
    assert "Retirer l'initiative" not in page and "Examen (agents)" not in page
    assert "Espace agents" not in page


def test_sessions_live_in_the_cache_and_a_logout_ends_them_everywhere(kept):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    here = Client()
    here.force_login(resident)
    elsewhere = Client()  # the same cookie in another browser (or a stolen copy)
    elsewhere.cookies[settings.SESSION_COOKIE_NAME] = here.cookies[settings.SESSION_COOKIE_NAME]
    assert "Je signe" in elsewhere.get(f"/initiatives/{initiative.pk}/").content.decode()
    here.post("/accounts/logout/")
    page = elsewhere.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "Je signe" not in page and "Connectez-vous pour signer" in page
    assert elsewhere.post(f"/initiatives/{initiative.pk}/sign/").status_code == 302  # to log in
    assert Signature.objects.count() == 0


def test_a_password_changed_elsewhere_ends_the_session(kept):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    client = Client()
    client.force_login(resident)
    assert "Je signe" in client.get(f"/initiatives/{initiative.pk}/").content.decode()
    resident.set_password("another-long-passphrase-2026")
    resident.save()
    assert (
        "Connectez-vous pour signer"
        in client.get(f"/initiatives/{initiative.pk}/").content.decode()
    )


def test_a_deactivated_account_is_signed_out(kept):
    initiative = InitiativeFactory(collecting=True)
    resident = ResidentFactory()
    client = Client()
    client.force_login(resident)
    assert "Je signe" in client.get(f"/initiatives/{initiative.pk}/").content.decode()
    resident.is_active = False
    resident.save()
    assert (
        "Connectez-vous pour signer"
        in client.get(f"/initiatives/{initiative.pk}/").content.decode()
    )

"""Inviting a promoter by e-mail tells the initiator nothing about who has an account."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from petitions import services
from petitions.models import Promoter
from tests.factories import ResidentFactory, UserFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _invite_over_api(initiative, email):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(initiative.initiator)
    return client.post(f"/api/v1/initiatives/{initiative.pk}/promoters/", {"email": email})


def test_the_api_answers_the_same_whether_or_not_the_address_has_an_account():
    initiative = InitiativeFactory()
    someone = ResidentFactory(email="someone@example.org", display_name="Zéphyrine Quatremains")
    known = _invite_over_api(initiative, "someone@example.org")
    unknown = _invite_over_api(initiative, "nobody@example.org")
    assert known.status_code == unknown.status_code == 201
    assert known.json() == unknown.json()
    assert "Zéphyrine" not in known.content.decode()
    # The invitation exists, for its invitee to co-sign; the initiator sees it once co-signed.
    assert Promoter.objects.filter(initiative=initiative, user=someone).exists()
    services.promoter_cosign(initiative_id=initiative.pk, user=someone)
    listed = _invite_over_api(initiative, "nobody-else@example.org").json()["promoters"]
    assert [p["user_id"] for p in listed] == [someone.pk]


def test_an_inactive_account_is_answered_like_no_account():
    initiative = InitiativeFactory()
    UserFactory(email="gone@example.org", is_active=False)
    gone = _invite_over_api(initiative, "gone@example.org")
    unknown = _invite_over_api(initiative, "nobody@example.org")
    assert gone.status_code == unknown.status_code == 201 and gone.json() == unknown.json()


def test_the_page_answers_the_same_whether_or_not_the_address_has_an_account():
    initiative = InitiativeFactory()
    ResidentFactory(email="someone@example.org")
    client = Client()
    client.force_login(initiative.initiator)
    url = f"/initiatives/{initiative.pk}/invite/"
    pages = []
    for email in ("someone@example.org", "nobody@example.org"):
        response = client.post(url, {"email": email}, follow=True)
        assert response.status_code == 200
        messages = [str(m) for m in response.context["messages"]]
        body = response.content.decode()
        pages.append((messages, "someone@example.org" in body))
    assert pages[0] == pages[1]
    assert pages[0][1] is False


def test_the_service_invites_no_one_for_an_unknown_address():
    initiative = InitiativeFactory()
    assert (
        services.promoter_invite(
            initiative_id=initiative.pk, actor=initiative.initiator, email="nobody@example.org"
        )
        is None
    )
    assert not Promoter.objects.filter(initiative=initiative).exists()

""" "Mes données" shows the resident's bonds to identity providers (which provider, when, how; never
a token nor the provider's identifier) and their desk requests (date, status, closing reason);
another person's never appear, on the page or in the JSON."""

from __future__ import annotations

import html as html_text
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from civic.models import DeskRequest, OidcBindMethod, OidcIdentity, User
from civic.roles import Role
from civic.services.desk import desk_request_close
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
ISSUER = "https://fc.example.org/api/v2"
SUBJECT = "s3cr3t-subject-of-the-resident-at-the-provider"


@pytest.fixture
def person(settings: Any) -> User:
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_PROVIDER_NAME = "FranceConnect"
    user = UserFactory(email="bound@example.org")
    OidcIdentity.objects.create(
        user=user,
        issuer=ISSUER,
        subject=SUBJECT,
        method=OidcBindMethod.SIGN_UP,
        bound_at=timezone.now(),
    )
    closed = DeskRequest.objects.create(user=user, reason="ambiguous")
    desk_request_close(
        agent=StaffFactory(role=Role.MODERATOR),
        request_id=closed.pk,
        reason="document_missing",
        note="Apportez votre carte.",
    )
    DeskRequest.objects.create(user=user, reason="first_names_partial")
    return user


@pytest.fixture
def someone_else() -> User:
    other = UserFactory(email="other@example.org")
    OidcIdentity.objects.create(user=other, issuer="https://other-idp.example", subject="other-sub")
    DeskRequest.objects.create(user=other, reason="struck_off")
    return other


def _get(user: User, **query: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.get("/me/data/", query)


def test_the_json_holds_the_bond_and_the_desk_requests_and_no_token(person, someone_else):
    data = json.loads(_get(person, format="json").content)
    [bond] = data["identity_providers"]
    assert bond["provider"] == "FranceConnect" and bond["method"] == "sign_up"
    assert bond["bound_at"] and bond["waiting_first_login"] is False
    statuses = [(d["status"], d["reason"], d["close_reason"]) for d in data["desk_requests"]]
    assert statuses == [
        ("open", "first_names_partial", ""),
        ("closed", "ambiguous", "document_missing"),
    ]
    assert data["desk_requests"][1]["close_note"] == "Apportez votre carte."
    raw = json.dumps(data)
    for secret in (SUBJECT, "id_token", "access_token", "other-sub", "other-idp", "struck_off"):
        assert secret not in raw, secret


def test_the_page_says_it_in_words(person, someone_else):
    html = html_text.unescape(_get(person).content.decode())
    assert ">Fournisseurs d'identité</h2>" in html and ">Demandes au guichet</h2>" in html
    assert "FranceConnect" in html and "Compte ouvert à la connexion" in html
    assert "Pièce d'identité non présentée" in html and "Apportez votre carte." in html
    assert "en attente — Prénoms incomplets au registre" in html
    assert SUBJECT not in html
    assert "other-idp" not in html and "radiée" not in html


def test_a_person_without_either_sees_so(someone_else, settings: Any):
    html = html_text.unescape(_get(UserFactory()).content.decode())
    assert "Aucun fournisseur d'identité n'est rattaché à votre compte." in html
    assert "Aucune demande au guichet." in html
    assert "other-idp" not in html


def test_a_staff_authorisation_waiting_for_its_first_login_is_shown(settings: Any):
    settings.STAFF_OIDC_ISSUER = "https://pc.example.org/api/v2"
    agent = StaffFactory(role=Role.MODERATOR)
    OidcIdentity.objects.create(
        user=agent,
        issuer=settings.STAFF_OIDC_ISSUER,
        subject="",
        method=OidcBindMethod.STAFF,
        authorised_by=StaffFactory(role=Role.ADMINISTRATOR),
    )
    data = json.loads(_get(agent, format="json").content)
    assert data["identity_providers"][0]["provider"] == "ProConnect"
    assert data["identity_providers"][0]["waiting_first_login"] is True

"""Sign-up explains residency verification before the form; the verification form accepts the
date as its hint writes it (JJ/MM/AAAA); errors are listed in the error summary."""

from __future__ import annotations

import re
from datetime import date

import pytest

from civic.models import User
from tests.factories import RegisterEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def _summary(html: str) -> str:
    found = re.search(r'<div class="error-summary.*?</div>', html, re.S)
    assert found is not None, "no error summary"
    return found.group(0)


def test_the_signup_page_says_why_how_and_with_which_data_residency_is_checked(client):
    html = client.get("/accounts/signup/").content.decode()
    assert "Pourquoi ?" in html and "Comment ?" in html and "Quelles données ?" in html
    assert "au guichet de la mairie" in html and "registre des résidents" in html
    assert "JJ/MM/AAAA, par exemple 14/07/1990" in html
    assert html.index("Pourquoi ?") > html.index('name="email"')  # the form first, then why
    assert "<script" not in html and len(re.findall(r"<h1[\s>]", html)) == 1


def test_the_signup_page_lists_errors_in_the_error_summary_and_creates_nothing(client):
    response = client.post(
        "/accounts/signup/", {"email": "pas-une-adresse", "password1": "a", "password2": "b"}
    )
    summary = _summary(response.content.decode())
    assert response.status_code == 200 and 'href="#id_email"' in summary
    assert not User.objects.filter(email="pas-une-adresse").exists()


def test_the_signup_page_is_in_english_under_en(client):
    html = client.get("/en/accounts/signup/").content.decode()
    assert "Why?" in html and "DD/MM/YYYY, for example 14/07/1990" in html


@pytest.mark.parametrize("typed", ["27/03/1984", "27-03-1984", "27.03.1984", "1984-03-27"])
def test_the_verification_accepts_the_date_as_the_hint_writes_it(client, typed):
    entry = RegisterEntryFactory(
        last_name="Martin", first_names="Camille", birth_date=date(1984, 3, 27), roll_number="R1"
    )
    user = UserFactory()
    client.force_login(user)
    page = client.get("/me/verify/").content.decode()
    assert "JJ/MM/AAAA, par exemple 27/03/1984" in page and 'type="date"' not in page
    data = {"last_name": "Martin", "first_names": "Camille", "roll_number": "R1"}
    response = client.post("/me/verify/", {**data, "birth_date": typed})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.register_entry == entry


@pytest.mark.parametrize("typed", ["03/27/1984", "27/03/84", "le 27 mars", "31/02/1990"])
def test_a_date_not_in_the_hinted_form_is_refused_in_the_error_summary(client, typed):
    RegisterEntryFactory(birth_date=date(1984, 3, 27), roll_number="R1")
    user = UserFactory()
    client.force_login(user)
    data = {"last_name": "Martin", "first_names": "Camille", "roll_number": "R1"}
    response = client.post("/me/verify/", {**data, "birth_date": typed})
    summary = _summary(response.content.decode())
    assert response.status_code == 200 and 'href="#id_birth_date"' in summary
    assert "JJ/MM/AAAA" in summary
    user.refresh_from_db()
    assert user.register_entry is None

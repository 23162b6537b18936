from datetime import date

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from civic.models import User
from tests.factories import RegisterEntryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_is_french_by_default_and_has_a_skip_link(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert "Droit d'initiative locale" in html


def test_the_language_switch_works_without_javascript(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en">' in response.content.decode()


def test_pages_carry_a_content_security_policy_without_unsafe_inline(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()
    assert " style=" not in response.content.decode()


def test_sign_up_sends_a_verification_email_and_login_needs_it(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.org",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="new@example.org").exists()
    assert len(mail.outbox) == 1 and "new@example.org" in mail.outbox[0].to
    assert not EmailAddress.objects.get(email="new@example.org").verified


def test_a_password_reset_email_is_sent_for_a_known_account(client):
    UserFactory(email="known@example.org")
    client.post(reverse("account_reset_password"), {"email": "known@example.org"})
    assert len(mail.outbox) == 1


def test_the_verification_page_links_the_account(client):
    entry = RegisterEntryFactory(
        last_name="Martin", first_names="Camille", birth_date=date(1984, 3, 27), roll_number="R1"
    )
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("verify"))
    assert 'for="id_last_name"' in page.content.decode()
    response = client.post(
        reverse("verify"),
        {
            "last_name": "Martin",
            "first_names": "Camille",
            "birth_date": "1984-03-27",
            "roll_number": "R1",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.register_entry == entry


def test_a_failed_verification_shows_a_message_and_keeps_the_input(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("verify"),
        {
            "last_name": "Martin",
            "first_names": "Camille",
            "birth_date": "1984-03-27",
            "roll_number": "R1",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html and 'value="Martin"' in html


def test_the_verification_page_needs_a_login(client):
    response = client.get(reverse("verify"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_resident_downloads_their_own_data(client):
    entry = RegisterEntryFactory(last_name="Martin")
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(
        register_entry=entry, verified_at="2026-01-01T00:00Z", verification_method="match"
    )
    client.force_login(user)
    data = client.get(reverse("my-data") + "?format=json").json()
    assert data["account"]["email"] == user.email
    assert data["register_entry"]["last_name"] == "Martin"


@pytest.mark.parametrize("url_name", ["staff-home", "staff-register-import", "staff-desk-verify"])
def test_staff_pages_are_closed_to_residents(client, url_name):
    client.force_login(UserFactory())
    assert client.get(reverse(url_name)).status_code == 403


def test_the_register_import_page_reports_rejections(client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(StaffFactory(role="administrator"))
    upload = SimpleUploadedFile(
        "roll.csv",
        (
            b"ref,kind,last_name,first_names,birth_date,address,postcode,district,roll_number\n"
            b"X1,elector,Martin,Lea,1990-01-01,1 rue A,86000,nowhere,R1\n"
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):  # the job runs (eagerly) on commit
        response = client.post(reverse("staff-register-import"), {"file": upload})
    html = client.get(response["Location"]).content.decode()
    assert "nowhere" in html and "Lignes rejetées" in html, html[html.index("<main") :][:3000]


def test_the_auditor_cannot_import_the_register(client):
    client.force_login(StaffFactory(role="auditor"))
    assert client.get(reverse("staff-register-import")).status_code == 403


def test_healthz_answers(client):
    assert client.get("/healthz").content == b"ok"


def test_an_unknown_page_answers_a_404_page_of_the_site(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert 'href="#main"' in response.content.decode()


def test_an_unknown_api_path_answers_in_the_api_error_format(client):
    response = client.get("/api/v1/districts/not-a-route/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Cette page n'existe pas."}


def test_me_declares_a_null_district_for_an_unverified_account(client):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(UserFactory())
    assert api.get("/api/v1/me/").json()["district"] is None

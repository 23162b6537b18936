from datetime import date

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from civic.models import ApiToken
from tests.factories import RegisterEntryFactory, ResidentFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_schema_and_the_docs_are_served(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/auth/token/" in schema.json()["paths"]
    assert api.get("/api/v1/docs/").status_code == 200


def test_a_token_is_issued_for_the_right_password_and_authenticates(api):
    user = UserFactory(email="ana@example.org")
    response = api.post(
        "/api/v1/auth/token/", {"email": "ANA@example.org", "password": "correct horse battery"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    token_id = int(token.split("_")[1])
    assert token.startswith("civ_") and ApiToken.objects.get(pk=token_id).user == user
    assert token not in ApiToken.objects.get(pk=token_id).digest  # the database keeps a digest
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me/").json()["email"] == "ana@example.org"


def test_a_wrong_password_gets_a_stable_error_code(api):
    UserFactory(email="ana@example.org")
    response = api.post("/api/v1/auth/token/", {"email": "ana@example.org", "password": "nope"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_credentials",
        "detail": "E-mail or password is incorrect.",
    }


def test_validation_errors_keep_the_field_detail(api):
    response = api.post("/api/v1/auth/token/", {"email": "not-an-email"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["detail"]) == {"email", "password"}


def test_anonymous_access_to_a_private_endpoint_is_a_401_or_403_with_a_code(api):
    response = api.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_an_unknown_path_under_the_api_is_not_a_server_error(api):
    assert api.get("/api/v1/me/notifications/999999/read/").status_code in (401, 403, 405)


def test_malformed_json_is_a_400_with_a_code(api):
    response = api.post("/api/v1/auth/token/", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_verification_through_the_api_links_the_account(api):
    entry = RegisterEntryFactory(
        last_name="Rossi",
        first_names="Sofia",
        birth_date=date(1975, 6, 15),
        roll_number="U3",
        eu=True,
    )
    user = UserFactory()
    api.force_authenticate(user)
    response = api.post(
        "/api/v1/me/verification/",
        {
            "last_name": "rossi",
            "first_names": "sofia",
            "birth_date": "1975-06-15",
            "roll_number": "U3",
        },
    )
    assert response.status_code == 200, response.json()
    assert (
        response.json()["verified"] is True and response.json()["district"] == entry.district.code
    )
    again = api.post(
        "/api/v1/me/verification/",
        {
            "last_name": "rossi",
            "first_names": "sofia",
            "birth_date": "1975-06-15",
            "roll_number": "U3",
        },
    )
    assert again.status_code == 409 and again.json()["code"] == "already_verified"


def test_a_failed_verification_is_a_400_with_a_neutral_code(api):
    api.force_authenticate(UserFactory())
    response = api.post(
        "/api/v1/me/verification/",
        {"last_name": "x", "first_names": "y", "birth_date": "1975-06-15", "roll_number": "Z"},
    )
    assert response.status_code == 400 and response.json()["code"] == "no_match"


def test_verification_attempts_are_throttled(api, settings):
    settings.THROTTLE_VERIFICATION = "3/hour"
    cache.clear()
    api.force_authenticate(UserFactory())
    body = {"last_name": "x", "first_names": "y", "birth_date": "1975-06-15", "roll_number": "Z"}
    codes = [api.post("/api/v1/me/verification/", body).status_code for _ in range(5)]
    assert codes == [400, 400, 400, 429, 429]
    response = api.post("/api/v1/me/verification/", body)
    assert response.json()["code"] == "throttled" and response.json()["retry_after"] > 0


def test_desk_verification_endpoint_needs_a_staff_role(api):
    entry = RegisterEntryFactory()
    user = UserFactory()
    api.force_authenticate(ResidentFactory())
    denied = api.post("/api/v1/staff/verifications/", {"user_id": user.pk, "entry_id": entry.pk})
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    api.force_authenticate(StaffFactory(role="moderator"))
    ok = api.post("/api/v1/staff/verifications/", {"user_id": user.pk, "entry_id": entry.pk})
    assert ok.status_code == 200 and ok.json()["verified"] is True


def test_a_resident_reads_only_their_own_notifications(api):
    from civic.notifications import notify

    mine, other = ResidentFactory(), ResidentFactory()
    notify(recipient=mine, kind="k", subject="mine", body="b")
    theirs = notify(recipient=other, kind="k", subject="theirs", body="b")
    api.force_authenticate(mine)
    listed = api.get("/api/v1/me/notifications/").json()
    assert [n["subject"] for n in listed["results"]] == ["mine"]
    api.post(f"/api/v1/me/notifications/{theirs.pk}/read/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_districts_are_public(api):
    RegisterEntryFactory()
    assert len(api.get("/api/v1/districts/").json()) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/initiatives/9223372036854775808/",
        "/api/v1/initiatives/99999999999999999999/signatures/",
    ],
)
def test_an_id_beyond_the_database_range_is_a_404_not_a_server_error(api, path):
    response = api.post(path) if path.endswith("signatures/") else api.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"

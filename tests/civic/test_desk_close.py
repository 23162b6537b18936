"""The desk closes a near-miss request without verifying (civic/services/desk.py): a reason of the
list, a note the resident reads, audited, the resident told what to do next, the request out of the
queue; bad input, the wrong role and a closed request each answer clearly and change nothing."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import Client
from rest_framework.test import APIClient

from civic.errors import Conflict, DomainError, NotFound, PermissionDenied
from civic.models import AuditEntry, DeskRequest, DeskRequestOutcome, Notification, User
from civic.roles import Role
from civic.services.desk import desk_request_close
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting() -> DeskRequest:
    resident = UserFactory(email="waiting@example.org")
    return DeskRequest.objects.create(user=resident, reason="first_names_differ")


@pytest.fixture
def desk_agent() -> User:
    return StaffFactory(role=Role.MODERATOR)


def _page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_closing_records_the_reason_audits_and_tells_the_resident(waiting, desk_agent):
    closed = desk_request_close(
        agent=desk_agent, request_id=waiting.pk, reason="document_missing", note="Venez mardi."
    )
    assert closed.outcome == DeskRequestOutcome.CLOSED and closed.closed_by == desk_agent
    assert closed.close_reason == "document_missing" and closed.close_note == "Venez mardi."
    entry = AuditEntry.objects.get(verb="desk_request.close")
    assert entry.after["reason"] == "document_missing" and entry.after["note"] is True
    message = Notification.objects.get(recipient=waiting.user)
    assert message.kind == "desk_request_closed"
    assert "Pièce d'identité non présentée" in message.body
    assert "Présentez-vous au guichet" in message.body  # what to do next
    assert "Venez mardi." in message.body
    assert message.url == "/me/verify/"
    assert not User.objects.get(pk=waiting.user_id).is_verified


def test_the_resident_reads_the_message_in_their_language(waiting, desk_agent):
    User.objects.filter(pk=waiting.user_id).update(language="en")
    waiting.user.refresh_from_db()
    desk_request_close(agent=desk_agent, request_id=waiting.pk, reason="not_resident")
    message = Notification.objects.get(recipient=waiting.user)
    assert "closed your verification request" in message.body
    assert "closed" in message.subject.lower()


@pytest.mark.parametrize(
    ("reason", "note", "code"),
    [
        ("", "", "reason_required"),
        ("because", "", "reason_unknown"),
        ("duplicate", "x" * 501, "note_too_long"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_changes_nothing(
    waiting, desk_agent, reason: str, note: str, code: str
):
    with pytest.raises(DomainError) as refused:
        desk_request_close(agent=desk_agent, request_id=waiting.pk, reason=reason, note=note)
    assert refused.value.code == code and refused.value.status == 400
    waiting.refresh_from_db()
    assert waiting.closed_at is None and not Notification.objects.exists()


def test_an_already_closed_or_unknown_request_is_refused(waiting, desk_agent):
    desk_request_close(agent=desk_agent, request_id=waiting.pk, reason="duplicate")
    with pytest.raises(Conflict) as closed:
        desk_request_close(agent=desk_agent, request_id=waiting.pk, reason="withdrawn")
    assert closed.value.code == "desk_request_closed"
    assert DeskRequest.objects.get().close_reason == "duplicate"
    assert Notification.objects.count() == 1
    with pytest.raises(NotFound):
        desk_request_close(agent=desk_agent, request_id=waiting.pk + 999, reason="duplicate")


@pytest.mark.parametrize(
    "role", [Role.CAMPAIGN_MANAGER, Role.ASSEMBLY_CLERK, Role.AUDITOR, "resident", "owner"]
)
def test_only_desk_roles_close(waiting, role: str):
    if role == "owner":
        agent = waiting.user  # the resident cannot close their own request either
    elif role == "resident":
        agent = UserFactory()
    else:
        agent = StaffFactory(role=role)
    with pytest.raises(PermissionDenied):
        desk_request_close(agent=agent, request_id=waiting.pk, reason="duplicate")
    assert DeskRequest.objects.get().closed_at is None


def test_the_database_refuses_a_closing_without_reason(waiting):
    with pytest.raises(IntegrityError):
        DeskRequest.objects.filter(pk=waiting.pk).update(
            closed_at=waiting.created_at, outcome=DeskRequestOutcome.CLOSED
        )


def test_the_page_closes_the_request_and_it_leaves_the_queue(waiting, desk_agent):
    client = _page_client(desk_agent)
    queue = client.get("/staff/verify/").content.decode()
    assert f"/staff/verify/{waiting.pk}/close/" in queue
    form = client.get(f"/staff/verify/{waiting.pk}/close/")
    assert form.status_code == 200
    assert "Le résident lira cette note" in form.content.decode()
    response = client.post(
        f"/staff/verify/{waiting.pk}/close/", {"reason": "withdrawn", "note": ""}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/staff/verify/"
    assert "Demande close" in response.content.decode()
    assert f"/staff/verify/{waiting.pk}/close/" not in response.content.decode()
    assert DeskRequest.objects.get().close_reason == "withdrawn"


def test_the_page_answers_bad_input_and_a_closed_request_clearly(waiting, desk_agent):
    client = _page_client(desk_agent)
    missing = client.post(f"/staff/verify/{waiting.pk}/close/", {"note": "kept"})
    assert missing.status_code == 400
    body = missing.content.decode()
    assert "Choisissez le motif de la clôture." in body and "kept" in body  # nothing lost
    desk_request_close(agent=desk_agent, request_id=waiting.pk, reason="duplicate")
    again = client.post(f"/staff/verify/{waiting.pk}/close/", {"reason": "withdrawn"})
    assert again.status_code == 409 and "déjà close" in again.content.decode()
    assert client.get(f"/staff/verify/{waiting.pk + 999}/close/").status_code == 404


def test_the_page_is_closed_to_other_roles(waiting):
    for user in (StaffFactory(role=Role.AUDITOR), waiting.user):
        response = _page_client(user).post(
            f"/staff/verify/{waiting.pk}/close/", {"reason": "duplicate"}
        )
        assert response.status_code == 403
    assert DeskRequest.objects.get().closed_at is None


def test_the_api_closes_with_a_stable_code_for_each_refusal(waiting, desk_agent):
    api = APIClient()
    api.force_authenticate(desk_agent)
    url = f"/api/v1/staff/desk-requests/{waiting.pk}/close/"
    assert api.post(url, {"reason": "nope"}, format="json").status_code == 400
    done = api.post(url, {"reason": "not_on_register", "note": "Inscrivez-vous."}, format="json")
    assert done.status_code == 200 and done.json()["outcome"] == "closed"
    again = api.post(url, {"reason": "duplicate"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "desk_request_closed"
    unknown = api.post(
        f"/api/v1/staff/desk-requests/{waiting.pk + 999}/close/",
        {"reason": "duplicate"},
        format="json",
    )
    assert unknown.status_code == 404
    resident_api = APIClient()
    resident_api.force_authenticate(waiting.user)
    assert resident_api.post(url, {"reason": "duplicate"}, format="json").status_code == 403

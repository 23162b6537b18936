"""The assembly API beyond votes: the clerk runs a session from plan to published minutes and
follows a recommendation up through the API alone; the public reads what is public, nothing
before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assembly.models import Minutes, MinutesStatus, Recommendation, SessionStatus
from civic.models import AuditEntry
from tests.assembly.factories import MandateFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_the_clerk_runs_a_session_from_plan_to_published_minutes_through_the_api(
    api, staff_api, seated
) -> None:
    mandate, members = seated(members=5)
    clerk = staff_api("assembly_clerk")
    starts = timezone.now() + timedelta(days=5)
    created = clerk.post(
        f"/api/v1/assemblies/{mandate.pk}/sessions/",
        {"title": "Mobilités", "starts_at": starts.isoformat(), "place": "Salle du conseil"},
    )
    assert created.status_code == 201, created.json()
    session_id = created.json()["id"]
    assert created.json()["status"] == SessionStatus.PLANNED
    # Planned: the public sees neither the session nor its agenda.
    item = clerk.post(
        f"/api/v1/sessions/{session_id}/agenda-items/",
        {"title": "Pistes cyclables", "duration_minutes": 45},
    )
    assert item.status_code == 201 and item.json()["position"] == 1
    assert api.get(f"/api/v1/sessions/{session_id}/agenda-items/").status_code == 404
    full = clerk.post(
        f"/api/v1/sessions/{session_id}/agenda-items/",
        {"title": "Trop long", "duration_minutes": 500},
    )
    assert (full.status_code, full.json()["code"]) == (409, "session_full")
    published = clerk.post(f"/api/v1/sessions/{session_id}/agenda/publish/")
    assert published.json()["published"] is True
    assert clerk.post(f"/api/v1/sessions/{session_id}/agenda/publish/").json()["published"] is False
    agenda = api.get(f"/api/v1/sessions/{session_id}/agenda-items/").json()
    assert [row["title"] for row in agenda] == ["Pistes cyclables"]
    # Before the session opens nobody's presence is public.
    assert api.get(f"/api/v1/sessions/{session_id}/attendance/").json()["members"] == []

    clerk.post(f"/api/v1/sessions/{session_id}/open/")
    for member in members[:3]:
        clerk.post(
            f"/api/v1/sessions/{session_id}/attendance/", {"member_id": member.pk, "present": True}
        )
    attendance = api.get(f"/api/v1/sessions/{session_id}/attendance/").json()
    assert attendance["quorum"]["present"] == 3
    assert {row["seat"] for row in attendance["members"]} == {m.seat for m in members[:3]}
    assert set(attendance["members"][0]) == {
        "member_id",
        "seat",
        "first_name",
        "district_name",
        "present",
        "recorded_at",
    }
    clerk.post(f"/api/v1/sessions/{session_id}/close/")

    # The draft minutes are the clerk's until approved at a later session and published.
    assert api.get(f"/api/v1/sessions/{session_id}/minutes/").status_code == 404
    edited = clerk.patch(
        f"/api/v1/sessions/{session_id}/minutes/", {"body": "Texte revu"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["body"] == "Texte revu"
    too_early = clerk.post(f"/api/v1/sessions/{session_id}/minutes/publish/")
    assert (too_early.status_code, too_early.json()["code"]) == (409, "minutes_not_approved")
    later = SessionFactory(
        mandate=mandate,
        status=SessionStatus.OPEN,
        starts_at=starts + timedelta(days=30),
        opened_at=timezone.now(),
    )
    same = clerk.post(
        f"/api/v1/sessions/{session_id}/minutes/approve/", {"at_session_id": session_id}
    )
    assert (same.status_code, same.json()["code"]) == (409, "session_not_open")
    approved = clerk.post(
        f"/api/v1/sessions/{session_id}/minutes/approve/", {"at_session_id": later.pk}
    )
    assert approved.json()["status"] == MinutesStatus.APPROVED
    frozen = clerk.patch(f"/api/v1/sessions/{session_id}/minutes/", {"body": "X"}, format="json")
    assert (frozen.status_code, frozen.json()["code"]) == (409, "minutes_not_draft")
    clerk.post(f"/api/v1/sessions/{session_id}/minutes/publish/")
    public = api.get(f"/api/v1/sessions/{session_id}/minutes/")
    assert public.status_code == 200 and public.json()["body"] == "Texte revu"
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {
        "assembly.session_create",
        "assembly.agenda_add",
        "assembly.agenda_publish",
        "assembly.minutes_edit",
        "assembly.minutes_approve",
        "assembly.minutes_publish",
    } <= verbs


def test_a_session_is_planned_only_for_a_seated_assembly_that_exists(staff_api) -> None:
    clerk = staff_api("assembly_clerk")
    body = {"title": "S", "starts_at": timezone.now().isoformat(), "place": "Ici"}
    assert clerk.post("/api/v1/assemblies/999999/sessions/", body).status_code == 404
    draft = MandateFactory()
    refused = clerk.post(f"/api/v1/assemblies/{draft.pk}/sessions/", body)
    assert (refused.status_code, refused.json()["code"]) == (409, "mandate_not_seated")
    bad = clerk.post(f"/api/v1/assemblies/{draft.pk}/sessions/", {**body, "capacity_minutes": 0})
    assert bad.json()["code"] == "invalid" and "capacity_minutes" in bad.json()["detail"]
    assert not draft.sessions.exists()


def test_recommendations_are_public_and_the_clerk_refers_and_records_the_answer(
    api, staff_api
) -> None:
    mandate = MandateFactory(seated=True)
    rec = Recommendation.objects.create(
        mandate=mandate, title="Cours d'école", text="Végétaliser.", adopted_at=timezone.now()
    )
    listed = api.get(f"/api/v1/assemblies/{mandate.pk}/recommendations/").json()
    assert [row["id"] for row in listed["results"]] == [rec.pk]
    clerk = staff_api("assembly_clerk")
    past = clerk.post(
        f"/api/v1/recommendations/{rec.pk}/refer/",
        {"answer_due": (timezone.localdate() - timedelta(days=1)).isoformat()},
    )
    assert (past.status_code, past.json()["code"]) == (400, "deadline_in_past")
    early = clerk.post(f"/api/v1/recommendations/{rec.pk}/answer/", {"answer": "Oui"})
    assert (early.status_code, early.json()["code"]) == (409, "not_referred")
    due = timezone.localdate() + timedelta(days=90)
    referred = clerk.post(
        f"/api/v1/recommendations/{rec.pk}/refer/", {"answer_due": due.isoformat()}
    )
    assert referred.json()["status"] == "referred"
    blank = clerk.post(f"/api/v1/recommendations/{rec.pk}/answer/", {"answer": "   "})
    assert blank.status_code == 400
    clerk.post(f"/api/v1/recommendations/{rec.pk}/answer/", {"answer": "Le conseil adopte."})
    detail = api.get(f"/api/v1/recommendations/{rec.pk}/").json()
    assert (detail["status"], detail["council_answer"], detail["answer_due"]) == (
        "answered",
        "Le conseil adopte.",
        due.isoformat(),
    )
    # A resident or a moderator cannot follow a recommendation up.
    assert (
        staff_api("moderator").post(f"/api/v1/recommendations/{rec.pk}/refer/").status_code == 403
    )


def test_a_draft_mandate_s_recommendations_are_not_public(api) -> None:
    rec = Recommendation.objects.create(
        mandate=MandateFactory(), title="T", text="T", adopted_at=timezone.now()
    )
    assert api.get(f"/api/v1/recommendations/{rec.pk}/").status_code == 404
    assert api.get(f"/api/v1/assemblies/{rec.mandate_id}/recommendations/").status_code == 404
    assert Minutes.objects.count() == 0

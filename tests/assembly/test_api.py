"""The API: public reads without personal data, pinned query counts, clerk-only operations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assembly.models import AgendaItem, Majority, Minutes, MinutesStatus, SessionStatus, SourceKind
from assembly.services import sessions, votes
from tests.assembly.conftest import BALANCED_POOL, INFEASIBLE_POOL
from tests.assembly.factories import MandateFactory, MemberFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_the_assembly_list_is_public_and_paginated_with_a_fixed_number_of_queries(
    api, django_assert_num_queries
) -> None:
    for _ in range(3):
        MandateFactory(seated=True)
    MandateFactory()  # a draft is not public
    with django_assert_num_queries(2):
        response = api.get("/api/v1/assemblies/")
    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_members_are_listed_by_first_name_and_district_only(
    api, seated, django_assert_num_queries
) -> None:
    mandate, members = seated(members=6)
    # Markers no random name can contain: a surname such as "Martin" is inside "Martine".
    entry = members[0].volunteer.register_entry
    type(entry).objects.filter(pk=entry.pk).update(
        last_name="Qxzlastnamemarker", address="12 rue Qxzaddressmarker"
    )
    entry.refresh_from_db()
    with django_assert_num_queries(3):
        response = api.get(f"/api/v1/assemblies/{mandate.pk}/members/")
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert set(row) == {
        "id",
        "seat",
        "first_name",
        "district_name",
        "status",
        "source",
        "joined_at",
        "left_at",
    }
    body = response.content.decode()
    assert (
        entry.last_name not in body
        and entry.address not in body
        and members[0].volunteer.pseudonym not in body
    )


def test_a_draft_mandate_and_its_members_are_not_public(api) -> None:
    mandate = MandateFactory()
    assert api.get(f"/api/v1/assemblies/{mandate.pk}/").status_code == 404
    assert api.get(f"/api/v1/assemblies/{mandate.pk}/members/").json()["code"] == "not_found"


def test_the_assembly_detail_shows_composition_against_quotas_and_the_commitment(
    api, recruiting, clerk, freeze
) -> None:
    from tests.assembly.conftest import publish_and_draw

    mandate = recruiting(BALANCED_POOL)
    publish_and_draw(mandate, clerk, freeze)
    data = api.get(f"/api/v1/assemblies/{mandate.pk}/").json()
    assert {(r["feature"], r["value"]) for r in data["composition"]} == {
        ("genre", "f"),
        ("genre", "m"),
        ("quartier", "nord"),
        ("quartier", "sud"),
    }
    assert all(r["met"] for r in data["composition"])
    assert sum(r["panel"] for r in data["composition"] if r["feature"] == "genre") == 4
    bundle = api.get(f"/api/v1/assemblies/{mandate.pk}/draw/").json()
    assert len(bundle["panel"]) == 4 and bundle["payload"]["algorithm"] == "maximin"
    # The seed is the randomness of the round the commitment named, published with the round.
    assert data["commitment"]["beacon_round"] == bundle["payload"]["beacon"]["round"]
    assert data["commitment"]["seed"] == bundle["beacon"]["randomness"]


def test_sessions_list_hides_unpublished_sessions_and_has_a_fixed_query_count(
    api, django_assert_num_queries
) -> None:
    mandate = MandateFactory(seated=True)
    for _ in range(4):
        SessionFactory(mandate=mandate, status=SessionStatus.PUBLISHED)
    hidden = SessionFactory(mandate=mandate)
    with django_assert_num_queries(2):
        response = api.get("/api/v1/sessions/")
    assert response.json()["count"] == 4
    assert api.get(f"/api/v1/sessions/{hidden.pk}/").status_code == 404


def test_a_session_shows_agenda_votes_and_only_published_minutes(
    api, open_session, clerk, django_assert_num_queries
) -> None:
    session, members = open_session
    AgendaItem.objects.create(
        mandate=session.mandate,
        session=session,
        position=1,
        title="Mobilités",
        duration_minutes=40,
        source_kind=SourceKind.STAFF,
    )
    for m in members[:3]:
        votes.attendance_record(session_id=session.pk, member_id=m.pk, present=True, actor=clerk)
    motion = votes.motion_create(
        session_id=session.pk, actor=clerk, title="Zone 30", majority=Majority.SIMPLE
    )
    votes.motion_open(motion_id=motion.pk, actor=clerk)
    votes.vote_record(motion_id=motion.pk, member_id=members[0].pk, choice="for", actor=clerk)
    votes.motion_close(motion_id=motion.pk, actor=clerk)
    sessions.session_close(session_id=session.pk, actor=clerk)
    with django_assert_num_queries(4):  # session+mandate, agenda, motions, minutes
        data = api.get(f"/api/v1/sessions/{session.pk}/").json()
    assert [i["title"] for i in data["agenda_items"]] == ["Mobilités"]
    assert data["motions"][0]["votes_for"] == 1 and data["motions"][0]["result"] == "adopted"
    assert data["minutes"] is None  # a draft is not public
    Minutes.objects.filter(session=session).update(
        status=MinutesStatus.PUBLISHED,
        published_at=timezone.now(),
        approved_at=timezone.now(),
        approved_in=SessionFactory(mandate=session.mandate),
    )
    assert "Zone 30" in api.get(f"/api/v1/sessions/{session.pk}/").json()["minutes"]["body"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/assemblies/{mandate}/commitment/"),
        ("get", "/api/v1/assemblies/{mandate}/commitment/job/"),
        ("post", "/api/v1/assemblies/{mandate}/draw/run/"),
        ("post", "/api/v1/assembly-members/{member}/leave/"),
        ("post", "/api/v1/sessions/{session}/attendance/"),
        ("post", "/api/v1/sessions/{session}/motions/"),
        ("post", "/api/v1/sessions/{session}/open/"),
        ("post", "/api/v1/motions/1/open/"),
        ("post", "/api/v1/motions/1/votes/"),
    ],
)
def test_clerk_endpoints_refuse_anonymous_residents_and_other_staff(
    api, resident_api, staff_api, method, path
) -> None:  # type: ignore[no-untyped-def]
    member = MemberFactory()
    session = SessionFactory(mandate=member.mandate)
    url = path.format(mandate=member.mandate_id, member=member.pk, session=session.pk)
    assert getattr(api, method)(url, {}).status_code in (401, 403)
    assert getattr(resident_api, method)(url, {}).json()["code"] == "permission_denied"
    assert getattr(staff_api("moderator"), method)(url, {}).status_code == 403


def test_the_clerk_records_attendance_and_votes_and_the_quorum_is_enforced(
    staff_api, open_session
) -> None:
    session, members = open_session
    clerk_api = staff_api("assembly_clerk")
    response = clerk_api.post(
        f"/api/v1/sessions/{session.pk}/attendance/", {"member_id": members[0].pk, "present": True}
    )
    assert response.status_code == 200
    assert response.json()["quorum"] == {"active": 5, "present": 1, "needed": 3, "met": False}
    motion = clerk_api.post(
        f"/api/v1/sessions/{session.pk}/motions/", {"title": "M", "majority": "two_thirds"}
    ).json()
    refused = clerk_api.post(f"/api/v1/motions/{motion['id']}/open/")
    assert refused.status_code == 400
    assert refused.json()["code"] == "quorum_not_met" and "rule" in refused.json()
    for m in members[1:3]:
        clerk_api.post(
            f"/api/v1/sessions/{session.pk}/attendance/", {"member_id": m.pk, "present": True}
        )
    assert clerk_api.post(f"/api/v1/motions/{motion['id']}/open/").json()["status"] == "open"
    for m, choice in zip(members[:3], ["for", "for", "against"], strict=True):
        assert (
            clerk_api.post(
                f"/api/v1/motions/{motion['id']}/votes/", {"member_id": m.pk, "choice": choice}
            ).status_code
            == 200
        )
    bad = clerk_api.post(
        f"/api/v1/motions/{motion['id']}/votes/", {"member_id": members[4].pk, "choice": "for"}
    )
    assert bad.json()["code"] == "member_not_present"
    closed = clerk_api.post(f"/api/v1/motions/{motion['id']}/close/").json()
    assert (closed["result"], closed["votes_for"], closed["votes_against"]) == ("adopted", 2, 1)


def test_the_clerk_publishes_the_commitment_then_runs_the_draw(
    api, staff_api, recruiting, freeze, django_capture_on_commit_callbacks
) -> None:
    mandate = recruiting(BALANCED_POOL)
    clerk_api = staff_api("assembly_clerk")
    start = timezone.now()
    freeze(start)
    bad = clerk_api.post(
        f"/api/v1/assemblies/{mandate.pk}/commitment/",
        {"seed_expected_at": (start - timedelta(hours=1)).isoformat()},
    )
    assert bad.json()["code"] == "seed_not_in_future"
    job_url = f"/api/v1/assemblies/{mandate.pk}/commitment/job/"
    assert clerk_api.get(job_url).json()["code"] == "not_found"  # never asked
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        asked = clerk_api.post(
            f"/api/v1/assemblies/{mandate.pk}/commitment/",
            {"seed_expected_at": (start + timedelta(days=1)).isoformat()},
        )
    # Accepted, not computed: the job waits for a worker, the address to follow it is given.
    assert asked.status_code == 202 and asked["Location"] == job_url
    assert (asked.json()["status"], asked.json()["commitment"]) == ("pending", None)
    again = clerk_api.post(
        f"/api/v1/assemblies/{mandate.pk}/commitment/",
        {"seed_expected_at": (start + timedelta(days=1)).isoformat()},
    )
    assert (again.status_code, again.json()["code"]) == (409, "commitment_in_progress")
    for callback in callbacks:
        callback()  # the worker (eager in tests) computes and publishes
    job = clerk_api.get(job_url).json()
    assert (job["status"], job["attempts"], job["error"]) == ("done", 1, None)
    assert len(job["commitment"]["digest"]) == 64
    assert job["commitment"] == api.get(f"/api/v1/assemblies/{mandate.pk}/").json()["commitment"]
    early = clerk_api.post(f"/api/v1/assemblies/{mandate.pk}/draw/run/")
    assert early.json()["code"] == "seed_not_yet_public"
    freeze(start + timedelta(days=2))
    drawn = clerk_api.post(f"/api/v1/assemblies/{mandate.pk}/draw/run/")
    assert drawn.status_code == 200 and drawn.json()["ticket"] is not None
    again = clerk_api.post(f"/api/v1/assemblies/{mandate.pk}/draw/run/")
    assert (again.status_code, again.json()["code"]) == (409, "already_drawn")


def test_a_failed_commitment_job_says_why_and_may_be_asked_again(
    staff_api, recruiting, django_capture_on_commit_callbacks
) -> None:
    mandate = recruiting(INFEASIBLE_POOL)  # the quotas cannot be met by this pool
    clerk_api = staff_api("assembly_clerk")
    body = {
        "seed_expected_at": (timezone.now() + timedelta(days=1)).isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = clerk_api.post(f"/api/v1/assemblies/{mandate.pk}/commitment/", body)
    assert first.status_code == 202
    job = clerk_api.get(first["Location"]).json()
    assert (job["status"], job["commitment"]) == ("failed", None)
    assert job["error"]["code"] == "infeasible_quotas" and job["error"]["detail"]
    with django_capture_on_commit_callbacks(execute=False):
        retry = clerk_api.post(f"/api/v1/assemblies/{mandate.pk}/commitment/", body)
    assert (retry.status_code, retry.json()["status"], retry.json()["error"]) == (
        202,
        "pending",
        None,
    )


def test_invalid_input_is_a_400_not_a_500(staff_api, open_session) -> None:
    session, _members = open_session
    clerk_api = staff_api("assembly_clerk")
    assert (
        clerk_api.post(f"/api/v1/sessions/{session.pk}/attendance/", {"member_id": "x"}).status_code
        == 400
    )
    assert (
        clerk_api.post(
            f"/api/v1/sessions/{session.pk}/attendance/", {"member_id": 999999, "present": True}
        ).status_code
        == 404
    )
    assert (
        clerk_api.post(
            f"/api/v1/sessions/{session.pk}/motions/", {"title": "M", "majority": "unanimity"}
        ).status_code
        == 400
    )
    assert clerk_api.post("/api/v1/motions/999999/open/").status_code == 404

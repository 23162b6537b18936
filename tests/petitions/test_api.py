"""The API contract: paths, codes, authorisation on every object, cheap counts, pinned queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from civic.models import AuditEntry
from petitions import services
from petitions.models import Obligation, Signature, Status, TrackRung
from tests.factories import RegisterEntryFactory, ResidentFactory, UserFactory
from tests.petitions.factories import CHARTER, LEGAL, InitiativeFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


def test_the_whole_lifecycle_over_the_api(now, moderator):
    initiator = ResidentFactory()
    api = client_for(initiator)
    created = api.post(
        "/api/v1/initiatives/",
        {"title": "Un parc", "summary": "Vert.", "body": "Texte.", "instruments": [CHARTER, LEGAL]},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert [t["instrument"] for t in created.json()["tracks"]] == [CHARTER, LEGAL]
    for _ in range(2):
        promoter = ResidentFactory()
        assert (
            api.post(f"/api/v1/initiatives/{pk}/promoters/", {"email": promoter.email}).status_code
            == 201
        )
        assert (
            client_for(promoter).post(f"/api/v1/initiatives/{pk}/promoters/mine/").status_code
            == 200
        )
    assert (
        api.patch(f"/api/v1/initiatives/{pk}/", {"title": "Un grand parc"}).json()["title"]
        == "Un grand parc"
    )
    assert api.post(f"/api/v1/initiatives/{pk}/submit/").json()["status"] == "submitted"
    staff = client_for(moderator)
    assert staff.post(f"/api/v1/initiatives/{pk}/review/").json()["status"] == "in_review"
    published = staff.post(f"/api/v1/initiatives/{pk}/publish/").json()
    assert published["status"] == "collecting"
    assert [r["threshold"] for r in published["tracks"][0]["rungs"]] == [50, 300, 900, 4500]
    signer = ResidentFactory()
    signed = client_for(signer).post(f"/api/v1/initiatives/{pk}/signatures/")
    assert signed.status_code == 201 and signed.json() == {
        "initiative": pk,
        "signed": True,
        "tracks": [CHARTER, LEGAL],
    }
    services.counts_fold()
    count = APIClient().get(f"/api/v1/initiatives/{pk}/count/").json()
    assert count["signatures"] == 1 and count["tracks"] == {"0": 1, "1": 1}
    mine = client_for(signer).get("/api/v1/me/signatures/").json()
    assert [s["initiative_id"] for s in mine["results"]] == [pk]
    assert (
        client_for(signer).delete(f"/api/v1/initiatives/{pk}/signatures/mine/").status_code == 204
    )
    assert api.post(f"/api/v1/initiatives/{pk}/withdraw/").json()["status"] == "withdrawn"


def test_signing_twice_over_the_api_gives_the_same_answer(now):
    initiative = InitiativeFactory(collecting=True)
    api = client_for(ResidentFactory())
    first = api.post(f"/api/v1/initiatives/{initiative.pk}/signatures/")
    second = api.post(f"/api/v1/initiatives/{initiative.pk}/signatures/")
    assert (first.status_code, first.json()) == (second.status_code, second.json())
    assert Signature.objects.count() == 1


@pytest.mark.parametrize(
    ("make_user", "code", "status"),
    [
        (lambda: UserFactory(), "not_verified", 403),
        (
            lambda: ResidentFactory(register_entry=RegisterEntryFactory(child=True)),
            "not_eligible_too_young",
            403,
        ),
    ],
)
def test_ineligible_and_unverified_signers_get_clear_codes(now, make_user, code, status):  # type: ignore[no-untyped-def]
    initiative = InitiativeFactory(collecting=True)
    response = client_for(make_user()).post(f"/api/v1/initiatives/{initiative.pk}/signatures/")
    assert response.status_code == status
    assert response.json()["code"] == code


def test_an_anonymous_visitor_cannot_sign(now):
    initiative = InitiativeFactory(collecting=True)
    response = APIClient().post(f"/api/v1/initiatives/{initiative.pk}/signatures/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_the_quarter_limit_over_the_api_names_the_article(now):
    first = InitiativeFactory(collecting=True, instruments=[LEGAL])
    second = InitiativeFactory(collecting=True, instruments=[LEGAL])
    api = client_for(ResidentFactory())
    api.post(f"/api/v1/initiatives/{first.pk}/signatures/")
    response = api.post(f"/api/v1/initiatives/{second.pk}/signatures/")
    assert response.status_code == 400
    assert response.json() | {"detail": ""} == {
        "code": "quarter_limit",
        "rule": "CGCT L1112-16",
        "detail": "",
    }


def test_signing_after_the_close_answers_409(freeze):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    freeze(initiative.closes_at + timedelta(seconds=1))
    response = client_for(ResidentFactory()).post(
        f"/api/v1/initiatives/{initiative.pk}/signatures/"
    )
    assert response.status_code == 409 and response.json()["code"] == "collection_closed"


def test_the_count_endpoint_is_cacheable_and_answers_304_to_conditional_gets(
    now, django_assert_num_queries, django_capture_on_commit_callbacks
):
    initiative = InitiativeFactory(collecting=True)
    url = f"/api/v1/initiatives/{initiative.pk}/count/"
    api = APIClient()
    with django_assert_num_queries(1):
        response = api.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    etag, modified = response["ETag"], response["Last-Modified"]
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304  # not folded yet: unchanged
    with django_assert_num_queries(0):
        assert api.get(url).status_code == 200  # from the shared cache
    with django_capture_on_commit_callbacks(execute=True):
        services.counts_fold()  # drops the cached value when it commits
    changed = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_count_of_a_draft_is_not_found(now):
    initiative = InitiativeFactory()
    assert APIClient().get(f"/api/v1/initiatives/{initiative.pk}/count/").status_code == 404
    assert APIClient().get("/api/v1/initiatives/999999/count/").status_code == 404


def test_drafts_are_invisible_to_others_and_cannot_be_edited_by_them(now):
    draft = InitiativeFactory(instruments=[LEGAL])
    other = client_for(ResidentFactory())
    assert other.get(f"/api/v1/initiatives/{draft.pk}/").status_code == 404
    assert other.patch(f"/api/v1/initiatives/{draft.pk}/", {"title": "x"}).status_code == 404
    assert other.post(f"/api/v1/initiatives/{draft.pk}/submit/").status_code == 404
    assert APIClient().get(f"/api/v1/initiatives/{draft.pk}/").status_code == 404
    assert client_for(draft.initiator).get(f"/api/v1/initiatives/{draft.pk}/").status_code == 200


def test_a_resident_cannot_publish_reject_or_enter_paper_signatures(now):
    initiative = InitiativeFactory(collecting=True)
    api = client_for(initiative.initiator)
    assert (
        api.post(f"/api/v1/initiatives/{initiative.pk}/publish/").json()["code"]
        == "permission_denied"
    )
    assert (
        api.post(f"/api/v1/initiatives/{initiative.pk}/reject/", {"reason": "doublon"}).status_code
        == 403
    )
    response = api.post(
        f"/api/v1/initiatives/{initiative.pk}/paper-signatures/", {"register_entry_id": 1}
    )
    assert response.status_code == 403


def test_illegal_transitions_over_the_api_answer_409(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    staff = client_for(moderator)
    response = staff.post(f"/api/v1/initiatives/{initiative.pk}/publish/")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert (
        client_for(initiative.initiator)
        .post(f"/api/v1/initiatives/{initiative.pk}/submit/")
        .status_code
        == 409
    )


def test_staff_enter_paper_signatures_and_the_public_sees_rejection_counts(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    staff = client_for(moderator)
    url = f"/api/v1/initiatives/{initiative.pk}/paper-signatures/"
    accepted = staff.post(
        url, {"register_entry_id": RegisterEntryFactory().pk, "sheet_ref": "F1-L1"}
    )
    assert accepted.status_code == 201 and accepted.json()["accepted"] is True
    rejected = staff.post(
        url, {"last_name": "Inconnu", "first_names": "X", "birth_date": "1990-01-01"}
    )
    assert rejected.json() | {"rejection_id": 0} == {
        "accepted": False,
        "reason": "not_on_register",
        "signature_id": None,
        "rejection_id": 0,
        "tracks": [],
    }
    assert staff.post(url, {"sheet_ref": "F1"}).json()["code"] == "invalid"
    counts = APIClient().get(f"/api/v1/initiatives/{initiative.pk}/paper-rejections/").json()
    assert {r["reason"]: r["count"] for r in counts}["not_on_register"] == 1
    assert AuditEntry.objects.filter(verb__startswith="signature.paper_").count() == 2


def test_reject_needs_a_listed_reason(now, moderator):
    initiative = InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now())
    staff = client_for(moderator)
    assert (
        staff.post(f"/api/v1/initiatives/{initiative.pk}/reject/", {"reason": "nope"}).json()[
            "code"
        ]
        == "rejection_reason_unknown"
    )
    done = staff.post(
        f"/api/v1/initiatives/{initiative.pk}/reject/",
        {"reason": "doublon", "text": "Déjà en cours."},
    )
    assert done.json()["rejection_reason"] == "Même objet qu'une initiative en cours"


def test_obligations_are_public_with_overdue_flagged_and_staff_mark_them_done(freeze, moderator):
    freeze("2026-03-02 10:00")
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    services.signature_sign(initiative_id=initiative.pk, user=ResidentFactory())
    services.counts_tick()
    obligation = Obligation.objects.get()
    freeze(obligation.due_at + timedelta(days=1))
    listed = APIClient().get("/api/v1/obligations/?overdue=true").json()["results"]
    assert [(o["id"], o["overdue"]) for o in listed] == [(obligation.pk, True)]
    detail = APIClient().get(f"/api/v1/initiatives/{initiative.pk}/").json()
    assert detail["tracks"][0]["rungs"][0]["obligation"]["overdue"] is True
    assert (
        client_for(ResidentFactory())
        .post(f"/api/v1/obligations/{obligation.pk}/done/", {"evidence": "x"})
        .status_code
        == 403
    )
    done = client_for(moderator).post(
        f"/api/v1/obligations/{obligation.pk}/done/", {"evidence": "https://ville.example.org/cr"}
    )
    assert (
        done.status_code == 200
        and done.json()["status"] == "done"
        and done.json()["overdue"] is False
    )
    assert APIClient().get("/api/v1/obligations/?overdue=true").json()["results"] == []


@pytest.mark.parametrize("page_size", [10, 100])
def test_the_list_endpoint_runs_a_fixed_number_of_queries(
    now, page_size, django_assert_num_queries
):
    for _ in range(12):
        InitiativeFactory(collecting=True, instruments=[CHARTER, LEGAL])
    # count, page, prefetch tracks (with instrument types), prefetch counts
    with django_assert_num_queries(4):
        response = APIClient().get(f"/api/v1/initiatives/?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(12, page_size)


@pytest.mark.parametrize("page_size", [10, 100])
def test_my_signatures_runs_a_fixed_number_of_queries(now, page_size, django_assert_num_queries):
    resident = ResidentFactory()
    for _ in range(12):
        services.signature_sign(initiative_id=InitiativeFactory(collecting=True).pk, user=resident)
    api = client_for(resident)
    with django_assert_num_queries(2):
        response = api.get(f"/api/v1/me/signatures/?page_size={page_size}")
    assert len(response.json()["results"]) == min(12, page_size)


def test_the_list_filters_by_status_district_instrument_and_text(now):
    a = InitiativeFactory(collecting=True, title="Pistes cyclables", instruments=[LEGAL])
    b = InitiativeFactory(collecting=True, title="Bancs", district=RegisterEntryFactory().district)
    api = APIClient()

    def ids(query: str) -> list[int]:
        return sorted(r["id"] for r in api.get(f"/api/v1/initiatives/?{query}").json()["results"])

    assert ids("q=cyclables") == [a.pk]
    assert ids(f"instrument={LEGAL}") == [a.pk]
    assert ids(f"district={b.district.code}") == [b.pk]
    assert ids("status=closed") == []
    assert api.get("/api/v1/initiatives/?status=nonsense").json()["code"] == "invalid"


def test_instrument_types_are_listed_with_their_ladders(now):
    data = APIClient().get("/api/v1/instrument-types/").json()
    ladders = {
        t["slug"]: [
            r.get("absolute_value") or f"{r['numerator']}/{r['denominator']}" for r in t["rungs"]
        ]
        for t in data
    }
    assert ladders == {CHARTER: [50, 300, 900, 4500], LEGAL: ["1/10"]}


def test_bad_input_never_gives_a_server_error(now):
    api = client_for(ResidentFactory())
    assert api.post("/api/v1/initiatives/", {"title": ""}).status_code == 400
    assert (
        api.post(
            "/api/v1/initiatives/",
            {"title": "t", "summary": "s", "body": "b", "instruments": ["nope"]},
        ).json()["code"]
        == "instrument_unknown"
    )
    assert api.post("/api/v1/initiatives/999999/signatures/").status_code == 404
    assert api.delete("/api/v1/initiatives/999999/signatures/mine/").status_code == 404

"""Invalidating signatures: criteria, dry run, the background job, the count and the rung rule,
undo, the public register of rejections; bad input and every role that may not."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from civic.models import AuditEntry
from petitions import services
from petitions.models import (
    Invalidation,
    InvalidationState,
    Obligation,
    ObligationStatus,
    Signature,
    TrackRung,
)
from tests.factories import RegisterEntryFactory, ResidentFactory, StaffFactory
from tests.petitions.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(freeze):  # type: ignore[no-untyped-def]
    return freeze("2026-03-02 10:00")


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Jobs are enqueued on commit; Celery runs them eagerly in tests."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def api(user=None) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def sign_from(initiative, ip: str, **resident):  # type: ignore[no-untyped-def]
    user = ResidentFactory(**resident)
    response = api(user).post(f"/api/v1/initiatives/{initiative.pk}/signatures/", REMOTE_ADDR=ip)
    assert response.status_code == 201, response.content
    return user


def count(initiative) -> int:  # type: ignore[no-untyped-def]
    return api().get(f"/api/v1/initiatives/{initiative.pk}/count/").json()["signatures"]


def test_invalidate_by_ip_range_loses_the_rung_then_undo_brings_everything_back(
    now, moderator, run_jobs
):
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=4)
    for i in range(3):
        sign_from(initiative, f"203.0.113.{10 + i}")
    for i in range(2):
        sign_from(initiative, f"198.51.100.{i + 1}")
    assert Signature.objects.filter(ip="203.0.113.10").count() == 1  # the address is kept
    services.counts_tick()
    assert count(initiative) == 5
    obligation = Obligation.objects.get(initiative=initiative)
    assert obligation.status == ObligationStatus.OPEN

    staff = api(moderator)
    base = f"/api/v1/initiatives/{initiative.pk}/invalidations/"
    criteria = {"ip": "203.0.113.0/24"}
    preview = staff.post(f"{base}preview/", {"criteria": criteria}, format="json")
    assert preview.status_code == 200 and preview.json() == {"matched": 3}
    assert not Invalidation.objects.exists()  # a dry run writes nothing
    with run_jobs():
        created = staff.post(
            base, {"criteria": criteria, "reason": "automated", "expected": 3}, format="json"
        )
    assert created.status_code == 202, created.content
    pk = created.json()["id"]
    job = staff.get(f"/api/v1/invalidations/{pk}/").json()
    assert (job["state"], job["matched"], job["progress"], job["percent"]) == ("done", 3, 3, 100)
    assert job["removed_online"] == 3

    assert count(initiative) == 2
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.SUSPENDED
    assert obligation.suspended_at is not None and obligation.suspension_reason
    rung = TrackRung.objects.get(pk=obligation.track_rung_id)
    assert rung.reached_at is not None  # reached once: a fact that stays
    register = api().get(f"/api/v1/initiatives/{initiative.pk}/rejections/").json()
    assert (register["received"], register["accepted"], register["rejected"]) == (5, 2, 3)
    assert [(r["kind"], r["reason"], r["channel"], r["count"]) for r in register["rows"]] == [
        ("invalidation", "automated", "online", 3)
    ]
    assert "203.0.113" not in str(register)  # no identities, no addresses

    with run_jobs():
        undone = staff.post(f"/api/v1/invalidations/{pk}/undo/")
    assert undone.status_code == 202, undone.content
    assert staff.get(f"/api/v1/invalidations/{pk}/").json()["state"] == "undone"
    assert count(initiative) == 5
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.OPEN and obligation.suspended_at is None
    assert obligation.due_at >= rung.reached_at
    register = api().get(f"/api/v1/initiatives/{initiative.pk}/rejections/").json()
    assert (register["received"], register["accepted"], register["rejected"]) == (5, 5, 0)
    verbs = set(AuditEntry.objects.values_list("verb", flat=True))
    assert {
        "petitions.invalidation_request",
        "petitions.invalidation_applied",
        "petitions.invalidation_undo",
        "petitions.invalidation_undone",
        "obligation.suspended",
        "obligation.reinstated",
    } <= verbs
    assert services.counts_recount() == []  # the rows agree with the published count
    # Undoing twice is refused with a stable code.
    again = staff.post(f"/api/v1/invalidations/{pk}/undo/")
    assert (again.status_code, again.json()["code"]) == (409, "invalidation_not_undoable")


def test_an_obligation_already_met_stays_met(now, moderator, run_jobs):
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=2)
    for i in range(2):
        sign_from(initiative, f"203.0.113.{i + 1}")
    services.counts_tick()
    obligation = Obligation.objects.get(initiative=initiative)
    services.obligation_complete(obligation_id=obligation.pk, actor=moderator, evidence="Reçus.")
    with run_jobs():
        services.invalidation_request(
            initiative_id=initiative.pk,
            criteria={"ip": "203.0.113.1"},
            reason="fraudulent",
            expected=1,
            actor=moderator,
        )
    assert count(initiative) == 1
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.DONE


def test_new_signatures_reinstate_a_suspended_obligation(now, moderator, run_jobs):
    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=2)
    for i in range(2):
        sign_from(initiative, f"203.0.113.{i + 1}")
    services.counts_tick()
    with run_jobs():
        services.invalidation_request(
            initiative_id=initiative.pk,
            criteria={"ip": "203.0.113.2"},
            reason="fraudulent",
            expected=1,
            actor=moderator,
        )
    obligation = Obligation.objects.get(initiative=initiative)
    assert obligation.status == ObligationStatus.SUSPENDED
    sign_from(initiative, "192.0.2.1")
    services.counts_tick()
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.OPEN


def test_emails_are_compared_normalised_and_patterns_take_wildcards(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    sign_from(initiative, "192.0.2.1", email="Jean.Dupont+petition@Mail.example")
    sign_from(initiative, "192.0.2.2", email="jeandupont@mail.example")
    sign_from(initiative, "192.0.2.3", email="someone@other.example")
    sign_from(
        initiative,
        "192.0.2.4",
        email="x@fake.test",
        register_entry=RegisterEntryFactory(first_names="Alix", last_name="Fauxnom"),
    )

    def matched(**criteria):  # type: ignore[no-untyped-def]
        return services.invalidation_preview(
            initiative_id=initiative.pk, criteria=criteria, actor=moderator
        )

    assert matched(email="j.e.a.n.dupont+x@MAIL.example") == 2
    assert matched(email="jean%@mail.example") == 2
    assert matched(domain="%.example") == 3
    assert matched(domain="mail.example") == 2
    assert matched(name="alix fauxnom") == 1
    assert matched(name="% fauxnom") == 1
    assert matched(name="%_%") == 0  # `_` is a literal, not a wildcard
    assert matched(ip="192.0.2.0/30") == 3  # .1, .2, .3 (.0 is the network)
    assert matched(ip="192.0.2.4", domain="fake.test") == 1
    assert matched(channel="paper") == 0
    entry_ids = list(Signature.objects.values_list("register_entry_id", flat=True)[:2])
    assert matched(register_entry_ids=entry_ids) == 2
    assert matched(created_before="2026-03-02T09:00:00+01:00") == 0
    assert matched(created_after="2026-03-02T09:00:00+00:00") == 4


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"criteria": {}, "reason": "fraudulent"}, "criteria_missing"),
        ({"criteria": {"ip": ""}, "reason": "fraudulent"}, "criteria_missing"),
        (
            {"criteria": {"ip": "203.0.113.0/33"}, "reason": "fraudulent"},
            "criteria_invalid_ip_range",
        ),
        ({"criteria": {"ip": "not-an-ip"}, "reason": "fraudulent"}, "criteria_invalid_ip_range"),
        ({"criteria": {"ip": "10.9.9.0/24"}, "reason": "fraudulent"}, "criteria_match_nothing"),
        ({"criteria": {"email": "%"}, "reason": "fraudulent"}, "criteria_invalid_pattern"),
        (
            {"criteria": {"district": "nowhere"}, "reason": "fraudulent"},
            "criteria_unknown_district",
        ),
        (
            {"criteria": {"created_after": "demain"}, "reason": "fraudulent"},
            "criteria_invalid_date",
        ),
        (
            {
                "criteria": {
                    "created_after": "2026-03-03T00:00:00Z",
                    "created_before": "2026-03-02T00:00:00Z",
                },
                "reason": "fraudulent",
            },
            "criteria_invalid_date",
        ),
        ({"criteria": {"ip": "203.0.113.1"}, "reason": "because"}, "invalid"),
    ],
)
def test_bad_input_is_a_400_with_a_stable_code_and_changes_nothing(
    now, moderator, run_jobs, body, code
):
    initiative = InitiativeFactory(collecting=True)
    sign_from(initiative, "203.0.113.1")
    audit_before = AuditEntry.objects.count()
    with run_jobs():
        response = api(moderator).post(
            f"/api/v1/initiatives/{initiative.pk}/invalidations/", body, format="json"
        )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Invalidation.objects.exists()
    assert not Signature.objects.filter(invalidation__isnull=False).exists()
    assert AuditEntry.objects.count() == audit_before


def test_a_count_that_changed_since_the_dry_run_is_refused(now, moderator):
    initiative = InitiativeFactory(collecting=True)
    sign_from(initiative, "203.0.113.1")
    sign_from(initiative, "203.0.113.2")
    response = api(moderator).post(
        f"/api/v1/initiatives/{initiative.pk}/invalidations/",
        {"criteria": {"ip": "203.0.113.0/24"}, "reason": "automated", "expected": 1},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (409, "invalidation_count_changed")
    assert not Invalidation.objects.exists()


@pytest.mark.parametrize(
    "role", [None, "resident", "initiator", "campaign_manager", "assembly_clerk", "auditor"]
)
def test_only_moderators_invalidate_count_or_undo(now, moderator, run_jobs, role):
    initiative = InitiativeFactory(collecting=True)
    sign_from(initiative, "203.0.113.1")
    with run_jobs():
        done = services.invalidation_request(
            initiative_id=initiative.pk,
            criteria={"ip": "203.0.113.1"},
            reason="fraudulent",
            expected=1,
            actor=moderator,
        )
    users = {
        None: None,
        "resident": ResidentFactory(),
        "initiator": initiative.initiator,
    }
    user = users[role] if role in users else StaffFactory(role=role)
    client = api(user)
    base = f"/api/v1/initiatives/{initiative.pk}/invalidations/"
    body = {"criteria": {"ip": "203.0.113.0/24"}, "reason": "automated"}
    for response in (
        client.post(f"{base}preview/", body, format="json"),
        client.post(base, body, format="json"),
        client.get(base),
        client.get(f"/api/v1/invalidations/{done.pk}/"),
        client.post(f"/api/v1/invalidations/{done.pk}/undo/"),
    ):
        assert response.status_code in (401, 403), (role, response.status_code)
    assert Invalidation.objects.count() == 1
    assert Invalidation.objects.get().state == InvalidationState.DONE


def test_paper_rejections_annulments_and_invalidations_reconcile(now, moderator, run_jobs):
    from petitions.services.annulments import signatures_annul_for_entry

    initiative = InitiativeFactory(collecting=True)
    online = [sign_from(initiative, f"203.0.113.{i + 1}") for i in range(4)]
    services.paper_signature_enter(
        initiative_id=initiative.pk, actor=moderator, register_entry_id=RegisterEntryFactory().pk
    )
    services.paper_signature_enter(  # already signed online: rejected as a duplicate
        initiative_id=initiative.pk, actor=moderator, register_entry_id=online[0].register_entry_id
    )
    signatures_annul_for_entry(register_entry_id=online[1].register_entry_id, at=timezone.now())
    with run_jobs():
        services.invalidation_request(
            initiative_id=initiative.pk,
            criteria={"channel": "paper", "entered_by": moderator.pk},
            reason="paper_irregular",
            expected=1,
            actor=moderator,
        )
    register = api().get(f"/api/v1/initiatives/{initiative.pk}/rejections/").json()
    # Received: 4 online + 2 paper lines. Rejected: a paper duplicate, an annulled registration,
    # an invalidated paper line. Accepted: 3 online.
    assert (register["received"], register["accepted"], register["rejected"]) == (6, 3, 3)
    assert register["rejected_by_channel"] == {"online": 1, "paper": 2}
    assert sorted((r["kind"], r["reason"]) for r in register["rows"]) == [
        ("annulment", "registration_annulled"),
        ("invalidation", "paper_irregular"),
        ("paper_entry", "duplicate"),
    ]
    rows_held = Signature.objects.filter(initiative=initiative).count()
    invalidated = Signature.objects.filter(initiative=initiative, invalidation__isnull=False)
    # Independently of the register: the rows still held, less the invalidated ones, are accepted.
    assert rows_held - invalidated.count() == register["accepted"]


def test_trending_sources_and_the_alert_past_200_an_hour(now, moderator, monkeypatch):
    from civic.models import Notification
    from petitions.selectors import trending
    from petitions.services import trending as alerts

    initiative = InitiativeFactory(collecting=True)
    for _ in range(3):
        sign_from(initiative, "203.0.113.9", email=f"{ResidentFactory().pk}x@spam.example")
    sign_from(initiative, "192.0.2.1")
    found = api(moderator).get(f"/api/v1/initiatives/{initiative.pk}/trending/").json()
    assert found["by_ip"][0] == {"ip": "203.0.113.9", "count": 3, "alert": False}
    assert found["by_domain"][0] == {"domain": "spam.example", "count": 3, "alert": False}
    assert sum(row["count"] for row in found["by_hour"]) == 4
    assert (
        api(ResidentFactory()).get(f"/api/v1/initiatives/{initiative.pk}/trending/").status_code
        == 403
    )
    # Thresholds lowered for the test: 2 logs, 3 alerts (100 and 200 in production).
    monkeypatch.setattr(trending, "LOG_AT", 2)
    monkeypatch.setattr(alerts, "ALERT_AT", 3)
    assert services.trending_alerts() == {"logged": 1, "alerted": 1}
    assert services.trending_alerts() == {"logged": 1, "alerted": 0}  # once per hour
    sent = Notification.objects.filter(kind="petitions.trending_source", recipient=moderator)
    assert sent.count() == 1 and "203.0.113.9" in sent.get().body


def test_a_suspended_obligation_cannot_be_marked_done(now, moderator, run_jobs):
    from civic.errors import Conflict

    initiative = InitiativeFactory(collecting=True)
    TrackRung.objects.filter(track__initiative=initiative, order=1).update(threshold=1)
    sign_from(initiative, "203.0.113.1")
    services.counts_tick()
    with run_jobs():
        services.invalidation_request(
            initiative_id=initiative.pk,
            criteria={"ip": "203.0.113.1"},
            reason="fraudulent",
            expected=1,
            actor=moderator,
        )
    obligation = Obligation.objects.get(initiative=initiative)
    with pytest.raises(Conflict) as refused:
        services.obligation_complete(obligation_id=obligation.pk, actor=moderator, evidence="Fait.")
    assert refused.value.code == "obligation_suspended"
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.SUSPENDED


def test_a_withdrawal_of_an_invalidated_signature_outlives_the_undo(now, moderator, run_jobs):
    initiative = InitiativeFactory(collecting=True)
    withdrawing = sign_from(initiative, "203.0.113.1")
    sign_from(initiative, "203.0.113.2")
    sign_from(initiative, "198.51.100.1")
    with run_jobs():
        invalidation = services.invalidation_request(
            initiative_id=initiative.pk,
            criteria={"ip": "203.0.113.0/24"},
            reason="automated",
            expected=2,
            actor=moderator,
        )
    services.counts_tick()
    assert count(initiative) == 1

    withdrawn = api(withdrawing).delete(f"/api/v1/initiatives/{initiative.pk}/signatures/mine/")
    assert withdrawn.status_code == 204, withdrawn.content
    invalidation.refresh_from_db()
    assert invalidation.removed_online == 1  # the invalidation now holds only the other one
    assert not Signature.objects.filter(register_entry_id=withdrawing.register_entry_id).exists()
    services.counts_tick()
    assert count(initiative) == 1  # it was not counted: nothing moves

    with run_jobs():
        services.invalidation_undo_request(invalidation_id=invalidation.pk, actor=moderator)
    invalidation.refresh_from_db()
    assert invalidation.state == InvalidationState.UNDONE
    services.counts_tick()
    assert count(initiative) == 2  # the withdrawn signature does not come back
    assert services.counts_recount() == []
    register = api().get(f"/api/v1/initiatives/{initiative.pk}/rejections/").json()
    assert (register["received"], register["accepted"], register["rejected"]) == (2, 2, 0)

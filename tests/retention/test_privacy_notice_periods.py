"""One source of truth: every retention period the privacy notice shows is the one its purge job
applies. Each period is read back from the rendered notice (data-retention-days), then the job is
run one second before and one second after that many days."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from civic.audit import actor_pseudonym, audit_record, audit_verify
from civic.events import events_purge, publish
from civic.legal.jobs import audit_identities_purge, desk_requests_purge, notifications_purge
from civic.legal.retention import all_periods
from civic.models import (
    AuditEntry,
    AuditIdentity,
    DeskRequest,
    DomainEvent,
    Notification,
    NotificationStatus,
    OidcIdentity,
)
from civic.notifications import notify
from civic.services.desk import desk_request_close
from civic.tasks import purge_desk_requests
from petitions.models import InstrumentType
from referendums.models import Campaign, Participation
from referendums.tasks import purge_personal_data
from tests.factories import ResidentFactory, StaffFactory, UserFactory
from tests.petitions.factories import InitiativeFactory
from tests.retention.test_retention import voted_and_published

pytestmark = pytest.mark.django_db


def notice_periods(client) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    cache.clear()
    body = client.get("/donnees-personnelles/").content.decode()
    rows = re.findall(r'data-retention-key="([^"]+)" data-retention-days="(\d*)"', body)
    return {key: int(days) if days else None for key, days in rows}


def test_the_notice_lists_every_period_of_the_registry_in_both_languages(client):
    InitiativeFactory()  # an instrument type exists
    shown = notice_periods(client)
    assert shown == {p.key: p.days for p in all_periods()}
    assert {
        "notifications",
        "audit_identities",
        "events",
        "desk_requests",
        "oidc_identities",
        "referendums:default",
    } <= set(shown)
    assert any(key.startswith("petitions:") for key in shown)
    english = client.get("/en/donnees-personnelles/").content.decode()
    assert "Retention periods" in english and "Lodge" not in english


def test_notifications_are_purged_after_the_notice_period(client, freeze):
    days = notice_periods(client)["notifications"]
    assert days == settings.NOTIFICATION_RETENTION_DAYS
    start = timezone.now()
    freeze(start)
    sent = notify(recipient=ResidentFactory(), kind="k", subject="s", body="b")
    Notification.objects.filter(pk=sent.pk).update(status=NotificationStatus.FAILED)
    freeze(start + timedelta(days=days) - timedelta(seconds=1))
    assert notifications_purge() == 0
    freeze(start + timedelta(days=days, seconds=1))
    assert notifications_purge() == 1 and not Notification.objects.filter(pk=sent.pk).exists()


def test_audit_emails_become_pseudonyms_after_the_notice_period_and_the_chain_verifies(
    client, freeze
):
    days = notice_periods(client)["audit_identities"]
    assert days == settings.AUDIT_IDENTITY_RETENTION_DAYS
    start = timezone.now()
    freeze(start)
    agent = StaffFactory(role="moderator")
    entry = audit_record(actor=agent, verb="x.done", target=("thing", 1))
    assert entry.actor_label == actor_pseudonym(agent.pk) and agent.email not in entry.actor_label
    assert AuditIdentity.objects.get(pseudonym=entry.actor_label).email == agent.email
    freeze(start + timedelta(days=days) - timedelta(seconds=1))
    assert audit_identities_purge() == 0
    freeze(start + timedelta(days=days, seconds=1))
    assert audit_identities_purge() == 1
    assert not AuditIdentity.objects.filter(email=agent.email).exists()
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == actor_pseudonym(agent.pk)
    assert audit_verify().ok
    # Stable: the same actor's next entry carries the same pseudonym.
    later = audit_record(actor=agent, verb="x.again", target=("thing", 1))
    assert later.actor_label == entry.actor_label and audit_verify().ok


def test_each_instrument_type_shows_the_period_its_purge_applies(client):
    kind = InitiativeFactory().tracks.first().instrument_type
    InstrumentType.objects.filter(pk=kind.pk).update(retention_days=400)
    assert notice_periods(client)[f"petitions:{kind.pk}"] == 400
    # tests/petitions/test_retention.py::test_the_period_is_the_instruments_own runs the purge at
    # 399 and 401 days of this very field.


def test_each_campaign_shows_the_period_its_purge_applies(client, open_vote, close_vote, freeze):

    campaign = voted_and_published(open_vote, close_vote)
    Campaign.objects.filter(pk=campaign.pk).update(retention_days=45)
    days = notice_periods(client)[f"referendums:{campaign.pk}"]
    assert days == 45
    freeze(campaign.published_at + timedelta(days=days) - timedelta(seconds=1))
    purge_personal_data()
    assert Participation.objects.filter(campaign=campaign).exists()
    freeze(campaign.published_at + timedelta(days=days, seconds=1))
    purge_personal_data()
    assert not Participation.objects.filter(campaign=campaign).exists()


def test_closed_desk_requests_are_purged_after_the_notice_period_and_open_ones_wait(client, freeze):
    days = notice_periods(client)["desk_requests"]
    assert days == settings.DESK_REQUEST_RETENTION_DAYS
    start = timezone.now()
    freeze(start)
    closed = DeskRequest.objects.create(user=UserFactory(), reason="ambiguous")
    desk_request_close(
        agent=StaffFactory(role="moderator"),
        request_id=closed.pk,
        reason="document_missing",
        note="Apportez votre carte.",
    )
    waiting = DeskRequest.objects.create(user=UserFactory(), reason="struck_off")
    freeze(start + timedelta(days=days) - timedelta(seconds=1))
    assert desk_requests_purge() == 0
    freeze(start + timedelta(days=days, seconds=1))
    assert purge_desk_requests() == 1
    assert not DeskRequest.objects.filter(pk=closed.pk).exists()
    # An open request is the resident's pending verification: it waits for the desk, however old.
    assert DeskRequest.objects.filter(pk=waiting.pk).exists()
    freeze(start + timedelta(days=10 * days))
    assert desk_requests_purge() == 0


def test_the_beat_runs_the_desk_request_purge_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE["desk-requests-purge"]
    assert entry["task"] == purge_desk_requests.name == "civic.tasks.purge_desk_requests"


def test_a_provider_binding_is_kept_while_the_account_exists_and_the_notice_says_so(client):
    """No number of days: the notice says the binding lives as long as the account, and the
    account's deletion erases it (tests/retention/test_account_deletion.py)."""
    assert notice_periods(client)["oidc_identities"] is None
    body = client.get("/donnees-personnelles/").content.decode()
    assert "tant que le compte existe" in body
    english = client.get("/en/donnees-personnelles/").content.decode()
    assert "as long as the account exists" in english


def test_the_notice_describes_provider_identity_staff_sso_and_desk_requests(client, settings):
    settings.OIDC_PROVIDER_NAME = "FranceConnect"
    settings.STAFF_OIDC_PROVIDER_NAME = "ProConnect"
    cache.clear()
    body = client.get("/donnees-personnelles/").content.decode()
    for anchor in ('id="identity-residents"', 'id="identity-staff"', 'id="identity-desk"'):
        assert anchor in body
    assert "FranceConnect" in body and "ProConnect" in body
    assert "aucun jeton du fournisseur n'est conservé" in body.replace("&#x27;", "'")
    desk_days = settings.DESK_REQUEST_RETENTION_DAYS
    assert f"{desk_days} jours après la clôture de la demande" in body
    english = client.get("/en/donnees-personnelles/").content.decode()
    assert f"{desk_days} days after the request is closed" in english
    assert "no token from the provider is kept" in english
    assert OidcIdentity.objects.count() == 0  # reading the notice stores nothing


def test_domain_events_are_purged_after_the_notice_period(client, freeze):
    days = notice_periods(client)["events"]
    start = timezone.now()
    freeze(start)
    event = publish("retention.notice_checked", n=1)
    freeze(start + timedelta(days=days) - timedelta(seconds=1))
    assert events_purge() == 0
    freeze(start + timedelta(days=days, seconds=1))
    assert events_purge() == 1 and not DomainEvent.objects.filter(pk=event.pk).exists()


# Each period the notice shows, by kind, with the test of this module (or the one named) that runs
# its job at the notice's value, and the nightly beat entry that runs the job. A new period in the
# notice fails `test_every_period_of_the_notice_has_its_job_and_its_test` until it is added here.
PERIOD_JOBS: dict[str, tuple[str | None, str]] = {
    "notifications": (
        "notifications-purge",
        "test_notifications_are_purged_after_the_notice_period",
    ),
    "audit_identities": (
        "audit-identities-purge",
        "test_audit_emails_become_pseudonyms_after_the_notice_period_and_the_chain_verifies",
    ),
    "events": ("events-purge", "test_domain_events_are_purged_after_the_notice_period"),
    "desk_requests": (
        "desk-requests-purge",
        "test_closed_desk_requests_are_purged_after_the_notice_period_and_open_ones_wait",
    ),
    "staff_jobs": (
        "staff-jobs-purge",
        "tests/civic/test_register_import_job.py::"
        "test_the_privacy_notice_states_the_period_the_purge_applies_and_the_beat_runs_it",
    ),
    "petitions": (
        "petitions-retention",
        "test_each_instrument_type_shows_the_period_its_purge_applies",
    ),
    "referendums": ("referendums-purge", "test_each_campaign_shows_the_period_its_purge_applies"),
    # No number of days: the period ends with an event, which erases the data itself.
    "assembly": (
        None,
        "tests/retention/test_retention.py::"
        "test_closing_a_mandate_erases_every_volunteers_contact_details_and_audits_the_count",
    ),
    "oidc_identities": (
        None,
        "test_a_provider_binding_is_kept_while_the_account_exists_and_the_notice_says_so",
    ),
}


def test_every_period_of_the_notice_has_its_job_and_its_test(client, open_vote, close_vote):
    InitiativeFactory()
    voted_and_published(open_vote, close_vote)
    shown = notice_periods(client)
    kinds = {key.split(":")[0] for key in shown}
    assert kinds == set(PERIOD_JOBS), "a period without its job test, or a test without its period"
    here = globals()
    for kind, (beat, test) in PERIOD_JOBS.items():
        if beat is not None:
            assert beat in settings.CELERY_BEAT_SCHEDULE, kind
        if "::" in test:
            path, name = test.split("::")
            assert f"def {name}(" in (Path(settings.BASE_DIR) / path).read_text(), test
        else:
            assert callable(here.get(test)), test
    for key, days in shown.items():
        assert (days is None) == (PERIOD_JOBS[key.split(":")[0]][0] is None), key

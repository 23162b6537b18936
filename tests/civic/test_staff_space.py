"""The staff space: each role's own tasks with counts, only links the role may open, the register as
figures for the roles that need no more, the inbox's unread count and "mark all read"."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from assembly.models import SessionStatus
from civic.models import Notification
from civic.roles import Role
from civic.staff import staff_sections
from petitions.models import Status
from tests.assembly.factories import MandateFactory, SessionFactory
from tests.factories import DistrictFactory, RegisterEntryFactory, StaffFactory, UserFactory
from tests.petitions.factories import InitiativeFactory
from tests.referendums.factories import CampaignFactory

pytestmark = pytest.mark.django_db

# A label each role must see, and labels it must not (another role's work).
EXPECTED = {
    Role.MODERATOR: (
        ["Initiatives à examiner", "Comptes à vérifier au guichet", "Registre : effectifs"],
        ["Calendrier des référendums", "Importer la liste", "Séances à préparer"],
    ),
    Role.CAMPAIGN_MANAGER: (
        ["Calendrier des référendums", "Bureaux de vote", "Registre : effectifs"],
        ["Initiatives à examiner", "Comptes à vérifier", "Importer la liste", "inscription par"],
    ),
    Role.ASSEMBLY_CLERK: (
        ["Séances à préparer", "Tous les mandats"],
        ["Initiatives à examiner", "Calendrier des référendums", "Importer la liste"],
    ),
    Role.AUDITOR: (
        ["Calendrier des référendums", "inscription par inscription"],
        ["Initiatives à examiner", "Importer la liste", "Comptes à vérifier", "Séances à"],
    ),
    Role.ADMINISTRATOR: (
        ["Initiatives à examiner", "Calendrier des référendums", "Importer la liste"],
        [],
    ),
}


@pytest.fixture
def some_work(db):
    InitiativeFactory(status=Status.SUBMITTED, submitted_at=timezone.now())
    InitiativeFactory(status=Status.IN_REVIEW, submitted_at=timezone.now())
    InitiativeFactory(collecting=True)
    mandate = MandateFactory(seated=True)
    SessionFactory(mandate=mandate)
    SessionFactory(mandate=mandate, status=SessionStatus.PUBLISHED)
    CampaignFactory(binding=True)
    UserFactory()  # an account waiting to be verified
    return mandate


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_its_own_tasks_only(client, some_work, role):
    client.force_login(StaffFactory(role=role))
    html = client.get(reverse("staff-home")).content.decode()
    seen, unseen = EXPECTED[role]
    for label in seen:
        assert label in html, label
    for label in unseen:
        assert label not in html, label


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_task_link_opens_for_its_role(client, some_work, role):
    user = StaffFactory(role=role)
    client.force_login(user)
    urls = [task.url for section in staff_sections(user) for task in section.tasks]
    assert urls
    for url in urls:
        assert client.get(url, follow=True).status_code == 200, url


def test_the_counts_are_the_work_waiting(client, some_work):
    moderator = StaffFactory(role=Role.MODERATOR)
    counts = {t.label: t.count for s in staff_sections(moderator) for t in s.tasks}
    assert counts["Initiatives à examiner"] == 2
    assert counts["Collectes en cours : saisie des signatures papier"] == 1
    # The other staff accounts are not residents to verify: only the UserFactory account (and the
    # initiators, who are residents already linked to the register) count.
    assert counts["Comptes à vérifier au guichet"] == 1
    clerk = StaffFactory(role=Role.ASSEMBLY_CLERK)
    counts = {t.label: t.count for s in staff_sections(clerk) for t in s.tasks}
    assert counts[f"Séances à préparer : {some_work.title}"] == 1
    manager = StaffFactory(role=Role.CAMPAIGN_MANAGER)
    counts = {t.label: t.count for s in staff_sections(manager) for t in s.tasks}
    assert counts["Calendrier des référendums"] == 1


def test_the_staff_home_reads_a_bounded_number_of_queries(
    client, some_work, django_assert_max_num_queries
):
    client.force_login(StaffFactory(role=Role.ADMINISTRATOR))
    client.get(reverse("staff-home"))  # warm the per-process caches
    with django_assert_max_num_queries(20):
        client.get(reverse("staff-home"))
    for _ in range(5):
        MandateFactory(seated=True)
        CampaignFactory(binding=True)
    with django_assert_max_num_queries(20):
        client.get(reverse("staff-home"))


@pytest.mark.parametrize("url_name", ["staff-home", "staff-register-counts"])
def test_the_staff_pages_are_closed_to_residents(client, url_name):
    client.force_login(UserFactory())
    assert client.get(reverse(url_name)).status_code == 403


def test_the_register_is_figures_by_district_for_a_campaign_manager(client):
    centre = DistrictFactory(name="Centre-ville")
    RegisterEntryFactory(district=centre, kind="elector", last_name="Dupont-Secret")
    RegisterEntryFactory(district=centre, kind="resident")
    RegisterEntryFactory(district=DistrictFactory(name="Gare"), kind="elector")
    client.force_login(StaffFactory(role=Role.CAMPAIGN_MANAGER))
    response = client.get(reverse("staff-register-counts"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dupont-Secret" not in html and "Consulter le registre" not in html
    row = re.search(r"Centre-ville</th>(.*?)</tr>", html, re.S)
    assert row is not None
    assert re.findall(r">(\d+)</td>", row.group(1)) == ["1", "0", "1", "2"]
    assert "3 inscriptions actives" in html


@pytest.mark.parametrize(
    ("role", "may_browse"),
    [
        (Role.CAMPAIGN_MANAGER, False),
        (Role.ASSEMBLY_CLERK, False),
        (Role.MODERATOR, True),
        (Role.AUDITOR, True),
        (Role.ADMINISTRATOR, True),
    ],
)
def test_only_the_roles_that_need_it_browse_the_register(client, role, may_browse):
    entry = RegisterEntryFactory()
    client.force_login(StaffFactory(role=role))
    for url in (
        reverse("admin:civic_registerentry_changelist"),
        reverse("admin:civic_registerentry_change", args=[entry.pk]),
        reverse("admin:civic_registerimport_changelist"),
        reverse("admin:civic_registerstrikeoff_changelist"),
    ):
        assert client.get(url).status_code == (200 if may_browse else 403), url
    index = client.get(reverse("admin:index")).content.decode()
    assert ("civic/registerentry/" in index) is may_browse


def _note(user, subject="Bonjour"):
    return Notification.objects.create(recipient=user, kind="welcome", subject=subject, body="…")


def test_the_inbox_shows_the_unread_count_and_marks_all_read(client):
    user, other = UserFactory(), UserFactory()
    _note(user), _note(user), _note(other)
    client.force_login(user)
    html = client.get(reverse("inbox")).content.decode()
    assert "2 non lus" in html and "Tout marquer comme lu" in html
    response = client.post(reverse("inbox"), {"all": "read"}, follow=True)
    assert "2 messages marqués comme lus" in response.content.decode()
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1
    assert "Tout marquer comme lu" not in client.get(reverse("inbox")).content.decode()


def test_the_staff_home_counts_unread_messages(client):
    staff = StaffFactory(role=Role.AUDITOR)
    _note(staff)
    client.force_login(staff)
    html = client.get(reverse("staff-home")).content.decode()
    assert re.search(r"1 en attente</span>\s*<h3><a href=\"/me/inbox/\">Messages non lus", html)


def test_marking_all_read_needs_a_post_with_the_csrf_token(client):
    from django.test import Client

    user = UserFactory()
    _note(user)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(reverse("inbox"), {"all": "read"}).status_code == 403
    client.force_login(user)
    client.get(reverse("inbox") + "?all=read")
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 1


def test_the_staff_home_speaks_english(client):
    client.force_login(StaffFactory(role=Role.MODERATOR))
    try:
        html = client.get("/en/staff/").content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    assert "Initiatives to review" in html and "Your role" in html

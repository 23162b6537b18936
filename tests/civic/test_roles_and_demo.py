import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from civic.audit import audit_record
from civic.demo import DEMO_TOTP_SECRET, NEWCOMER, demo_totp_code
from civic.models import AuditEntry, DeskRequest, RegisterEntry, User
from civic.roles import Role, has_role, roles_sync
from tests.factories import ResidentFactory, StaffFactory, enrol_second_factor, totp_code

pytestmark = pytest.mark.django_db


def test_every_role_exists_as_a_group_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_the_auditor_may_view_everything_and_change_nothing():
    roles_sync()
    perms = set(Group.objects.get(name=Role.AUDITOR).permissions.values_list("codename", flat=True))
    assert "view_registerentry" in perms and "view_auditentry" in perms
    assert not [p for p in perms if not p.startswith("view_")]


def test_nobody_is_granted_a_change_of_the_audit_log():
    roles_sync()
    admin_perms = set(
        Group.objects.get(name=Role.ADMINISTRATOR).permissions.values_list("codename", flat=True)
    )
    assert "change_registerentry" in admin_perms
    assert not {"add_auditentry", "change_auditentry", "delete_auditentry"} & admin_perms


def test_has_role_follows_groups_and_never_trusts_residents():
    moderator = StaffFactory(role=Role.MODERATOR)
    assert has_role(moderator, Role.MODERATOR)
    assert not has_role(moderator, Role.CAMPAIGN_MANAGER)
    assert has_role(StaffFactory(role=Role.ADMINISTRATOR), Role.CAMPAIGN_MANAGER)
    resident = ResidentFactory()
    resident.groups.add(Group.objects.get(name=Role.MODERATOR))  # a group without staff status
    assert not has_role(resident, Role.MODERATOR)
    inactive = StaffFactory(role=Role.MODERATOR, is_active=False)
    assert not has_role(inactive, Role.MODERATOR)


def test_the_audit_log_is_read_only_in_the_admin_even_for_superusers(client):
    superuser = User.objects.create_superuser("root@example.org", "pw-123456789")
    enrol_second_factor(superuser)
    entry = audit_record(actor=superuser, verb="x.y", target=("thing", 1))
    client.force_login(superuser)
    url = reverse("admin:civic_auditentry_change", args=[entry.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="verb"' not in page.content.decode()
    client.post(url, {"verb": "forged"})
    assert AuditEntry.objects.get(pk=entry.pk).verb == "x.y"
    assert client.get(reverse("admin:civic_auditentry_delete", args=[entry.pk])).status_code == 403


def test_seed_demo_is_idempotent_and_creates_verified_residents(capsys):
    call_command("seed_demo", "--entries", "300", "--residents", "12", "--no-content")
    out = capsys.readouterr().out
    assert "admin@example.org" in out and "resident-0012@example.org" in out
    counts = (RegisterEntry.objects.count(), User.objects.count())
    call_command("seed_demo", "--entries", "300", "--residents", "12", "--no-content")
    # Five staff, twelve residents and the newcomer whose residency is not verified yet.
    assert (RegisterEntry.objects.count(), User.objects.count()) == counts == (300, 18)
    resident = User.objects.get(email="resident-0007@example.org")
    assert resident.is_verified and resident.check_password("demo-civic-2026")
    assert has_role(User.objects.get(email="clerk@example.org"), Role.ASSEMBLY_CLERK)
    # The newcomer waits at the desk, once however often the demo is seeded (the gallery's desk).
    assert DeskRequest.objects.filter(user__email=NEWCOMER, closed_at__isnull=True).count() == 1


def test_demo_staff_log_in_with_the_published_totp_secret(client, capsys):
    call_command("seed_demo", "--entries", "20", "--residents", "0", "--no-content")
    out = capsys.readouterr().out
    assert DEMO_TOTP_SECRET in out and "recovery codes" in out
    # Read first: totp_code waits out a period about to end, so both read the same period.
    code = totp_code(DEMO_TOTP_SECRET)
    assert demo_totp_code() == code
    client.post(
        reverse("account_login"), {"login": "admin@example.org", "password": "demo-civic-2026"}
    )
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.get("/staff/").status_code == 200


def test_login_failures_are_rate_limited(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    from django.core.cache import cache

    cache.clear()
    StaffFactory(email="target@example.org")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "target@example.org", "password": "wrong"})
    # Now even the right password is refused for this address until the window passes.
    response = client.post(
        reverse("account_login"),
        {"login": "target@example.org", "password": "correct horse battery"},
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors
    cache.clear()
    response = client.post(
        reverse("account_login"),
        {"login": "target@example.org", "password": "correct horse battery"},
    )
    # The password is accepted: the second factor comes next.
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert "_auth_user_id" in client.session

"""One rule, used by the session page, the session API and the follow-up API: a clerk or an
auditor (or the administrator, who holds every role) sees planned sessions and draft minutes; no
one else does, signed in or not."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from assembly.rules import sees_unpublished
from civic.roles import Role
from tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.ASSEMBLY_CLERK, True),
        (Role.AUDITOR, True),
        (Role.ADMINISTRATOR, True),  # the administrator holds every role
        (Role.MODERATOR, False),
        (Role.CAMPAIGN_MANAGER, False),
    ],
)
def test_staff_by_role(role: str, sees: bool) -> None:
    assert sees_unpublished(StaffFactory(role=role)) is sees


def test_no_role_a_resident_or_an_anonymous_visitor_sees_only_what_is_published() -> None:
    assert sees_unpublished(StaffFactory()) is False  # staff without a role
    assert sees_unpublished(ResidentFactory()) is False
    assert sees_unpublished(AnonymousUser()) is False


def test_an_inactive_clerk_sees_nothing_unpublished() -> None:
    clerk: Any = StaffFactory(role=Role.ASSEMBLY_CLERK)
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    assert sees_unpublished(clerk) is False

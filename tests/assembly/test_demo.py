"""The demo assembly shows what its pages are for: a session with published minutes, one announced
with its agenda, one still in preparation (the screenshot gallery shoots these pages)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from assembly.demo import TITLE
from assembly.models import Mandate, Minutes, MinutesStatus, Session, SessionStatus

pytestmark = pytest.mark.django_db


def test_the_demo_assembly_has_published_minutes_an_announced_and_a_planned_session():
    call_command("seed_demo", entries=200, residents=12, stdout=StringIO())
    mandate = Mandate.objects.get(title=TITLE)
    published = Minutes.objects.get(session__mandate=mandate, status=MinutesStatus.PUBLISHED)
    assert published.session.title == "Séance d'installation"
    assert published.approved_in is not None and published.approved_in.title.endswith("mobilités")
    statuses = set(Session.objects.filter(mandate=mandate).values_list("status", flat=True))
    assert statuses == {SessionStatus.CLOSED, SessionStatus.PUBLISHED, SessionStatus.PLANNED}
    # Seeding again changes nothing.
    call_command("seed_demo", entries=200, residents=12, stdout=StringIO())
    assert Session.objects.filter(mandate=mandate).count() == 4

"""Strings that used to escape translation: punctuation outside the tags, counts without plural forms,
messages built before the language was known. Each is checked in English and kept French by default."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from assembly.forms import LeaveForm
from assembly.rules import MAJORITY_RULES
from tests.assembly.factories import MandateFactory, MemberFactory, SessionFactory
from tests.factories import StaffFactory
from tests.languages import EnglishClient

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_APPS = ("civic", "petitions", "referendums", "assembly", "dashboards")
BLOCK = re.compile(r"\{% blocktranslate.*?%\}.*?\{% endblocktranslate %\}", re.S)
TAG = re.compile(r"\{% (?:translate|trans) .*?%\}")
COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)
# French puts a space before ":" and ";", English does not: such punctuation left outside the
# translation tags reads " : " in English.
LOOSE_PUNCTUATION = re.compile(r"[^\n]{0,40}\s[:;]\s[^\n]{0,40}")


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    yield
    translation.activate(settings.LANGUAGE_CODE)


def english() -> Client:
    return EnglishClient()


def loose_punctuation(template: str) -> list[str]:
    text = COMMENT.sub("", template)
    text = TAG.sub("\x00", BLOCK.sub("\x00", text))
    return [match.group() for match in LOOSE_PUNCTUATION.finditer(text)]


def test_no_template_leaves_french_punctuation_outside_the_translation() -> None:
    found = {
        str(path.relative_to(ROOT)): loose
        for app in TEMPLATE_APPS
        for path in (ROOT / app).rglob("templates/**/*.html")
        if (loose := loose_punctuation(path.read_text(encoding="utf-8")))
    }
    assert not found, found


def test_the_punctuation_check_tells_a_colon_outside_from_one_inside() -> None:
    assert loose_punctuation('<p>{% translate "Aléa" %} : {{ seed }}</p>')
    assert loose_punctuation("<li>{{ label }} : {{ n }}</li>")
    assert not loose_punctuation('<p>{% translate "Aléa :" %} {{ seed }}</p>')
    assert not loose_punctuation(
        "<li>{% blocktranslate %}{{ label }} : {{ n }}{% endblocktranslate %}</li>"
    )


def test_the_majority_rules_are_read_in_the_language_of_the_request() -> None:
    with translation.override("en"):
        assert str(MAJORITY_RULES["simple"]).startswith("for > against")
    with translation.override("fr"):
        assert str(MAJORITY_RULES["simple"]).startswith("pour > contre")


@pytest.mark.django_db
def test_the_assembly_page_and_api_give_the_majority_rules_and_counts_in_english() -> None:
    mandate = MandateFactory(seated=True, size=1)
    MemberFactory(mandate=mandate, seat=1)
    html = english().get(f"/assembly/{mandate.pk}/").content.decode()
    assert "for &gt; against; abstentions not counted" in html
    assert "pour &gt; contre" not in html
    assert "1 member drawn by lot." in html and "1 members" not in html
    api = english().get(f"/api/v1/assemblies/{mandate.pk}/").json()
    assert api["majority_rules"]["simple"].startswith("for > against")


@pytest.mark.django_db
def test_the_leave_form_names_the_seat_in_english() -> None:
    member = MemberFactory(mandate=MandateFactory(seated=True), seat=3)
    with translation.override("en"):
        label = dict(LeaveForm(members=[member]).fields["member"].choices)[member.pk]  # type: ignore[attr-defined]
    assert label == f"{member.first_name} ({member.district_name}, seat 3)"


@pytest.mark.django_db
def test_the_clerk_session_desk_counts_present_members_with_a_plural() -> None:
    from django.utils import timezone

    from assembly.models import Attendance, SessionStatus

    mandate = MandateFactory(seated=True, size=3)
    members = [MemberFactory(mandate=mandate, seat=i) for i in (1, 2, 3)]
    session = SessionFactory(
        mandate=mandate,
        status=SessionStatus.OPEN,
        starts_at=timezone.now(),
        opened_at=timezone.now(),
    )
    clerk = StaffFactory(role="assembly_clerk")
    Attendance.objects.create(
        session=session,
        member=members[0],
        present=True,
        recorded_at=timezone.now(),
        recorded_by=clerk,
    )
    client = english()
    client.force_login(clerk)
    html = client.get(f"/assembly/greffe/seances/{session.pk}/").content.decode()
    assert "1 present out of 3 members; quorum: " in html
    french = Client()
    french.force_login(StaffFactory(role="assembly_clerk"))
    html = french.get(f"/assembly/greffe/seances/{session.pk}/").content.decode()
    assert "1 présent sur 3 membres ; quorum : " in html


@pytest.mark.django_db
def test_a_petition_transition_message_is_in_english() -> None:
    from tests.petitions.factories import InitiativeFactory

    initiative = InitiativeFactory(collecting=True)
    client = english()
    client.force_login(initiative.initiator)
    page = client.post(f"/initiatives/{initiative.pk}/withdraw/", follow=True)
    html = page.content.decode()
    assert "Initiative withdrawn." in html and "Initiative retirée" not in html


@pytest.mark.django_db
def test_the_error_page_keeps_the_colon_inside_the_translation() -> None:
    html = english().get("/initiatives/999999999/").content.decode()
    assert "Error code: 404" in html
    assert "Code d'erreur : 404" in Client().get("/initiatives/999999999/").content.decode()

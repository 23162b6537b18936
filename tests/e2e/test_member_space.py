"""The members' space in a real browser: a drawn member announces an absence with JavaScript off,
the page has no WCAG 2.1 AA violation in either language, and at 320 px nothing scrolls sideways
and every target is 44 px."""

from __future__ import annotations

import pytest

from assembly.models import AbsenceNotice, SessionStatus
from tests.assembly.factories import MemberFactory, SessionFactory
from tests.e2e.accessibility import axe_violations
from tests.e2e.test_layout import MEASURE
from tests.factories import ResidentFactory


def _member_and_session():  # type: ignore[no-untyped-def]
    member = MemberFactory()
    user = ResidentFactory(register_entry=member.volunteer.register_entry)
    session = SessionFactory(mandate=member.mandate, status=SessionStatus.PUBLISHED, title="Budget")
    return user, member, session


def test_a_member_announces_an_absence_without_javascript(new_context, world):
    user, member, session = _member_and_session()
    page = new_context(user=user, javascript=False).new_page()
    page.goto("/assembly/mon-espace/")
    page.get_by_label("Motif (facultatif)").fill("Déplacement professionnel")
    page.get_by_role("button", name="Prévenir de mon absence").click()
    page.wait_for_load_state()
    assert "Le greffe est prévenu" in page.get_by_role("status").inner_text()
    assert AbsenceNotice.objects.filter(session=session, member=member).exists()
    page.get_by_role("button", name="Finalement, je serai présent·e").click()
    page.wait_for_load_state()
    assert not AbsenceNotice.objects.exists()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_member_space_has_no_violation_and_reflows_at_320_px(new_context, world, language):
    user, _member, _session = _member_and_session()
    page = new_context(language=language, user=user).new_page()
    prefix = "/en" if language == "en" else ""
    page.goto(f"{prefix}/assembly/mon-espace/")
    assert axe_violations(page, page.url) == []
    page.set_viewport_size({"width": 320, "height": 844})
    found = page.evaluate(MEASURE)
    assert found["overflow"] <= 0 and found["small"] == [], found

"""The staff space in a real browser, as each role sees it, in French and in English: every role's
staff home and the register's figures, and the campaign managers' calendar and polling-station
forms shown back with their errors, with no WCAG 2.1 AA violation (axe-core). The administrator's
crawl (test_accessibility.py, test_layout.py) reaches the same pages with a frozen station list; here
no paper vote freezes them, so the station form itself is checked."""

from __future__ import annotations

import pytest

from civic.roles import Role
from tests.e2e import figures
from tests.e2e.accessibility import axe_violations
from tests.e2e.browser import missing_axe
from tests.factories import DistrictFactory, StaffFactory
from tests.referendums.factories import CampaignFactory, PollingStationFactory

pytestmark = pytest.mark.skipif(missing_axe() is not None, reason=str(missing_axe()))

NO_VALIDATION = "document.querySelectorAll('form').forEach(f => { f.noValidate = true; })"


def _checked(page, path: str) -> None:  # type: ignore[no-untyped-def]
    violations = axe_violations(page, path)
    assert not violations, "\n".join(map(str, violations))


@pytest.mark.long
@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_roles_staff_home_has_no_violation(new_context, transactional_db, language):
    DistrictFactory(name="Centre-ville")
    prefix = "" if language == "fr" else "/en"
    checked = 0
    for role in Role:
        page = new_context(language=language, user=StaffFactory(role=role)).new_page()
        for path in (f"{prefix}/staff/", f"{prefix}/staff/registre/"):
            assert page.goto(path).status == 200, path
            _checked(page, path)
            checked += 1
    figures.record(f"axe staff homes/{language}: {checked} pages, 0 violations")


@pytest.mark.long
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_calendar_and_station_forms_shown_back_with_errors_have_no_violation(
    new_context, transactional_db, language
):
    manager = StaffFactory(role=Role.CAMPAIGN_MANAGER)
    campaign = CampaignFactory(binding=True, title_fr="Le tramway", title_en="The tram")
    station = PollingStationFactory(district=DistrictFactory())
    prefix = "" if language == "fr" else "/en"
    page = new_context(language=language, user=manager).new_page()
    forms = {
        f"{prefix}/referendums/{campaign.pk}/calendrier/": (
            "#id_voting_closes_at",
            "2020-01-01T00:00",
        ),
        f"{prefix}/referendums/agents/bureaux/nouveau/": ("#id_code", "pas un code !"),
        f"{prefix}/referendums/agents/bureaux/{station.pk}/": ("#id_name", ""),
    }
    for path, (field, value) in forms.items():
        assert page.goto(path).status == 200, path
        _checked(page, path)
        page.evaluate(NO_VALIDATION)
        page.locator(field).fill(value)
        page.locator("main form [type=submit]").first.click()
        page.wait_for_load_state()
        assert page.locator(".error-summary").count() == 1, page.url
        _checked(page, path)
    for path in (
        f"{prefix}/referendums/agents/calendrier/",
        f"{prefix}/referendums/agents/bureaux/",
    ):
        assert page.goto(path).status == 200, path
        _checked(page, path)

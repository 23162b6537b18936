"""The receipt page in a real browser: reached by the cast's redirect, reloaded without casting
again, printed without the site's chrome, e-mailed with a button, free of WCAG 2.1 AA violations,
and results pages that lead with the outcome and draw their bars without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from referendums.models import Ballot, Campaign, ReceiptHash
from tests.e2e.accessibility import axe_violations

CODE = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}")


def _cast(page, campaign: Campaign) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"/referendums/{campaign.pk}/vote/")
    page.locator("main input[type=radio]").first.check()
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()
    page.locator("main form:has(input[name=step][value=cast]) [type=submit]").click()
    page.wait_for_url(re.compile(rf"/referendums/{campaign.pk}/vote/receipt/$"))
    return page.locator("main .receipt").inner_text().strip()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_receipt_page_reloads_prints_and_has_no_wcag_violation(new_context, world, language):
    campaign = world.instruments.open_vote
    # axe-core runs as a script in the page: JavaScript on here (the page itself has none).
    page = new_context(language=language, user=world.user("resident")).new_page()
    code = _cast(page, campaign)
    assert CODE.fullmatch(code), code
    counts = (Ballot.objects.count(), ReceiptHash.objects.count())
    for _ in range(2):
        page.reload()
        assert page.locator("main .receipt").inner_text().strip() == code
    assert (Ballot.objects.count(), ReceiptHash.objects.count()) == counts

    assert axe_violations(page, page.url) == []

    # On paper: the code and what it proves, without the header, the buttons or the footer.
    page.emulate_media(media="print")
    assert page.locator("main .receipt").is_visible()
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".receipt-actions").is_hidden()


def test_the_receipt_is_e_mailed_from_the_page_with_javascript_off(new_context, world):
    campaign = world.instruments.open_vote
    voter = world.user("resident")
    page = new_context(user=voter, javascript=False).new_page()
    code = _cast(page, campaign)
    mail.outbox.clear()
    page.get_by_role("button", name=re.compile("M'envoyer le code")).click()
    page.wait_for_load_state()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [voter.email]
    assert code in mail.outbox[0].body
    assert "Le récépissé est envoyé à" in page.locator(".messages[role=status]").inner_text()
    assert page.get_by_role("button", name=re.compile("M'envoyer le code")).count() == 0


def test_the_results_page_says_the_outcome_first_and_draws_bars_without_javascript(
    new_context, world
):
    campaign = world.instruments.published_vote
    page = new_context(javascript=False).new_page()
    page.goto(f"/referendums/{campaign.pk}/results/")
    assert page.locator("script").count() == 0
    main = page.locator("main").inner_text()
    assert main.index("Le résultat") < main.index("%")
    assert page.locator("main meter").count() >= 2
    assert page.locator("main meter").first.bounding_box()["width"] > 50  # type: ignore[index]
    assert "Question : 1" not in main and "o1" not in main
    scripted = new_context().new_page()  # axe-core needs scripts on
    scripted.goto(f"/referendums/{campaign.pk}/results/")
    assert axe_violations(scripted, scripted.url) == []

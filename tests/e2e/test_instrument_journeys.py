"""Journeys of the three instruments, ready to fill when their pages land.

Each is a skipped test naming what it waits for. To fill one: remove its skip mark, seed the object
it needs (tests/<app>/factories.py), and drive the page like the core journeys (tests/e2e/pages.py
has `log_in`, `submit`, `last_link`; the `new_context(user=..., javascript=False)` fixture opens a
logged-in profile with or without JavaScript; test_keyboard.tab_to moves with Tab and checks focus).
"""

from __future__ import annotations

import pytest

WAITS_FOR_PETITIONS = (
    "waits for petitions/ pages (initiative detail with a sign and a withdraw form)"
)
WAITS_FOR_REFERENDUMS = "waits for referendums/ pages (ballot form, receipt check page)"
WAITS_FOR_ASSEMBLY = "waits for assembly/ pages (draw page for the assembly clerk)"


@pytest.mark.skip(reason=WAITS_FOR_PETITIONS)
def test_a_verified_resident_signs_an_initiative_then_withdraws_the_signature(new_context, world):
    """Open the initiative from the home page's "open now" list, sign (confirmation shown, count +1),
    withdraw (count back); repeat with javascript=False and with the keyboard only."""


@pytest.mark.skip(reason=WAITS_FOR_PETITIONS)
def test_a_moderator_publishes_an_initiative_and_enters_a_paper_signature(new_context, world):
    """Publish a submitted initiative; enter a paper signature against a register entry; the same
    identity entered twice is refused."""


@pytest.mark.skip(reason=WAITS_FOR_REFERENDUMS)
def test_a_voter_votes_re_votes_and_checks_the_receipt(new_context, world):
    """Vote, vote again (the last one counts), then check the receipt on the public page; repeat
    with javascript=False and with the keyboard only."""


@pytest.mark.skip(reason=WAITS_FOR_REFERENDUMS)
def test_a_campaign_manager_records_a_polling_station_sheet_twice(new_context, world):
    """Record a result sheet, record it again identically (accepted once), then with a different
    count (flagged as a conflict to resolve)."""


@pytest.mark.skip(reason=WAITS_FOR_ASSEMBLY)
def test_an_assembly_clerk_runs_the_draw(new_context, world):
    """Run the stratified draw; the published list and the verification seed are shown."""

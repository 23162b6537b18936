"""Guided initiative creation in a real browser: the whole journey with JavaScript off, bad input
at each step shown in the error summary, and every step (and its error state) with 0 axe-core
violations, no sideways scroll and 44 px targets at 320 and 390 px, in French and in English.

The crawls (test_accessibility, test_layout) reach only the first step (the others redirect to it
until it is answered): this file drives the real forms to reach the rest."""

from __future__ import annotations

import re
from typing import Any

import pytest

from petitions.models import Initiative, Promoter
from tests.e2e import figures
from tests.e2e.accessibility import axe_violations
from tests.e2e.browser import missing_axe
from tests.e2e.test_layout import MEASURE, WIDTHS
from tests.e2e.world import World

TEXT = {"title": "Une fontaine place Carnot", "summary": "De l'eau pour tous.", "body": "Texte."}
STEP = re.compile(r"/initiatives/new/([a-z-]+)/$")


def _step_of(page: Any) -> str:
    found = STEP.search(page.url)
    assert found, page.url
    return found.group(1)


def _continue(page: Any) -> None:
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()


def _answer(page: Any, step: str, world: World) -> None:
    """Answer one step with the real form (selectors, not words: it runs in both languages)."""
    if step == "instrument":
        page.locator("input[name=goal][value=both]").check()
    elif step == "text":
        for name, value in TEXT.items():
            page.locator(f"[name={name}]").fill(value)
    elif step == "co-initiators":
        page.locator("textarea[name=emails]").fill(world.user("other_resident").email)
    _continue(page)


def _problems(page: Any, label: str) -> list[str]:
    problems = [str(v) for v in axe_violations(page, label)]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        found = page.evaluate(MEASURE)
        if found["overflow"] > 0:
            problems.append(f"{label} at {width} px: scrolls sideways by {found['overflow']} px")
        problems.extend(f"{label} at {width} px: {target}" for target in found["small"])
    page.set_viewport_size({"width": WIDTHS[0], "height": 844})
    return problems


def test_without_javascript_a_resident_is_guided_to_a_draft(new_context, world):
    page = new_context(javascript=False, user=world.user("resident")).new_page()
    page.goto("/")
    page.locator("main a.button.start").click()  # "Lancer une initiative"
    page.wait_for_load_state()
    visited = []
    while (step := _step_of(page)) != "next":
        visited.append(step)
        assert page.locator("script").count() == 0, step
        _answer(page, step, world)
    assert visited == ["instrument", "text", "co-initiators", "preview"]
    initiative = Initiative.objects.get(title=TEXT["title"])
    assert initiative.initiator == world.user("resident")
    assert initiative.tracks.count() == 2
    assert Promoter.objects.filter(initiative=initiative).count() == 1
    assert page.locator(".ladder-rung").count() >= 2
    page.reload()  # the page after the POST can be reloaded: nothing is created twice
    assert Initiative.objects.filter(title=TEXT["title"]).count() == 1


@pytest.mark.parametrize(
    ("step", "bad"),
    [
        ("instrument", {}),
        ("text", {"title": ""}),
        ("co-initiators", {"emails": "pas-une-adresse"}),
    ],
)
def test_without_javascript_bad_input_stops_at_its_step_with_the_error_summary(
    new_context, world, step, bad
):
    page = new_context(javascript=False, user=world.user("resident")).new_page()
    page.goto("/initiatives/new/instrument/")
    while _step_of(page) != step:
        _answer(page, _step_of(page), world)
    if step == "text":
        for name, value in {**TEXT, **bad}.items():
            page.locator(f"[name={name}]").fill(value)
    elif step == "co-initiators":
        page.locator("textarea[name=emails]").fill(bad["emails"])
    _continue(page)
    assert _step_of(page) == step
    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.locator("a").count() >= 1
    assert not Initiative.objects.filter(title=TEXT["title"]).exists()


@pytest.mark.long
@pytest.mark.skipif(missing_axe() is not None, reason=str(missing_axe()))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_step_and_its_error_state_pass_axe_and_the_phone_layout(new_context, world, language):
    page = new_context(language=language, user=world.user("resident")).new_page()
    page.goto("/initiatives/new/instrument/")
    problems: list[str] = []
    checked = 0
    while (step := _step_of(page)) != "next":
        assert page.locator("html").get_attribute("lang") == language
        problems += _problems(page, f"{step}/{language}")
        if step != "preview":  # the error state: the form sent empty
            page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
            if step == "co-initiators":
                page.locator("textarea[name=emails]").fill("x")
            _continue(page)
            assert page.locator(".error-summary").count() == 1, step
            problems += _problems(page, f"{step} with errors/{language}")
        _answer(page, step, world)
        checked += 1
    problems += _problems(page, f"next/{language}")
    figures.record(f"guided creation {language}: {checked + 1} steps, {len(problems)} problems")
    assert not problems, "\n".join(problems)

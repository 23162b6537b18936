"""The run itself: the server answers, and an anonymous visitor cannot reach the staff pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.redteam import Attack

if TYPE_CHECKING:
    from tools.redteam.target import Target

SETUP = "import json; print(json.dumps({}))"


def _staff_closed(target: Target) -> tuple[bool, str]:
    answer = target.browser().request("GET", "/staff/")
    return answer.status in {302, 403}, f"GET /staff/ anonymously: {answer.status}"


def attacks() -> list[Attack]:
    return [Attack("0", "an anonymous visitor does not reach the staff pages", _staff_closed)]

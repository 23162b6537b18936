"""Small helpers the browser tests share."""

from __future__ import annotations

import re

from django.core import mail

from tests.factories import totp_code

# The home page's full URL (any host and port), e.g. after a login or a verification.
HOME = re.compile(r"^https?://[^/]+/$")

LINK = re.compile(r"https?://\S+?/accounts/\S+/")


def last_link(to: str, *, containing: str) -> str:
    for message in reversed(mail.outbox):
        if to in message.to:
            for link in LINK.findall(message.body):
                if containing in link:
                    return link
    raise AssertionError(f"no e-mail to {to} with a {containing} link: {len(mail.outbox)} sent")


def submit(page, form_selector: str = "main form") -> None:  # type: ignore[no-untyped-def]
    # The first submit button is the form's own action (allauth adds "Cancel" buttons after it).
    page.locator(f"{form_selector} [type=submit]").first.click()


def log_in(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    submit(page)
    page.wait_for_load_state()
    if "/2fa/authenticate/" in page.url:  # a staff account: its TOTP code (tests/factories.py)
        page.locator("input[name=code]").fill(totp_code())
        submit(page)
        page.wait_for_load_state()

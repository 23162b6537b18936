"""Frozen votes and paper results: rewording a scheduled vote (SQL as the app's role, admin POST),
a result sheet with a typed "registered" figure, and the two races that gave a 500 (parallel
campaigner POSTs, parallel first schema requests)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tools.redteam import Attack

if TYPE_CHECKING:
    from tools.redteam.target import Target

PASSWORD = "Redteam-votes-2026!"  # noqa: S105 - a throwaway account of the red-team database

SETUP = f"""
import json
from django.utils import timezone
from datetime import timedelta
from civic.models import User
from civic.roles import Role
from django.contrib.auth.models import Group
from civic.services.tokens import api_token_create
from referendums.models import Campaign, PollingStation, StationElectorate
from referendums.services.campaigns import campaign_create, campaign_schedule

def staff(email):
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, password={PASSWORD!r}, is_staff=True)
    user.groups.add(Group.objects.get(name=Role.CAMPAIGN_MANAGER))
    from allauth.mfa.models import Authenticator as _A; from allauth.mfa.totp.internal.auth import TOTP as _T; _A.objects.filter(user=user, type="totp").exists() or _T.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    from allauth.account.models import EmailAddress
    EmailAddress.objects.get_or_create(user=user, email=email, defaults=dict(verified=True, primary=True))
    return user

managers = [staff(f"redteam-votes-{{i}}@example.org") for i in range(2)]
now = timezone.now()
def draft(title):
    return campaign_create(actor=managers[0], kind="online_vote", title_fr=title,
        cutoff_date=(now + timedelta(days=5)).date(), campaign_opens_at=now + timedelta(days=5),
        voting_opens_at=now + timedelta(days=10), voting_closes_at=now + timedelta(days=11))
scheduled = draft("Red team : vote programmé")
campaign_schedule(campaign_id=scheduled.pk, actor=managers[0])
open_draft = draft("Red team : organisations")
question = scheduled.questions.get()
option = question.options.get(key="o1")
station = PollingStation.objects.order_by("code").first()
paper = Campaign.objects.create(kind="binding_referendum", voting_method="paper",
    title_fr="Red team : référendum", cutoff_date=(now - timedelta(days=5)).date(),
    campaign_opens_at=now - timedelta(days=4), voting_opens_at=now - timedelta(days=2),
    voting_closes_at=now - timedelta(days=1), quorum_percent=50, majority_rule="simple")
Campaign.objects.filter(pk=paper.pk).update(status="closed", opened_at=now, closed_at=now)
StationElectorate.objects.create(campaign=paper, station=station, electors=600)
Campaign.objects.filter(pk=paper.pk).update(electorate_count=600, electorate_frozen_at=now)
print(json.dumps({{
    "scheduled": scheduled.pk, "question": question.pk, "option": option.pk,
    "draft": open_draft.pk, "paper": paper.pk, "station": station.code,
    "token": api_token_create(user=managers[0])[1],
    "manager": managers[0].email,
}}))
"""


def _facts(target: Target) -> dict[str, Any]:
    return target.facts["votes"]


def _label_by_sql(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    try:
        target.sql(
            "UPDATE referendums_option SET label_fr = 'Non, bien sûr' WHERE id = %s",
            (facts["option"],),
        )
    except Exception as exc:
        refused = "referendum_vote_frozen" in str(exc)
        return refused, f"UPDATE refused: {str(exc).splitlines()[0][:100]}"
    label = target.sql("SELECT label_fr FROM referendums_option WHERE id = %s", (facts["option"],))
    return False, f"the label is now {label}"


def _label_by_admin(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    browser = target.browser()
    browser.login(facts["manager"], PASSWORD)
    path = f"/admin/referendums/question/{facts['question']}/change/"
    answer = browser.post_form(
        path,
        {
            "campaign": str(facts["scheduled"]),
            "position": "1",
            "text_fr": "Une autre question ?",
            "options-TOTAL_FORMS": "0",
            "options-INITIAL_FORMS": "0",
            "options-MIN_NUM_FORMS": "0",
            "options-MAX_NUM_FORMS": "1000",
        },
    )
    deleted = browser.post_form(
        f"/admin/referendums/question/{facts['question']}/delete/", {"post": "yes"}
    )
    rows = target.sql(
        "SELECT text_fr FROM referendums_question WHERE id = %s", (facts["question"],)
    )
    held = bool(rows) and rows[0][0] != "Une autre question ?" and answer.status < 500
    return held, f"admin change {answer.status}, delete {deleted.status}, question {rows}"


def _registered_mismatch(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    figures = {"registered": 1000, "voters": 500, "blank": 0, "null": 0, "yes": 300, "no": 200}
    answer = target.http(
        "POST",
        f"/api/v1/referendums/{facts['paper']}/sheets/",
        {"station": facts["station"], **figures},
        token=facts["token"],
    )
    code = answer.json().get("code") if answer.status < 500 else None
    return (
        answer.status == 400 and code == "registered_mismatch",
        f"sheet claiming 1000 registered for 600 frozen: {answer.status} {code}",
    )


def _parallel(n: int, call: Callable[[], int]) -> list[int]:
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def run() -> None:
        barrier.wait()
        statuses.append(call())

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def _campaigners_race(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    statuses: list[int] = []
    for round_ in range(5):
        body = {"name": f"Collectif {round_}", "side": "against", "argument_fr": "Texte"}

        def post(b: dict[str, str] = body) -> int:
            path = f"/api/v1/referendums/{facts['draft']}/campaigners/"
            return target.http("POST", path, b, token=facts["token"]).status

        statuses += _parallel(8, post)
    errors = [s for s in statuses if s >= 500]
    return not errors, f"40 parallel POSTs: {len(errors)} server errors, {sorted(set(statuses))}"


def _schema_race(target: Target) -> tuple[bool, str]:
    statuses = _parallel(8, lambda: target.http("GET", "/api/v1/schema/").status)
    errors = [s for s in statuses if s >= 500]
    return not errors, f"8 parallel schema requests: {sorted(statuses)}"


def attacks() -> list[Attack]:
    return [
        Attack("17.13", "parallel first schema requests give no 5xx", _schema_race),
        Attack("17.3", "the app's DB role cannot reword a scheduled vote", _label_by_sql),
        Attack(
            "17.3", "an admin POST cannot reword or delete a scheduled question", _label_by_admin
        ),
        Attack("17.11", "a sheet with a typed registered figure is refused", _registered_mismatch),
        Attack("17.13", "parallel campaigner POSTs give no 5xx", _campaigners_race),
    ]

"""Ballot secrecy and coercion (threat model: "Ballot secrecy and coercion"): findings 17.4, 17.5
and the sealing table of 17.12.

SETUP opens two votes of its own, casts through the service for residents 41 to 60 of the demo
city (recording every statement a cast sends), prepares receipts for the coercion attacks, and
closes the second vote, running the close's vacuum as the worker would.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tools.redteam import Attack

if TYPE_CHECKING:
    from tools.redteam.target import Target

SETUP = r"""
import json
from datetime import timedelta
from django.db import connection
from django.utils import timezone
from civic.demo import DEFAULT_PASSWORD, resident_email
from civic.models import User
from referendums.demo import MANAGER, _open_now
from referendums.models import Campaign, ReceiptHash
from referendums.sealing import receipt_digest
from referendums.services.campaigns import voting_close_due
from referendums.services.voting import ballot_cast, state_memo_forget
from referendums.tasks import vacuum_after_close

manager = User.objects.get(email=MANAGER)
vote = _open_now(manager, subject="redteam-secrecy", title="Secret ?", title_en="Secret?",
                 days_open=7)
other = _open_now(manager, subject="redteam-secrecy-close", title="Clos ?", title_en="Closed?",
                  days_open=7)
question = str(vote.questions.get().pk)
keys = list(vote.questions.get().options.order_by("position").values_list("key", flat=True))
residents = list(User.objects.filter(
    email__in=[resident_email(n) for n in range(41, 61)], register_entry__isnull=False
).order_by("email"))

def cast(user, key, campaign=vote):
    q = str(campaign.questions.get().pk)
    return ballot_cast(campaign_id=campaign.pk, user=user, choices={q: key}).receipt

# 17.4: every statement of a first vote (short and transactional paths) and of a re-vote.
seen = []
def record(execute, sql, params, many, context):
    seen.append((sql, params))
    return execute(sql, params, many, context)

voters = iter(residents)
watched = []
with connection.execute_wrapper(record):
    for memo in (False, True, True):
        if not memo:
            state_memo_forget()
        voter = next(voters)
        watched.append(voter)
        cast(voter, keys[0])
    cast(watched[0], keys[1])  # a re-vote

def values(params):
    if params is None:
        return []
    return list(params.values()) if isinstance(params, dict) else list(params)

both = 0
for sql, params in seen:
    vals = values(params)
    texts = [sql] + [v for v in vals if isinstance(v, str)]
    choice = any(f'"{k}"' in t for t in texts for k in keys)
    voter = any(
        (isinstance(v, int) and v in {u.register_entry_id for u in watched} | {u.pk for u in watched})
        or (isinstance(v, str) and any(u.register_entry.identity_hash in v for u in watched))
        for v in vals
    )
    both += choice and voter

# 17.5: receipts for the coercion attacks.
coerced = next(voters)
superseded = cast(coerced, keys[0])
latest = cast(coerced, keys[1])
expired = cast(next(voters), keys[0])
ReceiptHash.objects.filter(campaign=vote, digest=receipt_digest(vote.pk, expired)).update(
    checkable_until=timezone.now() - timedelta(minutes=1)
)
limited = cast(next(voters), keys[0])
mine = next(voters)
cast(mine, keys[1])

# 17.12: the sealing-key table after a close.
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_relation_filenode('referendums_sealingkey')")
    filenode_before = cursor.fetchone()[0]
cast(next(voters), str(other.questions.get().options.first().key), campaign=other)
Campaign.objects.filter(pk=other.pk).update(voting_closes_at=timezone.now())
assert voting_close_due(campaign_id=other.pk)
vacuum_after_close(other.pk)

print(json.dumps({
    "vote": vote.pk, "question": question, "keys": keys, "statements": len(seen),
    "statements_with_voter_and_choice": both,
    "superseded": superseded, "latest": latest, "expired": expired, "limited": limited,
    "resident": mine.email, "password": DEFAULT_PASSWORD,
    "closed": other.pk, "filenode_before": filenode_before,
}))
"""


def _facts(target: Target) -> dict[str, Any]:
    return target.facts["secrecy"]


def _check(target: Target, receipt: str) -> tuple[int, Any]:
    answer = target.http(
        "POST",
        f"/api/v1/referendums/{_facts(target)['vote']}/receipts/check/",
        {"receipt": receipt},
    )
    try:
        body = answer.json()
    except ValueError:
        body = answer.text
    return answer.status, body


def _no_statement_links(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    both = facts["statements_with_voter_and_choice"]
    return both == 0, f"{both} of {facts['statements']} statements hold a voter and a choice"


def _request_size(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    answer = target.http("GET", f"/api/v1/referendums/{facts['vote']}/")
    options = [o["key"] for q in answer.json()["questions"] for o in q["options"]]
    sizes = {len(json.dumps({"choices": {facts["question"]: key}})) for key in options}
    return len(sizes) == 1 and len(options) >= 2, f"keys {options}, request sizes {sorted(sizes)}"


def _superseded_says_received(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    old, new = _check(target, facts["superseded"]), _check(target, facts["latest"])
    held = old == new == (200, {"received": True})
    return held, f"replaced receipt: {old}, latest: {new}"


def _expired_not_checkable(target: Target) -> tuple[bool, str]:
    status, body = _check(target, _facts(target)["expired"])
    held = status == 409 and isinstance(body, dict) and body.get("code") == "receipt_not_checkable"
    return held, f"after the window: {status} {body}"


def _limited_checks(target: Target) -> tuple[bool, str]:
    answers = [_check(target, _facts(target)["limited"])[0] for _ in range(5)]
    return answers == [200, 200, 200, 409, 409], f"five checks: {answers}"


def _no_voting_time(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    browser = target.browser()
    browser.login(facts["resident"], facts["password"])
    answer = browser.request("GET", "/me/data/?format=json")
    if answer.status != 200:
        return False, f"GET /me/data/: {answer.status}"
    rows = answer.json().get("referendums", {}).get("participations", [])
    mine = [r for r in rows if r.get("campaign") == facts["vote"]]
    held = len(mine) == 1 and mine[0].get("voted_at") is None
    return held, f"participation while open: {mine}"


def _sealing_table_rewritten(target: Target) -> tuple[bool, str]:
    facts = _facts(target)
    ((filenode,),) = target.sql("SELECT pg_relation_filenode('referendums_sealingkey')")
    keys = target.sql(
        "SELECT count(*) FROM referendums_sealingkey WHERE campaign_id = %s", (facts["closed"],)
    )[0][0]
    held = filenode != facts["filenode_before"] and keys == 0
    return held, f"file {facts['filenode_before']} -> {filenode}, closed vote's keys left: {keys}"


def attacks() -> list[Attack]:
    return [
        Attack(
            "17.4",
            "no statement of a cast holds both the voter and the choice",
            _no_statement_links,
        ),
        Attack("17.4", "an encrypted vote request has one size whatever the choice", _request_size),
        Attack(
            "17.5",
            "a replaced receipt answers 'received', as the latest does",
            _superseded_says_received,
        ),
        Attack("17.5", "a receipt past its window is not checkable (409)", _expired_not_checkable),
        Attack("17.5", "a receipt is checked three times at most", _limited_checks),
        Attack(
            "17.5", "'Mes données' shows no voting time while the vote is open", _no_voting_time
        ),
        Attack(
            "17.12",
            "after the close the sealing keys leave the table file",
            _sealing_table_rewritten,
        ),
    ]

"""The audit chain and the ballot box against whoever holds the application's database credential,
and the published heads over HTTP (docs/threat-model.md, "The audit chain and what is published
outside the database")."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tools.redteam import Attack

if TYPE_CHECKING:
    from tools.redteam.target import Target

# As the owner, after the demo city is seeded (it closes one online vote): publish the heads.
SETUP = """
import json
from civic.audit import audit_record
from civic.audit_heads import heads_publish, public_key_hex
from referendums.models import Campaign
audit_record(actor=None, verb="redteam.audit", target=("redteam", 1), after={"n": 1})
written = heads_publish()
sealed = list(Campaign.objects.exclude(results_digest="").values_list("pk", flat=True))
print(json.dumps({"written": written, "public_key": public_key_hex(), "sealed": sealed}))
"""


def _refused(target: Target, query: str, params: tuple[Any, ...] = ()) -> tuple[bool, str]:
    import psycopg

    try:
        target.sql(query, params)
    except psycopg.Error as exc:
        return True, f"{type(exc).__name__}"
    return False, "accepted"


def _audit_count(target: Target) -> int:
    return int(target.sql("SELECT count(*) FROM civic_auditentry")[0][0])


def _truncate_audit(target: Target) -> tuple[bool, str]:
    before = _audit_count(target)
    refused, how = _refused(target, "TRUNCATE civic_auditentry")
    after = _audit_count(target)
    return refused and after == before > 0, f"TRUNCATE as the app role: {how}, {after} entries"


def _rewrite_audit(target: Target) -> tuple[bool, str]:
    results = [
        _refused(target, "UPDATE civic_auditentry SET verb = 'forged' WHERE id = 1"),
        _refused(
            target, "DELETE FROM civic_auditentry WHERE id = (SELECT max(id) FROM civic_auditentry)"
        ),
        _refused(target, "ALTER TABLE civic_auditentry DISABLE TRIGGER ALL"),
        _refused(target, "SET session_replication_role = replica"),
    ]
    return all(r[0] for r in results), "UPDATE, DELETE, DISABLE TRIGGER, replica: " + ", ".join(
        r[1] for r in results
    )


def _rewrite_ballots(target: Target) -> tuple[bool, str]:
    sealed = target.facts["audit"]["sealed"]
    if not sealed:
        return False, "the demo has no sealed ballot box to attack"
    campaign = int(sealed[0])
    results = [
        _refused(target, "TRUNCATE referendums_ballot"),
        _refused(
            target,
            "UPDATE referendums_ballot SET choices = choices WHERE campaign_id = %s",
            (campaign,),
        ),
        _refused(
            target,
            "UPDATE referendums_ballot SET district_code = NULL WHERE campaign_id = %s",
            (campaign,),
        ),
        _refused(
            target,
            "DELETE FROM referendums_ballot WHERE id = (SELECT id FROM referendums_ballot WHERE campaign_id = %s LIMIT 1)",
            (campaign,),
        ),
        _refused(
            target,
            "INSERT INTO referendums_ballot (id, campaign_id, choices) "
            "SELECT gen_random_uuid(), campaign_id, choices FROM referendums_ballot "
            "WHERE campaign_id = %s LIMIT 1",
            (campaign,),
        ),
        _refused(target, "DELETE FROM referendums_receipthash WHERE campaign_id = %s", (campaign,)),
        _refused(
            target,
            "UPDATE referendums_campaign SET results_digest = '' WHERE id = %s",
            (campaign,),
        ),
    ]
    return all(r[0] for r in results), (
        f"sealed box {campaign}: TRUNCATE, UPDATE choices, UPDATE district, DELETE, INSERT, "
        "DELETE receipts, lift the seal: " + ", ".join(r[1] for r in results)
    )


def _heads_signed(target: Target) -> tuple[bool, str]:
    from tools.verify_ballot_box import head_signed

    answer = target.http("GET", "/api/v1/audit/heads/")
    if answer.status != 200:
        return False, f"GET /api/v1/audit/heads/: {answer.status}"
    served = answer.json()
    key = target.facts["audit"]["public_key"]
    heads = served["heads"]
    unsigned = [line for line in heads if not head_signed(line, key)]
    mismatched = []
    for line in heads:
        rows = target.sql("SELECT hash FROM civic_auditentry WHERE id = %s", (line["entry_id"],))
        if not rows or rows[0][0] != line["hash"]:
            mismatched.append(line["entry_id"])
    boxes = [line for line in heads if line["kind"] == "ballot_box"]
    ok = (
        served["public_key"] == key
        and heads
        and not unsigned
        and not mismatched
        and len(boxes) == len(target.facts["audit"]["sealed"])
    )
    return bool(ok), (
        f"{len(heads)} heads ({len(boxes)} boxes), {len(unsigned)} badly signed, "
        f"{len(mismatched)} not matching the chain"
    )


def _dropped_ballot(target: Target) -> tuple[bool, str]:
    """A box rewritten consistently (one ballot and its receipt gone, tally and digests redone)
    passes every check but the signed heads'."""
    import hashlib

    from tools.verify_ballot_box import canonical, read_heads, verify

    campaign = int(target.facts["audit"]["sealed"][0])
    answer = target.http("GET", f"/api/v1/referendums/{campaign}/ballot-box/")
    if answer.status != 200:
        return False, f"ballot box: {answer.status}"
    box = answer.json()
    heads, served_key = read_heads(target.http("GET", "/api/v1/audit/heads/").text)
    key = target.facts["audit"]["public_key"]
    gone = box["ballots"].pop()
    box["receipts"].pop()
    box["tally"]["ballots"] -= 1
    for question, choice in gone["choices"].items():
        box["tally"]["questions"][question][choice] -= 1

    def lines_sha(lines: list[str]) -> str:
        return hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()

    ordered = sorted(box["ballots"], key=lambda b: b["id"])
    box["digests"]["ballots_sha256"] = lines_sha(
        [canonical({"id": b["id"], "choices": b["choices"]}) for b in ordered]
    )
    box["digests"]["receipts_sha256"] = lines_sha(sorted(box["receipts"]))
    box["digests"]["box_sha256"] = hashlib.sha256(
        canonical(
            {
                "format": box["format"],
                "campaign": box["campaign"],
                "tally": box["tally"],
                "ballots_sha256": box["digests"]["ballots_sha256"],
                "receipts_sha256": box["digests"]["receipts_sha256"],
            }
        ).encode()
    ).hexdigest()
    alone = verify(box)
    with_heads = verify(box, heads=heads, public_key=key)
    caught = [p for p in with_heads.problems if "published at close" in p]
    return (not alone.problems and bool(caught) and served_key == key), (
        f"rewritten box: {len(alone.problems)} problems alone, "
        f"{len(with_heads.problems)} with the heads ({json.dumps(caught[:1])})"
    )


def attacks() -> list[Attack]:
    return [
        Attack("17.6", "the app's role cannot TRUNCATE the audit log", _truncate_audit),
        Attack(
            "17.6",
            "the app's role cannot UPDATE, DELETE or unguard the audit log",
            _rewrite_audit,
        ),
        Attack("17.6", "the app's role cannot rewrite a sealed ballot box", _rewrite_ballots),
        Attack("17.6", "the published heads are signed and match the chain", _heads_signed),
        Attack("17.7", "a box with one ballot dropped fails against the heads", _dropped_ballot),
    ]

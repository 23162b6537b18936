"""The verifier against a consistent rewrite: one ballot dropped or added, and the tally, receipts,
digests and results all rewritten to match. Only the heads signed and published at the close (away
from the database) tell; counted ballots must also equal participations and fit the electorate."""

import hashlib
import json
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from civic.audit_heads import heads_publish
from referendums.services.voting import ballot_cast

pytestmark = pytest.mark.django_db
TOOLS = Path(__file__).resolve().parents[2] / "tools"
VERIFIER = TOOLS / "verify_ballot_box.py"
SIGNING_KEY = "4d" * 32


def _verify(tmp_path: Path, box: dict, results: dict, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "box.json").write_text(json.dumps(box), encoding="utf-8")
    (tmp_path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    command = [sys.executable, str(VERIFIER), str(tmp_path / "box.json")]
    command += ["--results", str(tmp_path / "results.json"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def closed(open_vote, close_vote, api, staff_api, tmp_path):
    vote = open_vote(voters=6, districts=1)  # two electors abstain
    for i, choice in enumerate(["yes", "no", "yes", "yes"]):
        ballot_cast(campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices(choice))
    close_vote(vote.campaign)
    heads_file = tmp_path / "heads.jsonl"
    with override_settings(AUDIT_SIGNING_KEY=SIGNING_KEY, AUDIT_HEADS_FILE=str(heads_file)):
        assert heads_publish() == 2  # the sealed box and the chain's head
        served = api.get("/api/v1/audit/heads/").json()
    (tmp_path / "heads.json").write_text(json.dumps(served), encoding="utf-8")
    box = json.loads(api.get(f"/api/v1/referendums/{vote.campaign.pk}/ballot-box/").content)
    assert (
        staff_api("campaign_manager")
        .post(f"/api/v1/referendums/{vote.campaign.pk}/publish/")
        .status_code
        == 200
    )
    results = api.get(f"/api/v1/referendums/{vote.campaign.pk}/results/").json()
    return vote, box, results, served["public_key"], tmp_path / "heads.json"


def _lines_sha(lines: list[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def _rewrite(box: dict, results: dict, question: str, *, drop: bool) -> tuple[dict, dict]:
    """What an operator holding the database would publish: every figure made to agree."""
    sys.path.insert(0, str(TOOLS))
    import verify_ballot_box as tool

    box, results = json.loads(json.dumps(box)), json.loads(json.dumps(results))
    if drop:
        gone = box["ballots"].pop()
        box["receipts"].pop()
        delta, key = -1, gone["choices"][question]
    else:
        key = "o1"
        box["ballots"].append({"id": str(uuid.uuid4()), "choices": {question: key}})
        box["receipts"].append(secrets.token_hex(32))
        delta = 1
    box["tally"]["ballots"] += delta
    box["tally"]["questions"][question][key] += delta
    ordered = sorted(box["ballots"], key=lambda b: b["id"])
    box["digests"]["ballots_sha256"] = _lines_sha(
        [tool.canonical({"id": b["id"], "choices": b["choices"]}) for b in ordered]
    )
    box["digests"]["receipts_sha256"] = _lines_sha(sorted(box["receipts"]))
    box_sha = hashlib.sha256(
        tool.canonical(
            {
                "format": box["format"],
                "campaign": box["campaign"],
                "tally": box["tally"],
                "ballots_sha256": box["digests"]["ballots_sha256"],
                "receipts_sha256": box["digests"]["receipts_sha256"],
            }
        ).encode()
    ).hexdigest()
    box["digests"]["box_sha256"] = box_sha
    results["results_digest"] = box_sha
    results["ballots"] += delta
    results["participations"] += delta
    for q in results["questions"]:
        for option in q["options"]:
            if str(q["id"]) == question and option["key"] == key:
                option["count"] += delta
    for district in results.get("districts", []):
        if district.get("participations") is not None:
            district["participations"] += delta
            break
    return box, results


def test_the_untouched_box_matches_the_signed_heads(closed, tmp_path):
    _vote, box, results, key, heads = closed
    done = _verify(tmp_path, box, results, "--heads", str(heads), "--public-key", key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   the box is among the signed published heads" in done.stdout


@pytest.mark.parametrize("drop", [True, False], ids=["dropped", "added"])
def test_a_ballot_dropped_or_added_with_everything_rewritten_is_caught_by_the_heads(
    closed, tmp_path, drop
):
    vote, box, results, key, heads = closed
    forged_box, forged_results = _rewrite(box, results, vote.question_id, drop=drop)
    without_heads = _verify(tmp_path, forged_box, forged_results)
    assert without_heads.returncode == 0, without_heads.stdout  # consistent: nothing else can tell
    done = _verify(tmp_path, forged_box, forged_results, "--heads", str(heads), "--public-key", key)
    assert done.returncode == 1, done.stdout
    assert "FAIL box digest equals the one published at close" in done.stdout
    assert "FAIL ballots equal those published at close" in done.stdout


def test_heads_re_signed_with_another_key_are_refused(closed, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from civic.audit_heads import head_sign

    vote, box, results, key, heads = closed
    forged_box, forged_results = _rewrite(box, results, vote.question_id, drop=True)
    served: dict[str, Any] = json.loads(heads.read_text())
    other = Ed25519PrivateKey.generate()
    for line in served["heads"]:
        if line["kind"] == "ballot_box":
            line.update(
                box_sha256=forged_box["digests"]["box_sha256"],
                ballots=line["ballots"] - 1,
                participations=line["participations"] - 1,
            )
    served["heads"] = [head_sign(line, other) for line in served["heads"]]
    heads.write_text(json.dumps(served))
    done = _verify(tmp_path, forged_box, forged_results, "--heads", str(heads), "--public-key", key)
    assert done.returncode == 1
    assert "FAIL every published head is signed" in done.stdout


def test_ballots_must_equal_participations_and_fit_the_electorate(closed, tmp_path):
    _vote, box, results, _key, _heads = closed
    results = {**results, "participations": results["participations"] + 1}
    done = _verify(tmp_path, box, results)
    assert done.returncode == 1
    assert "FAIL counted ballots equal participations" in done.stdout
    results = {**results, "participations": len(box["ballots"]), "electorate": 3}  # 4 ballots
    done = _verify(tmp_path, box, results)
    assert "FAIL ballots do not exceed the electorate" in done.stdout


def test_a_district_with_more_participations_than_electors_is_flagged(closed, tmp_path):
    _vote, box, results, _key, _heads = closed
    results = json.loads(json.dumps(results))
    results["districts"] = [
        {"code": "X", "electorate": 2, "participations": 3, "questions": []},
    ]
    done = _verify(tmp_path, box, results)
    assert done.returncode == 1
    assert "FAIL no district has more participations than electors" in done.stdout

"""The published ballot box and the standalone verifier (run as a subprocess, as a citizen would)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from referendums.services.voting import ballot_cast

pytestmark = pytest.mark.django_db
VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_ballot_box.py"


def _verify(tmp_path: Path, box: dict, *args: str, results: dict | None = None):
    box_file = tmp_path / "box.json"
    box_file.write_text(json.dumps(box), encoding="utf-8")
    command = [sys.executable, str(VERIFIER), str(box_file), *args]
    if results is not None:
        results_file = tmp_path / "results.json"
        results_file.write_text(json.dumps(results), encoding="utf-8")
        command += ["--results", str(results_file)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def published(open_vote, close_vote, api, staff_api):
    vote = open_vote(voters=5, districts=1)
    receipts = []
    for i, choice in enumerate(["yes", "no", "yes", "yes", "no"]):
        receipts.append(
            ballot_cast(
                campaign_id=vote.campaign.pk, user=vote.voters[i], choices=vote.choices(choice)
            ).receipt
        )
    ballot_cast(
        campaign_id=vote.campaign.pk, user=vote.voters[1], choices=vote.choices("yes")
    )  # re-vote
    close_vote(vote.campaign)
    box_response = api.get(f"/api/v1/referendums/{vote.campaign.pk}/ballot-box/")
    assert box_response.status_code == 200
    box = json.loads(box_response.content)
    assert (
        api.get(
            f"/api/v1/referendums/{vote.campaign.pk}/ballot-box/",
            HTTP_IF_NONE_MATCH=box_response["ETag"],
        ).status_code
        == 304
    )
    publish = staff_api("campaign_manager").post(f"/api/v1/referendums/{vote.campaign.pk}/publish/")
    assert publish.status_code == 200, publish.content
    results = api.get(f"/api/v1/referendums/{vote.campaign.pk}/results/").json()
    return vote, box, results, receipts


def test_the_box_holds_counted_ballots_and_receipts_separately(published):
    vote, box, results, _receipts = published
    # Every receipt ever given: the re-vote's replaced one too (it proves nothing to a coercer).
    assert len(box["ballots"]) == 5
    assert len(box["receipts"]) == 6
    assert box["tally"]["questions"][vote.question_id] == {"o1": 4, "o2": 1}
    assert set(box["ballots"][0]) == {"id", "choices"}
    assert results["results_digest"] == box["digests"]["box_sha256"]


def test_the_verifier_agrees_with_the_official_tally(published, tmp_path):
    _vote, box, results, receipts = published
    done = _verify(tmp_path, box, "--receipt", receipts[0], results=results)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "consistent" in done.stdout


def test_the_verifier_flags_an_edited_choice(published, tmp_path):
    vote, box, results, _receipts = published
    ballot = next(b for b in box["ballots"] if b["choices"][vote.question_id] == "o2")
    ballot["choices"][vote.question_id] = "o1"
    done = _verify(tmp_path, box, results=results)
    assert done.returncode == 1
    assert "FAIL ballots digest" in done.stdout


def test_the_verifier_flags_a_consistently_rewritten_box_against_the_published_digest(
    published, tmp_path
):
    """An editor who recomputes every digest in the file is still caught by the digest the city
    published with its results (and by the official counts)."""
    sys.path.insert(0, str(VERIFIER.parent))
    import verify_ballot_box as tool

    vote, box, results, _receipts = published
    box["ballots"].pop()
    box["receipts"].pop()
    box["tally"] = {"ballots": 4, "questions": {vote.question_id: {"o1": 0, "o2": 0}}}
    for b in box["ballots"]:
        box["tally"]["questions"][vote.question_id][b["choices"][vote.question_id]] += 1
    box["digests"]["ballots_sha256"] = tool.lines_digest(
        [tool.canonical(b) for b in sorted(box["ballots"], key=lambda b: b["id"])]
    )
    box["digests"]["receipts_sha256"] = tool.lines_digest(sorted(box["receipts"]))
    box["digests"]["box_sha256"] = "0" * 64
    done = _verify(tmp_path, box, "--digest", results["results_digest"], results=results)
    assert done.returncode == 1
    assert "FAIL box digest" in done.stdout


def test_the_verifier_flags_a_dropped_receipt_and_an_unknown_receipt(published, tmp_path):
    _vote, box, _results, _receipts = published
    done = _verify(tmp_path, box, "--receipt", "AAAA-BBBB-CCCC-DDDD-EEEE")
    assert done.returncode == 1
    box["receipts"].pop()
    done = _verify(tmp_path, box)
    assert done.returncode == 1
    assert "FAIL receipts digest" in done.stdout
    box["receipts"].pop()
    done = _verify(tmp_path, box)
    assert "FAIL receipts cover the counted ballots" in done.stdout


def test_a_replaced_receipt_is_still_listed_so_it_proves_nothing(published, tmp_path):
    _vote, box, _results, receipts = published
    done = _verify(tmp_path, box, "--receipt", receipts[1])  # voter 1 voted again
    assert done.returncode == 0, done.stdout


def test_the_verifier_rejects_unreadable_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(VERIFIER), str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2


def test_the_ballot_box_is_not_available_while_voting(open_vote, api, staff_api):
    vote = open_vote(voters=1)
    response = api.get(f"/api/v1/referendums/{vote.campaign.pk}/ballot-box/")
    assert response.status_code == 409
    assert response.json()["code"] == "ballot_box_not_ready"
    response = staff_api("administrator").get(f"/api/v1/referendums/{vote.campaign.pk}/ballot-box/")
    assert response.status_code == 409


def test_the_verifier_uses_only_the_standard_library():
    import ast

    tree = ast.parse(VERIFIER.read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}

"""The close of an online vote and its count.

`tally_close` runs once, inside the transaction of the voting -> closed update:
1. destroy the per-campaign sealing key and null every sealed reference (one UPDATE each);
2. re-key and shuffle the ballots (new random ids, rows rewritten in random order), so neither an
   old backup's seal nor the physical order of rows can point at a ballot any more;
3. drop the district of ballots whose district has fewer ballots than the small-cell threshold;
4. count (one GROUP BY), then hash the ballot box and store the result and its digest.
`tally_compute` refuses while any seal remains (as Helios refuses to tally pending ballots).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from civic.errors import Conflict
from referendums.models import (
    Ballot,
    Campaign,
    MajorityRule,
    Option,
    Participation,
    ReceiptHash,
    SealingKey,
    TurnoutSlot,
)

BOX_FORMAT = "civic-ballot-box/1"
OTHER_DISTRICTS = "_other"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def participations_by_district(campaign: Campaign) -> dict[str, int]:
    """From the turnout slots: a few dozen rows, whatever the number of voters."""
    return {
        row["district_code"]: row["n"] or 0
        for row in TurnoutSlot.objects.filter(campaign=campaign)
        .values("district_code")
        .annotate(n=Sum("participations"))
        .order_by()
    }


def seals_destroy(*, campaign: Campaign) -> int:
    SealingKey.objects.filter(campaign=campaign).delete()
    return Participation.objects.filter(campaign=campaign, sealed_ref__isnull=False).update(
        sealed_ref=None
    )


def ballots_reshuffle(*, campaign: Campaign) -> None:
    table = Ballot._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH old AS (DELETE FROM {table} WHERE campaign_id = %s "  # noqa: S608
                "RETURNING campaign_id, choices, district_code) "
                f"INSERT INTO {table} (id, campaign_id, choices, district_code) "
                "SELECT gen_random_uuid(), campaign_id, choices, district_code FROM old "
                "ORDER BY random()",
                [campaign.pk],
            )
        else:
            cursor.execute("DROP TABLE IF EXISTS temp.referendum_reshuffle")
            cursor.execute(
                "CREATE TEMP TABLE referendum_reshuffle AS "  # noqa: S608
                f"SELECT campaign_id, choices, district_code FROM {table} WHERE campaign_id = %s",
                [campaign.pk],
            )
            cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign.pk])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {table} (id, campaign_id, choices, district_code) "  # noqa: S608
                "SELECT lower(hex(randomblob(16))), campaign_id, choices, district_code "
                "FROM temp.referendum_reshuffle ORDER BY random()"
            )
            cursor.execute("DROP TABLE temp.referendum_reshuffle")


def districts_coarsen(*, campaign: Campaign) -> None:
    small = [
        row["district_code"]
        for row in Ballot.objects.filter(campaign=campaign, district_code__isnull=False)
        .values("district_code")
        .annotate(n=Count("*"))
        .order_by()
        if row["n"] < settings.SMALL_CELL_THRESHOLD
    ]
    if small:
        Ballot.objects.filter(campaign=campaign, district_code__in=small).update(district_code=None)


def suppress_cells(table: dict[str, dict[str, int]], *, threshold: int) -> set[tuple[str, str]]:
    """Cells below the threshold, plus enough others that no hidden cell can be recomputed from a
    row total (district ballots) or a column total (city-wide count): a row or a column never has
    exactly one hidden cell."""
    hidden = {(r, c) for r, row in table.items() for c, n in row.items() if n < threshold}
    columns = sorted({c for row in table.values() for c in row})
    changed = True
    while changed:
        changed = False
        for r, row in table.items():
            in_row = [c for c in row if (r, c) in hidden]
            rest = sorted((n, c) for c, n in row.items() if (r, c) not in hidden)
            if len(in_row) == 1 and rest:
                hidden.add((r, rest[0][1]))
                changed = True
        for c in columns:
            in_col = [r for r in table if (r, c) in hidden]
            rest_rows = sorted(
                (table[r][c], r) for r in table if c in table[r] and (r, c) not in hidden
            )
            if len(in_col) == 1 and rest_rows:
                hidden.add((rest_rows[0][1], c))
                changed = True
    return hidden


def _questions(campaign: Campaign) -> list[dict[str, Any]]:
    questions: dict[int, dict[str, Any]] = {}
    for option in Option.objects.filter(question__campaign=campaign).select_related("question"):
        q = questions.setdefault(
            option.question_id,
            {
                "id": option.question_id,
                "position": option.question.position,
                "text_fr": option.question.text_fr,
                "text_en": option.question.text_en,
                "options": [],
            },
        )
        q["options"].append(
            {"key": option.key, "label_fr": option.label_fr, "label_en": option.label_en}
        )
    return sorted(questions.values(), key=lambda q: q["position"])


def box_header(campaign: Campaign, questions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "title_fr": campaign.title_fr,
        "questions": [
            {"id": q["id"], "options": [o["key"] for o in q["options"]]} for q in questions
        ],
    }


def tally_compute(*, campaign: Campaign) -> dict[str, Any]:
    """Count the ballots of a closed vote: a fixed number of queries, one pass over ballots."""
    if (
        SealingKey.objects.filter(campaign=campaign).exists()
        or Participation.objects.filter(campaign=campaign, sealed_ref__isnull=False).exists()
    ):
        raise Conflict(
            _("Des références scellées subsistent : le dépouillement est refusé."),
            code="seals_remaining",
        )
    threshold = settings.SMALL_CELL_THRESHOLD
    questions = _questions(campaign)
    per_question: dict[str, dict[str, int]] = {
        str(q["id"]): {o["key"]: 0 for o in q["options"]} for q in questions
    }
    per_district: dict[str, dict[str, dict[str, int]]] = {}
    district_ballots: dict[str, int] = {}
    total = 0
    # The one pass: identical ballots of one district are grouped by the database.
    for row in (
        Ballot.objects.filter(campaign=campaign)
        .values("district_code", "choices")
        .annotate(n=Count("*"))
        .order_by()
    ):
        n = row["n"]
        district = row["district_code"] or OTHER_DISTRICTS
        total += n
        district_ballots[district] = district_ballots.get(district, 0) + n
        by_question = per_district.setdefault(district, {})
        for question_id, key in json.loads(row["choices"]).items():
            per_question[question_id][key] += n
            cell = by_question.setdefault(question_id, dict.fromkeys(per_question[question_id], 0))
            cell[key] += n

    participated_by_district = participations_by_district(campaign)
    participations = sum(participated_by_district.values())
    if total != participations:
        raise Conflict(
            _("Le nombre de bulletins ne correspond pas au nombre de participations."),
            code="ballots_participations_mismatch",
        )

    electorate = campaign.electorate_count or 0
    question_results = []
    for q in questions:
        counts = per_question[str(q["id"])]
        question_results.append(
            {
                "id": q["id"],
                "text_fr": q["text_fr"],
                "text_en": q["text_en"],
                "options": [{**o, "count": counts[o["key"]]} for o in q["options"]],
                "verdict": _verdict(campaign, counts, total, electorate),
            }
        )

    # Per district: each question is a districts x options table, suppressed as a whole.
    districts_out: list[dict[str, Any]] = []
    codes = sorted(set(campaign.electorate_districts) | set(per_district))
    turnout_hidden = suppress_cells(
        {c: {"p": participated_by_district.get(c, 0)} for c in campaign.electorate_districts},
        threshold=threshold,
    )
    hidden_by_question = {
        str(q["id"]): suppress_cells(
            {
                d: per_district.get(d, {}).get(
                    str(q["id"]), dict.fromkeys(per_question[str(q["id"])], 0)
                )
                for d in codes
                if d in per_district
            },
            threshold=threshold,
        )
        for q in questions
    }
    for code in codes:
        entry: dict[str, Any] = {
            "code": code,
            "electorate": campaign.electorate_districts.get(code),
            "participations": None
            if (code, "p") in turnout_hidden or code not in campaign.electorate_districts
            else participated_by_district.get(code, 0),
            "questions": [],
        }
        for q in questions:
            qid = str(q["id"])
            row = per_district.get(code, {}).get(qid, dict.fromkeys(per_question[qid], 0))
            entry["questions"].append(
                {
                    "id": q["id"],
                    "options": [
                        {
                            "key": key,
                            "count": None if (code, key) in hidden_by_question[qid] else n,
                            "suppressed": (code, key) in hidden_by_question[qid],
                        }
                        for key, n in row.items()
                    ],
                }
            )
        if code not in per_district:
            for qe in entry["questions"]:
                for option in qe["options"]:
                    option["count"], option["suppressed"] = None, True
        districts_out.append(entry)

    return {
        "method": "online",
        "electorate": electorate,
        "participations": participations,
        "ballots": total,
        "turnout_percent": round(100 * participations / electorate, 2) if electorate else None,
        "quorum_percent": campaign.quorum_percent,
        "majority_rule": campaign.majority_rule,
        "questions": question_results,
        "districts": districts_out,
        "small_cell_threshold": threshold,
        "box_tally": {"ballots": total, "questions": per_question},
        "header": box_header(campaign, questions),
    }


def _verdict(
    campaign: Campaign, counts: dict[str, int], ballots: int, electorate: int
) -> dict[str, Any] | None:
    """Only for yes/no questions under a majority rule; an advisory vote has no verdict."""
    if campaign.majority_rule == MajorityRule.NONE or set(counts) != {"yes", "no"}:
        return None
    quorum_met = True
    if campaign.quorum_percent is not None:
        quorum_met = ballots * 100 >= campaign.quorum_percent * electorate
    if campaign.majority_rule == MajorityRule.ABSOLUTE:
        majority = counts["yes"] * 2 > ballots
    else:
        majority = counts["yes"] > counts["no"]
    reasons = []
    if not quorum_met:
        reasons.append("quorum_not_reached")
    if not majority:
        reasons.append("no_majority")
    return {"adopted": quorum_met and majority, "reasons": reasons}


# --- The published ballot box ----------------------------------------------------------------


def _ballot_lines(campaign: Campaign) -> Iterator[str]:
    for ballot_id, choices in (
        Ballot.objects.filter(campaign=campaign)
        .order_by("id")
        .values_list("id", "choices")
        .iterator(chunk_size=5000)
    ):
        yield canonical_json({"id": str(ballot_id), "choices": json.loads(choices)})


def _receipt_lines(campaign: Campaign) -> Iterator[str]:
    yield from (
        ReceiptHash.objects.filter(campaign=campaign)
        .order_by("digest")
        .values_list("digest", flat=True)
        .iterator(chunk_size=5000)
    )


def _lines_digest(lines: Iterator[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def box_digests(
    campaign: Campaign, header: dict[str, Any], tally: dict[str, Any]
) -> dict[str, str]:
    ballots = _lines_digest(_ballot_lines(campaign))
    receipts = _lines_digest(_receipt_lines(campaign))
    box = hashlib.sha256(
        canonical_json(
            {
                "format": BOX_FORMAT,
                "campaign": header,
                "tally": tally,
                "ballots_sha256": ballots,
                "receipts_sha256": receipts,
            }
        ).encode()
    ).hexdigest()
    return {"ballots_sha256": ballots, "receipts_sha256": receipts, "box_sha256": box}


def tally_close(*, campaign: Campaign) -> dict[str, Any]:
    # Every participation carries a seal from the transaction that created it, so the number of
    # seals destroyed is the exact number of participations: the slots must agree with it.
    nulled = seals_destroy(campaign=campaign)
    if nulled != sum(participations_by_district(campaign).values()):
        raise Conflict(
            _("Le compteur de participation ne correspond pas aux participations."),
            code="turnout_drift",
        )
    ballots_reshuffle(campaign=campaign)
    districts_coarsen(campaign=campaign)
    results = tally_compute(campaign=campaign)
    digests = box_digests(campaign, results["header"], results["box_tally"])
    results["ballot_box"] = digests
    campaign.results = results
    campaign.results_digest = digests["box_sha256"]
    campaign.save(update_fields=["results", "results_digest"])
    return results


def tables_vacuum() -> None:
    """Mark the dead row versions left by re-votes and the close as reusable (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    from referendums.models import Participation as P

    tables = [Ballot._meta.db_table, ReceiptHash._meta.db_table, P._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM {table}")


def ballot_box_stream(campaign: Campaign) -> Iterator[str]:
    """The published box as JSON text, streamed (a million ballots never sit in memory)."""
    results = campaign.results or {}
    head = {
        "format": BOX_FORMAT,
        "campaign": results.get("header"),
        "tally": results.get("box_tally"),
        "digests": results.get("ballot_box"),
    }
    yield canonical_json(head)[:-1]
    yield ',"receipts":['
    for i, line in enumerate(_receipt_lines(campaign)):
        yield ("," if i else "") + json.dumps(line)
    yield '],"ballots":['
    for i, line in enumerate(_ballot_lines(campaign)):
        yield ("," if i else "") + line
    yield "]}"

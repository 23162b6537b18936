"""The close of an online vote and its count.

`tally_close` runs once, inside the transaction of the voting -> closed update:
1. destroy the per-campaign sealing key and null every sealed reference (one UPDATE each);
2. re-key and shuffle the ballots (new random ids, rows rewritten in random order), so neither an
   old backup's seal nor the physical order of rows can point at a ballot any more;
3. drop the district of ballots whose district has fewer ballots than the small-cell threshold;
4. count (one GROUP BY), then hash the ballot box and store the result and its digest.
Between 1 and 2, the live receipts are checked against the participations and the receipts'
superseded marks and check windows cleared (`receipts_settle`).
`tally_compute` refuses while any seal remains (as Helios refuses to tally pending ballots).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from civic.audit import audit_record
from civic.audit_heads import BALLOT_BOX_VERB
from civic.errors import Conflict
from referendums import store
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
from referendums.services.ballot_box import box_digests

OTHER_DISTRICTS = "_other"


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


def receipts_settle(*, campaign: Campaign, participations: int) -> None:
    """Every participation has exactly one live (not superseded) receipt: check it, then clear
    what only served the vote (the superseded marks and the check windows), so that after the
    close not even the database tells which receipts a re-vote replaced."""
    live = ReceiptHash.objects.filter(campaign=campaign, superseded=False).count()
    if live != participations:
        raise Conflict(
            _("Le nombre de récépissés ne correspond pas aux participations."),
            code="receipts_participations_mismatch",
        )
    ReceiptHash.objects.filter(campaign=campaign).update(
        superseded=False, checkable_until=None, checks_left=0
    )


def ballots_reshuffle(*, campaign: Campaign) -> None:
    store.ballots_reshuffle(campaign.pk)


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


Cell = tuple[str, str]


def _hide_second_in_rows(table: dict[str, dict[str, int]], hidden: set[Cell]) -> bool:
    """A row with exactly one hidden cell hides its smallest visible one too. True if it did."""
    changed = False
    for r, row in table.items():
        in_row = [c for c in row if (r, c) in hidden]
        rest = sorted((n, c) for c, n in row.items() if (r, c) not in hidden)
        if len(in_row) == 1 and rest:
            hidden.add((r, rest[0][1]))
            changed = True
    return changed


def _hide_second_in_columns(table: dict[str, dict[str, int]], hidden: set[Cell]) -> bool:
    """A column with exactly one hidden cell hides its smallest visible one too."""
    changed = False
    for c in sorted({c for row in table.values() for c in row}):
        in_col = [r for r in table if (r, c) in hidden]
        rest_rows = sorted(
            (table[r][c], r) for r in table if c in table[r] and (r, c) not in hidden
        )
        if len(in_col) == 1 and rest_rows:
            hidden.add((rest_rows[0][1], c))
            changed = True
    return changed


def suppress_cells(table: dict[str, dict[str, int]], *, threshold: int) -> set[Cell]:
    """Cells below the threshold, plus enough others that no hidden cell can be recomputed from a
    row total (district ballots) or a column total (city-wide count): a row or a column never has
    exactly one hidden cell."""
    hidden = {(r, c) for r, row in table.items() for c, n in row.items() if n < threshold}
    while _hide_second_in_rows(table, hidden) | _hide_second_in_columns(table, hidden):
        pass
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
            {
                "key": option.key,
                "meaning": option.meaning,
                "label_fr": option.label_fr,
                "label_en": option.label_en,
            }
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


def _refuse_while_sealed(campaign: Campaign) -> None:
    if (
        SealingKey.objects.filter(campaign=campaign).exists()
        or Participation.objects.filter(campaign=campaign, sealed_ref__isnull=False).exists()
    ):
        raise Conflict(
            _("Des références scellées subsistent : le dépouillement est refusé."),
            code="seals_remaining",
        )


@dataclass
class _Counts:
    """The ballot box counted: city-wide and per district, per question and option."""

    per_question: dict[str, dict[str, int]]
    per_district: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    total: int = 0

    def district_row(self, code: str, question_id: str) -> dict[str, int]:
        return self.per_district.get(code, {}).get(
            question_id, dict.fromkeys(self.per_question[question_id], 0)
        )


def _ballots_count(campaign: Campaign, questions: list[dict[str, Any]]) -> _Counts:
    """The one pass: identical ballots of one district are grouped by the database."""
    counts = _Counts({str(q["id"]): {o["key"]: 0 for o in q["options"]} for q in questions})
    for row in (
        Ballot.objects.filter(campaign=campaign)
        .values("district_code", "choices")
        .annotate(n=Count("*"))
        .order_by()
    ):
        n = row["n"]
        counts.total += n
        by_question = counts.per_district.setdefault(row["district_code"] or OTHER_DISTRICTS, {})
        for question_id, key in json.loads(row["choices"]).items():
            counts.per_question[question_id][key] += n
            cell = by_question.setdefault(
                question_id, dict.fromkeys(counts.per_question[question_id], 0)
            )
            cell[key] += n
    return counts


def _refuse_unless_every_ballot_has_its_participation(total: int, participations: int) -> None:
    if total != participations:
        raise Conflict(
            _("Le nombre de bulletins ne correspond pas au nombre de participations."),
            code="ballots_participations_mismatch",
        )


def _question_results(
    campaign: Campaign, questions: list[dict[str, Any]], counts: _Counts
) -> list[dict[str, Any]]:
    electorate = campaign.electorate_count or 0
    results = []
    for q in questions:
        per_option = counts.per_question[str(q["id"])]
        results.append(
            {
                "id": q["id"],
                "text_fr": q["text_fr"],
                "text_en": q["text_en"],
                "options": [{**o, "count": per_option[o["key"]]} for o in q["options"]],
                "verdict": _verdict(
                    campaign, _by_meaning(q["options"], per_option), counts.total, electorate
                ),
            }
        )
    return results


def _district_results(
    campaign: Campaign,
    questions: list[dict[str, Any]],
    counts: _Counts,
    participated: dict[str, int],
) -> list[dict[str, Any]]:
    """Per district: turnout and, for each question, a districts x options table suppressed as a
    whole (small cells, and enough others that none can be recomputed)."""
    threshold = settings.SMALL_CELL_THRESHOLD
    electorate = campaign.electorate_districts
    codes = sorted(set(electorate) | set(counts.per_district))
    turnout_hidden = suppress_cells(
        {c: {"p": participated.get(c, 0)} for c in electorate}, threshold=threshold
    )
    hidden_by_question = {
        str(q["id"]): suppress_cells(
            {d: counts.district_row(d, str(q["id"])) for d in codes if d in counts.per_district},
            threshold=threshold,
        )
        for q in questions
    }
    districts = []
    for code in codes:
        counted = code in counts.per_district  # no ballot there: every cell hidden
        entry_questions = []
        for q in questions:
            qid = str(q["id"])
            hidden = hidden_by_question[qid]
            entry_questions.append(
                {
                    "id": q["id"],
                    "options": [
                        {
                            "key": key,
                            "count": n if counted and (code, key) not in hidden else None,
                            "suppressed": not counted or (code, key) in hidden,
                        }
                        for key, n in counts.district_row(code, qid).items()
                    ],
                }
            )
        districts.append(
            {
                "code": code,
                "electorate": electorate.get(code),
                "participations": None
                if (code, "p") in turnout_hidden or code not in electorate
                else participated.get(code, 0),
                "questions": entry_questions,
            }
        )
    return districts


def tally_compute(*, campaign: Campaign) -> dict[str, Any]:
    """Count the ballots of a closed vote: a fixed number of queries, one pass over ballots."""
    _refuse_while_sealed(campaign)
    questions = _questions(campaign)
    counts = _ballots_count(campaign, questions)
    participated = participations_by_district(campaign)
    participations = sum(participated.values())
    _refuse_unless_every_ballot_has_its_participation(counts.total, participations)
    electorate = campaign.electorate_count or 0
    return {
        "method": "online",
        "electorate": electorate,
        "participations": participations,
        "ballots": counts.total,
        "turnout_percent": round(100 * participations / electorate, 2) if electorate else None,
        "quorum_percent": campaign.quorum_percent,
        "majority_rule": campaign.majority_rule,
        "questions": _question_results(campaign, questions, counts),
        "districts": _district_results(campaign, questions, counts, participated),
        "small_cell_threshold": settings.SMALL_CELL_THRESHOLD,
        "box_tally": {"ballots": counts.total, "questions": counts.per_question},
        "header": box_header(campaign, questions),
    }


def _by_meaning(options: list[dict[str, Any]], per_option: dict[str, int]) -> dict[str, int]:
    """The counts by what the options mean (`yes`, `no`): keys are neutral `o1`, `o2`."""
    counts: dict[str, int] = {}
    for option in options:
        meaning = option.get("meaning") or f"key:{option['key']}"
        counts[meaning] = counts.get(meaning, 0) + per_option[option["key"]]
    return counts


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


def tally_close(*, campaign: Campaign) -> dict[str, Any]:
    # Every participation carries a seal from the transaction that created it, so the number of
    # seals destroyed is the exact number of participations: the slots must agree with it.
    nulled = seals_destroy(campaign=campaign)
    if nulled != sum(participations_by_district(campaign).values()):
        raise Conflict(
            _("Le compteur de participation ne correspond pas aux participations."),
            code="turnout_drift",
        )
    receipts_settle(campaign=campaign, participations=nulled)
    ballots_reshuffle(campaign=campaign)
    districts_coarsen(campaign=campaign)
    results = tally_compute(campaign=campaign)
    digests = box_digests(campaign, results["header"], results["box_tally"])
    results["ballot_box"] = digests
    campaign.results = results
    campaign.results_digest = digests["box_sha256"]
    campaign.save(update_fields=["results", "results_digest"])
    # The box enters the chain: a later rewrite of ballots, tally and digests no longer matches
    # this entry, nor the signed head published from it (civic.audit_heads).
    audit_record(
        actor=None,
        verb=BALLOT_BOX_VERB,
        target=campaign,
        after={
            "campaign": campaign.pk,
            **digests,
            "ballots": results["ballots"],
            "participations": results["participations"],
            "electorate": results["electorate"],
        },
    )
    return results

"""What tools/loadtest.py checks once the load is over: every accepted action stored exactly once,
every refusal a 4xx, no server error, the vote closed on the worker. The functions read the
database through the models: call them once Django is set up (tools/loadtest.py does)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# One answer: (kind, key, status, ms).
Result = tuple[str, str, int, float]


@dataclass
class Before:
    """What the demo content holds already: the load's effect is compared to it."""

    pairs: set[str]
    voters: set[str]


def read_before(campaign_id: int) -> Before:
    from petitions.models import Signature  # needs django_in_process() first
    from referendums.models import Participation

    pairs = {
        f"{i}:{e}" for i, e in Signature.objects.values_list("initiative_id", "register_entry_id")
    }
    voters = {
        str(e)
        for e in Participation.objects.filter(campaign_id=campaign_id).values_list(
            "register_entry_id", flat=True
        )
    }
    return Before(pairs, voters)


@dataclass
class Tally:
    """The answers, sorted out."""

    statuses: Counter[int]
    by_kind: dict[str, Counter[int]]
    accepted: list[tuple[str, str]]
    latencies: list[float]
    failures: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, results: list[Result]) -> Tally:
        return cls(
            statuses=Counter(status for _k, _key, status, _ms in results),
            by_kind={
                k: Counter(s for kk, _key, s, _ms in results if kk == k)
                for k in ("sign", "vote", "bad_sign", "bad_vote")
            },
            accepted=[(k, key) for k, key, s, _ms in results if 200 <= s < 300],
            latencies=[ms for _k, _key, s, ms in results if s < 500],
        )

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


def check_answers(tally: Tally) -> None:
    """0 server errors; every request that must be refused refused with a 4xx."""
    if tally.server_errors:
        tally.failures.append(f"{tally.server_errors} server errors or dropped connections")
    bad = [s for k in ("bad_sign", "bad_vote") for s in tally.by_kind[k]]
    if any(s < 400 or s >= 500 for s in bad):
        tally.failures.append("a request that must be refused was not refused with a 4xx")
    if any(200 <= s < 300 for s in bad):
        tally.failures.append("an invalid request was accepted")


def check_signatures(tally: Tally, before: Before) -> Counter[str]:
    """Exactly one row per accepted (initiative, entry), none other; published counts catch up
    within a few ticks and equal the valid rows. Returns the rows per pair."""
    from petitions.models import TOTAL_TRACK, InitiativeCount, Signature

    signed = {key for k, key in tally.accepted if k == "sign"}
    rows = Counter(
        f"{i}:{e}" for i, e in Signature.objects.values_list("initiative_id", "register_entry_id")
    )
    if any(n != 1 for n in rows.values()):
        tally.failures.append("a signature is stored twice")
    if not signed <= set(rows):
        tally.failures.append(f"{len(signed - set(rows))} accepted signatures are missing")
    if not set(rows) - before.pairs <= signed:
        tally.failures.append("a signature is stored that no accepted request made")
    deadline = time.monotonic() + 60
    while True:
        published = dict(
            InitiativeCount.objects.filter(track=TOTAL_TRACK).values_list("initiative_id", "count")
        )
        actual = Counter(Signature.objects.values_list("initiative_id", flat=True))
        caught_up = all(published.get(i, 0) == n for i, n in actual.items())
        if caught_up or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if not caught_up:
        tally.failures.append(f"published counts {published} differ from the rows {dict(actual)}")
    return rows


def check_ballots(tally: Tally, before: Before, campaign: Any) -> tuple[int, int]:
    """Closed by the worker; counted ballots == participations == distinct accepted voters.
    Returns (participations, ballots)."""
    from referendums.models import Ballot, Participation

    voters = before.voters | {key for k, key in tally.accepted if k == "vote"}
    participations = Participation.objects.filter(campaign_id=campaign.pk).count()
    ballots = Ballot.objects.filter(campaign_id=campaign.pk).count()
    counted = (campaign.results or {}).get("participations")
    if campaign.status != "closed":
        tally.failures.append(f"the vote did not close on the worker (status {campaign.status})")
    if not (participations == ballots == len(voters)):
        tally.failures.append(
            f"participations {participations}, ballots {ballots}, voters {len(voters)}"
        )
    if counted is not None and counted != participations:
        tally.failures.append(f"counted participations {counted} != {participations}")
    return participations, ballots

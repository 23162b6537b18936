"""The verifiable stratified draw: pure functions, no database.

Two steps, so that the draw is a pure, replayable function of published data:

1. Before the seed exists (`lottery_compute`): the Sortition Foundation's maximin algorithm
   (`sortition-algorithms`, HiGHS solver: no Gurobi needed) finds a distribution over panels that
   meet every quota and maximises the smallest selection probability. The distribution is rounded
   into a *transparent lottery* of `LOTTERY_TICKETS` equally likely tickets (the library's own
   pipage rounding, Flanigan et al. 2021). The library's randomness is seeded from the pool digest,
   so one machine always computes the same lottery. The lottery goes into the commitment.

2. After the public random value is known (`draw_select`): the value is the randomness of the
   drand round the commitment named (`beacon`), and the ticket is
   `SHA-256(commitment digest, seed) mod LOTTERY_TICKETS`; the reserve order is the remaining
   volunteers sorted by `SHA-256(commitment digest, seed, pseudonym)`. No solver, no floating point,
   no process state: anyone replays it from the published bundle and gets the same panel.

Why the lottery is committed rather than recomputed at draw time: an LP has many optimal vertices
and the library iterates Python sets whose order depends on per-process hash randomisation, so a
recomputation elsewhere may give a different (equally fair) distribution. Fixing it before the seed
is known makes the replay exact and leaves staff no choice to make after seeing the seed.

The package, by job: `canonical` (data, canonical forms, digests), `lottery` (step one), `draw`
(step two and the commitment payload), `beacon` (the public round: naming, fetching, checking),
`fairness` (each volunteer's chance against the promise, simulated draws), `replay` (rerun and
report, shared by the management command and the standalone tool). Importing it loads nothing but the standard library.
"""

from assembly.sortition.canonical import (
    ALGORITHM,
    BUNDLE_FORMAT,
    LIBRARY,
    LOTTERY_TICKETS,
    Candidate,
    QuotaSpec,
    SortitionError,
    canonical_json,
    canonical_pool,
    canonical_quotas,
    pool_digest,
    quota_violations,
    quotas_digest,
    sha256_hex,
)
from assembly.sortition.draw import (
    DrawOutcome,
    commitment_digest,
    commitment_payload,
    draw_select,
    ticket_for_seed,
)
from assembly.sortition.fairness import SIMULATED_DRAWS, FairnessReport, fairness_check
from assembly.sortition.lottery import (
    Lottery,
    library_version,
    lottery_check,
    lottery_compute,
    lottery_probabilities,
)
from assembly.sortition.replay import (
    MATCH_LINE,
    MISMATCH_LINE,
    RerunReport,
    SeedNotPublished,
    bundle_rerun,
    report_lines,
    rerun,
)

__all__ = [
    "ALGORITHM",
    "BUNDLE_FORMAT",
    "LIBRARY",
    "LOTTERY_TICKETS",
    "MATCH_LINE",
    "MISMATCH_LINE",
    "SIMULATED_DRAWS",
    "Candidate",
    "DrawOutcome",
    "FairnessReport",
    "Lottery",
    "QuotaSpec",
    "RerunReport",
    "SeedNotPublished",
    "SortitionError",
    "bundle_rerun",
    "canonical_json",
    "canonical_pool",
    "canonical_quotas",
    "commitment_digest",
    "commitment_payload",
    "draw_select",
    "fairness_check",
    "library_version",
    "lottery_check",
    "lottery_compute",
    "lottery_probabilities",
    "pool_digest",
    "quota_violations",
    "quotas_digest",
    "report_lines",
    "rerun",
    "sha256_hex",
    "ticket_for_seed",
]

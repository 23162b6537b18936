"""CPU of a W12 resident with and without a piece, in blocks alternating in one process (informative).

A resident is `pages_cpu.py`'s round trip (the page, the form posted with its CSRF token, the
redirect followed), each on a fresh resident. Blocks of `--block` residents alternate the piece
off and on (`--blocks` pairs, the order swapped every other pair); the figure is the median of the
blocks' CPU per resident, per request and in all. Every initiative's page is warmed first (its
public part and kept page rendered), so no block pays for a first render. Pieces:

- `sessions`: off, the resident's session in the database only (the cache entry a login writes
  deleted), so the first request reads PostgreSQL and fills the cache;
- `csrf`: off, Django's own `get_random_string` for the CSRF secret and masks
  (civic/perf/randomness.py on);
- `none`: nothing changes (an A/A control: the noise of the machine);
- `every`: the pieces above together.

Run: .venv/bin/python bench/pages_sign_pieces.py --piece every [--block 25] [--blocks 10]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from harness import main_guard, report
from pages_common import seed_city
from pages_cpu import Caller, sign_round_trip
from petitions_common import analyze

PIECES = ("sessions", "csrf", "none", "every")


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--piece", choices=PIECES, required=True)
    parser.add_argument("--block", type=int, default=25)
    parser.add_argument("--blocks", type=int, default=10)
    args = parser.parse_args()
    initiatives = 20
    needed = 2 * args.block * args.blocks + 2 * initiatives + 20
    city = seed_city(residents=needed + 100, initiatives=initiatives)
    analyze()

    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache import caches
    from django.middleware import csrf
    from django.utils.crypto import get_random_string

    from civic.perf import randomness
    from config.wsgi import application as app

    settings.PAGE_MEMO_SECONDS = 0
    cache = caches[settings.SESSION_CACHE_ALIAS]
    fresh = iter(city.sessions)

    def piece(on: bool, session: str) -> None:
        if args.piece in {"sessions", "every"} and not on:
            cache.delete(KEY_PREFIX + session)
        if args.piece in {"csrf", "every"}:
            csrf.get_random_string = randomness.random_string if on else get_random_string  # type: ignore[attr-defined]

    def resident(i: int, on: bool) -> tuple[float, float, float]:
        session = next(fresh)
        piece(on, session)
        spent: list[float] = []
        timed = _timed(Caller(app, {"sessionid": session}), spent)
        assert sign_round_trip(timed, city.initiatives[i % initiatives])  # type: ignore[arg-type]
        return spent[0], spent[1], spent[2]

    for i in range(2 * initiatives + 10):  # warm: every initiative's public part and kept page
        resident(i, i % 2 == 0)
    blocks: dict[bool, list[tuple[float, ...]]] = {False: [], True: []}
    i = 0
    for pair in range(args.blocks):
        for on in (False, True) if pair % 2 == 0 else (True, False):
            rows = []
            for _ in range(args.block):
                rows.append(resident(i, on))
                i += 1
            per = tuple(sum(r[k] for r in rows) / len(rows) * 1000 for k in range(3))
            blocks[on].append((*per, sum(per)))
    piece(True, "")
    median = {on: [statistics.median(b[k] for b in blocks[on]) for k in range(4)] for on in blocks}
    names = ("page", "post", "redirect", "resident")
    report(
        "W12-cpu",
        f"CPU per resident, piece '{args.piece}' on ÷ off (in-process, median of blocks)",
        median[True][3] / median[False][3],
        "informative: W12 is measured over HTTP",
        True,
        **{f"off_{n}_ms": round(v, 3) for n, v in zip(names, median[False], strict=True)},
        **{f"on_{n}_ms": round(v, 3) for n, v in zip(names, median[True], strict=True)},
        off_blocks=[round(b[3], 2) for b in blocks[False]],
        on_blocks=[round(b[3], 2) for b in blocks[True]],
    )


def _timed(caller: Caller, spent: list[float]) -> Callable[..., tuple[str, dict[str, str], bytes]]:
    """The caller, each request's CPU time appended to `spent`."""

    def call(*args: object, **kwargs: object) -> tuple[str, dict[str, str], bytes]:
        began = time.process_time()
        answer = caller(*args, **kwargs)  # type: ignore[arg-type]
        spent.append(time.process_time() - began)
        return answer

    return call


if __name__ == "__main__":
    main()

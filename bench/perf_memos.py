"""What each per-process memo and the token lookup's hand-built rows buy, on their own benchmark:
CPU per request in one process (the whole Django stack through its WSGI handler, no HTTP), with the
piece and without it, in alternating rounds on the same database (median of the rounds).

- dashboards' memo of document validators: a conditional `GET /api/v1/stats/initiatives/{id}/`
  (all 304), cycling over the initiatives (W5, conditional);
- petitions' one-second count memo: `GET /api/v1/initiatives/{id}/count/`, plain and conditional,
  cycling over the initiatives (W5; without the memo the shared cache answers);
- the token lookup (civic/store.py + civic.perf.model_from_row) against DRF's ORM lookup with the
  register entry (`select_related`), per call (W1's request path).

Run: .venv/bin/python bench/perf_memos.py [--rounds 6] [--database civic_perf_memos]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from harness import main_guard, report
from petitions_common import fresh, make_initiatives, make_residents

DB = os.environ.get("PERF_MEMOS_BENCH_DB", "civic_perf_memos")


def cpu_per_call(call: Callable[[], Any], *, n: int) -> float:
    """Microseconds of this process's CPU per call, best of 3 after a warm-up."""
    for _ in range(min(n, 100)):
        call()
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - start) / n * 1e6)
    return best


def wsgi_cycle(
    paths: list[str], headers: dict[str, dict[str, str]] | None = None
) -> Callable[[], None]:
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    turn = [0]

    def call() -> None:
        path = paths[turn[0] % len(paths)]
        turn[0] += 1
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            **{
                "HTTP_" + k.upper().replace("-", "_"): v
                for k, v in ((headers or {}).get(path) or {}).items()
            },
        }
        b"".join(app(environ, lambda status, headers: None))

    return call


def memo_switch(on: bool) -> None:
    """Every memo on, or off (a memo whose entries live 0 s remembers nothing)."""
    import petitions.selectors as petitions_selectors
    from dashboards import selectors

    selectors._HEADS.ttl = None if on else 0
    selectors._VERSION.ttl = 1.0 if on else 0
    selectors.document_memo_forget()
    petitions_selectors._MEMO_SECONDS = 1.0 if on else 0.0  # type: ignore[attr-defined]
    petitions_selectors.count_memo_forget()


def alternate(rounds: int, measure: Callable[[bool], float]) -> tuple[float, float]:
    """Median CPU per request with the piece and without it, in alternating rounds."""
    with_, without = [], []
    for _ in range(rounds):
        with_.append(measure(True))
        without.append(measure(False))
    return statistics.median(with_), statistics.median(without)


def main() -> None:
    main_guard()
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--database", default=DB, help="dropped and re-created by each run")
    args = parser.parse_args()
    fresh(args.database)
    tokens = make_residents(200)
    initiatives = make_initiatives(200)

    from django.test import Client

    from civic.api.authentication import token_user
    from civic.models import ApiToken
    from dashboards.services import stats_tick
    from petitions import services

    services.counts_tick()
    stats_tick()
    client = Client(HTTP_HOST="127.0.0.1")
    stats = [f"/api/v1/stats/initiatives/{pk}/" for pk in initiatives]
    counts = [f"/api/v1/initiatives/{pk}/count/" for pk in initiatives]
    stats_etags = {p: {"If-None-Match": client.get(p)["ETag"]} for p in stats}
    count_etags = {p: {"If-None-Match": client.get(p)["ETag"]} for p in counts}

    def run(call: Callable[[], None]) -> Callable[[bool], float]:
        def measure(on: bool) -> float:
            memo_switch(on)
            return cpu_per_call(call, n=1000)

        return measure

    figures = {
        "dashboards document memo (stats 304)": alternate(
            args.rounds, run(wsgi_cycle(stats, stats_etags))
        ),
        "petitions count memo (count, plain)": alternate(args.rounds, run(wsgi_cycle(counts))),
        "petitions count memo (count 304)": alternate(
            args.rounds, run(wsgi_cycle(counts, count_etags))
        ),
    }
    memo_switch(True)
    turn = [0]

    def lookup(on: bool) -> float:
        def call() -> None:
            key = tokens[turn[0] % len(tokens)]
            turn[0] += 1
            if on:
                token_user(key)
            else:
                # The ORM's lookup of the same row (by the token's id, then the digest compared).
                _prefix, token_id, _secret = key.split("_", 2)
                ApiToken.objects.select_related("user__register_entry").get(pk=int(token_id))

        return cpu_per_call(call, n=2000)

    figures["token lookup rows (per call)"] = alternate(args.rounds, lookup)
    for name, (with_, without) in figures.items():
        gain = without / with_ - 1
        report(
            "perf",
            f"{name}: CPU per request without ÷ with",
            1 + gain,
            "≥ 1.05 to stay",
            gain >= 0.05,
            with_us=round(with_, 1),
            without_us=round(without, 1),
        )


if __name__ == "__main__":
    main()

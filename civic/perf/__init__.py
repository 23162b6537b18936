"""The speed machinery, in one package: each piece, what it buys, and how to turn it off.

Everything here is a shortcut past the framework on the few paths that a surge hits (a signature,
a ballot, an authenticated API call, a public count or statistics read). Each piece gives the same
answers as the plain path; the figures are from bench/README.md (W1 = signing over HTTP, W5 =
public reads, W6 = online vote), each measured against the same code without the piece.

- `prepared_cursor()` (civic/perf/prepare.py): the token lookup, the signing statement and the
  first vote run as server-side prepared statements, parsed and planned once per connection.
  PostgreSQL CPU per signature 0.90-1.01 ms -> 0.43-0.47 ms; W1 541-543/s -> 673-776/s (+24 to
  +43 %). Off: `DATABASE_PREPARED_STATEMENTS=false` (needed behind a pooler in transaction mode).
- `pipeline` (civic/perf/pipeline.py): the first vote's two statements (the voter's and the
  ballot's, never one) sent in one round trip through libpq's pipeline directly, instead of
  psycopg's `Connection.pipeline()` and two cursors: instructions of a web process per first cast
  3,074,844 -> 2,622,865 (-14.7 %, callgrind, 100 casts in-process); W6 in bench/README.md.
  Off: with `DATABASE_PREPARED_STATEMENTS=false`, and while Django logs queries or an
  `execute_wrapper` watches them (the statements then take psycopg's pipeline).
- `civic/perf/postgresql/` (the database backend, `ENGINE: civic.perf.postgresql`): skips the
  health check's `SELECT 1` when the connection served a request cleanly less than a second ago
  (a quarter of a web worker's wall time: one round trip in four), and prepares on first use.
  Off: `ENGINE: django.db.backends.postgresql` (the prepared cursor then prepares on the driver's
  default fifth use).
- `civic/perf/hotpath.py` (the short path, wired in config/wsgi.py): a bearer-token signature or
  ballot skips the middleware, resolver and negotiation it does not use. W1 short ÷ whole stack
  1.20 over HTTP (rounds 1.03-1.38); in-process CPU 0.71-0.83 of the whole stack's.
  Off: `API_HOT_PATH=false`.
- `civic/perf/pagepath.py` (the page path, wired in config/wsgi.py): an initiative's page and its
  signing form through Django's own handler without the URL resolver's walk (about 60 µs per
  request) and without whitenoise, allauth's and the second factor's middleware; CSRF, the session,
  the messages and every other middleware run as in the whole stack. In-process CPU (blocks of
  requests alternating, 2026-12-07): an initiative's 304 0.59 -> 0.44 ms (-26 %), a signed-in
  view 2.49 -> 2.27 ms (-9 %; -12 % in a second run), a W12 resident -9 to -12 %.
  Off: `PAGE_HOT_PATH=false`.
- `model_from_row()`, `model_columns()` (civic/perf/rows.py): the token lookup's user and register
  entry built from one plain prepared query instead of DRF's ORM lookup plus a second query for
  the entry: 1.4 ms -> 0.2 ms of CPU per authenticated call (W1's request path); measured again
  by bench/perf_memos.py (2026-12-05): 194 µs against 910 µs for the ORM's `select_related`
  lookup (x4.7). Off: list DRF's `TokenAuthentication` in
  `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]` instead of civic's (the short path then
  stays off for lack of its authenticator).
- the same for a signed-in page (2026-12-06 night): the session's user and register entry
  (civic/auth_backend.py, civic/store.py), an initiative's row with its district, initiator and
  rejection reason, and the signer's entry with "has signed" (petitions/store.py), each one
  prepared statement instead of the ORM's compiled lookups. With sessions in the shared cache and
  the page kept per kind of resident (civic/fragments.py): CPU per signed-in initiative page
  11.1-14.4 ms -> 2.6 ms, 4 -> 3 queries (bench/README.md, "Signed-in page kept per kind of
  resident"). Off: list Django's `ModelBackend` in AUTHENTICATION_BACKENDS (the statements of
  petitions/store.py stay); `PAGE_FRAGMENT_SECONDS=0` renders every page. Since 2026-12-07
  "has signed" comes with the initiative's row (petitions/store.py) instead of a statement of its
  own: 3 -> 2 queries per signed-in view, 9 -> 7 per W12 resident, one round trip less per view
  (its CPU alone was not separated from the two pieces below).
- the count version kept by each web process for `COUNT_VERSION_MEMO_MS` (100 ms;
  petitions/selectors/counts.py): an initiative's page, 304s included, reads no cache. In-process
  CPU (2026-12-07): an initiative's 304 0.63 -> 0.44 ms (-31 %), a signed-in view -6.5 %, a W12
  resident -7 to -18 %; a new count shows at most 100 ms later in the other processes.
  Off: `COUNT_VERSION_MEMO_MS=0`.
- `Memo` (civic/perf/memo.py): the one per-process memo class, used by
  - the petitions' memo of an open initiative's tracks (W1: a cold run's first pairs 0.054-0.060
    against 0.065-0.084 warm, +10 to +50 %);
  - the petitions' one-second count memo (W5; bench/perf_memos.py: CPU per count read 553 µs
    with it, 835 µs without, x1.51; a conditional one 361 against 655 µs, x1.81);
  - the referendums' five-second state memo (the one-statement first vote: W6 0.683 -> 0.739,
    +8 %);
  - the dashboards' memo of document validators (bench/perf_memos.py: a conditional stats GET
    answered 304 costs 285 µs of CPU with it, 1,002 µs without, x3.5: no query at all).
  Off: a memo with `ttl=0` remembers nothing.
- `civic/perf/redis_cache.py` (the cache backend for `CACHE_URL=redis://...`, config/env.py):
  Django's Redis cache, reusing one `redis.Redis` per connection pool instead of building one per
  call (its constructor copies redis-py's ~200 response callbacks). CPU of an anonymous
  initiative page answered from the page memo (one count-version read): 0.61 -> 0.48 ms
  in-process (`/healthz` 0.32-0.36 ms in the same runs, 2026-12-06, loaded machine).
  Off: name `django.core.cache.backends.redis.RedisCache` in config/env.py.
- `civic/perf/randomness.py` (installed by `CivicConfig.ready`): the CSRF middleware's secrets and
  masks from one read of `os.urandom` (each character uniform over Django's alphabet, the biased
  bytes dropped) instead of Django's 32 `SystemRandom` draws a string (137 -> 15 µs a string). A
  W12 resident (the page, the form, the redirect: three strings) 7.30 -> 6.69 ms of CPU
  in-process (-8 %, bench/README.md). Off: remove `randomness.install()` from civic/apps.py.
- `freeze_import()` (civic/perf/gcfreeze.py, called last by config/wsgi.py): what importing the
  application built (about 110,000 objects) leaves the collector's sight. W1's tail: the longest
  collector pause of a signing web process 63.7 ms -> 8.0 ms (bench/gc_pauses.py, -87 %); CPU per
  signature unchanged. Off: remove the call from config/wsgi.py.

Removed, under 5 % on its own benchmark:

- The token lookup's per-model conversion plan (each field's database converters, looked up once
  per model instead of hashing 28 fields per request): 2,600,104 -> 2,504,794 instructions per
  signature (bench/sign_instructions.py), 3.7 %. It existed for a driver that hands dates back as
  text; PostgreSQL's driver returns Python values and no converter applies to those models, so the
  row now goes to `Model.from_db` as is (which is no slower than the plan).

Call the machinery only through `from civic.perf import ...` (the short path and the backend are
named by path in config/wsgi.py and the settings).
"""

from __future__ import annotations

from civic.perf import pipeline
from civic.perf.gcfreeze import freeze_import
from civic.perf.memo import Memo
from civic.perf.prepare import prepared_cursor, prepared_statements_enabled
from civic.perf.rows import model_columns, model_from_row

__all__ = [
    "Memo",
    "freeze_import",
    "model_columns",
    "model_from_row",
    "pipeline",
    "prepared_cursor",
    "prepared_statements_enabled",
]

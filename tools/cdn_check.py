"""The toolkit as a city that outgrew one server: nginx (deploy/nginx/civic.conf.template) on a free
loopback port in front of two granian servers on two other ports, two Celery workers and the beat
(count tick of 2 s), all on one fresh database. It proves:

  (a) a second anonymous GET of an initiative's page is a cache HIT at nginx;
  (b) a signature made through server A shows through server B and through nginx within one tick
      of the fold that publishes it (plus the web process's one-second page memo), the fold itself
      within two ticks of the signature (PERFORMANCE.md's bound for the counts' lag: the beat may
      fire just before the signature, and a loaded worker may start a tick late);
  (c) after N signatures spread over both servers, the published count equals the signature rows
      and every way in (A, B, nginx) shows exactly it;
  (d) a request with a session cookie is never answered from the cache, and its answer is never
      stored (the next anonymous visitor does not get the signed-in page);
  (e) static assets come with `Cache-Control: public, max-age=31536000, immutable`.

Prints one PASS/FAIL line per check and exits non-zero if one fails. Every process it starts
(nginx, the two web servers, the workers and the beat) is stopped on the way out, whatever
happens. Needs nginx (tools/setup-nginx), PostgreSQL and Redis on 127.0.0.1.

    .venv/bin/python tools/cdn_check.py [--signatures 30]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from harness import free_port, run_manage, web_server  # noqa: E402
from pages_common import (  # noqa: E402
    Browser,
    Record,
    count_shown,
    make_sessions,
    sign_with_form,
    stop,
    worker_and_beat,
)
from petitions_common import fresh, make_initiatives, make_residents  # noqa: E402

DB_NAME = os.environ.get("CDN_CHECK_DB", "civic_cdn_check")
CACHE = os.environ.get("CDN_CHECK_CACHE_URL", "redis://127.0.0.1:6379/8")
BROKER = os.environ.get("CDN_CHECK_BROKER_URL", "redis://127.0.0.1:6379/9")
TICK = 2  # seconds between folds of the counts (CIVIC_TICK_SECONDS)
MEMO = 1.0  # a web process reuses a page it rendered for a second (PAGE_MEMO_SECONDS)
TEMPLATE = ROOT / "deploy" / "nginx" / "civic.conf.template"

MAIN_CONF = """\
worker_processes 1;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type application/octet-stream;
    types {{ text/css css; application/javascript js; image/svg+xml svg; image/png png; }}
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/civic.conf;
}}
"""


class Checks:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str) -> bool:
        print(f"{'PASS' if ok else 'FAIL'}: {name}: {detail}", flush=True)
        if not ok:
            self.failed.append(name)
        return ok


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        sys.exit("nginx is not installed: run tools/setup-nginx")
    return found


@contextmanager
def nginx(port: int, upstreams: list[str], static_root: Path) -> Iterator[str]:
    """nginx in the foreground on `port` with the project's template; yields its base URL."""
    tmp = Path(tempfile.mkdtemp(prefix="civic-nginx-"))
    tmp.chmod(0o755)
    conf = (
        TEMPLATE.read_text()
        .replace("@@UPSTREAMS@@", "\n    ".join(f"server {u};" for u in upstreams))
        .replace("@@LISTEN@@", f"127.0.0.1:{port}")
        .replace("@@CACHE_DIR@@", str(tmp / "cache"))
        .replace("@@STATIC_ROOT@@", str(static_root))
    )
    (tmp / "civic.conf").write_text(conf)
    user = "user root root;" if os.geteuid() == 0 else ""  # the workers read our temporary files
    (tmp / "nginx.conf").write_text(MAIN_CONF.format(tmp=tmp, user=user))
    binary = nginx_binary()
    test = subprocess.run(
        [binary, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    if test.returncode != 0:
        raise RuntimeError(f"nginx rejects the configuration:\n{test.stderr}")
    proc = subprocess.Popen(
        [binary, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while Browser("127.0.0.1", port).request("GET", "/healthz")[0] != 200:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("nginx did not start: " + (tmp / "error.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def hostport(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def get(
    base: str, path: str, cookies: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    browser = Browser(*hostport(base), cookies)
    try:
        return browser.request("GET", path)
    finally:
        browser.close()


def wait_for(predicate: Callable[[], bool], seconds: float) -> float | None:
    """Seconds until `predicate()` held (polled every 0.1 s), or None after `seconds`."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if predicate():
            return time.monotonic() - began
        time.sleep(0.1)
    return None


def published_total(initiative_id: int) -> int:
    from petitions.models import InitiativeCount

    return InitiativeCount.objects.get(initiative_id=initiative_id, track=-1).count


def signature_rows(initiative_id: int) -> int:
    from petitions.models import Signature

    return Signature.objects.filter(initiative_id=initiative_id).count()


def collect_static(url: str, var_dir: Path) -> Path:
    run_manage(url, "collectstatic", "--no-input", "-v0", CIVIC_VAR_DIR=str(var_dir))
    return var_dir / "static"


def run(args: argparse.Namespace, checks: Checks) -> None:
    began = time.monotonic()
    url = fresh(DB_NAME)
    make_residents(args.signatures + 2)
    initiative = make_initiatives(1)[0]
    sessions = make_sessions(prefix="b")
    from django.db import connections

    connections.close_all()
    page = f"/initiatives/{initiative}/"
    var_dir = Path(tempfile.mkdtemp(prefix="civic-cdn-var-"))
    var_dir.chmod(0o755)
    static_root = collect_static(url, var_dir)
    queue = f"cdn-{uuid.uuid4().hex[:8]}"
    env = {"CIVIC_TICK_SECONDS": str(TICK), "CACHE_URL": CACHE, "CELERY_BROKER_URL": BROKER}
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, var_dir, True)
        stack.enter_context(worker_and_beat(url, queue, workers=2, **env))
        server_a = stack.enter_context(
            web_server(url, workers=1, CELERY_TASK_DEFAULT_QUEUE=queue, **env)
        )
        server_b = stack.enter_context(
            web_server(url, workers=1, CELERY_TASK_DEFAULT_QUEUE=queue, **env)
        )
        upstreams = [server_a.removeprefix("http://"), server_b.removeprefix("http://")]
        proxy = stack.enter_context(nginx(free_port(), upstreams, static_root))
        print(f"nginx {proxy} -> A {server_a}, B {server_b}; tick {TICK} s "
              f"(set up in {time.monotonic() - began:.0f} s)", flush=True)  # fmt: skip

        # (a) a second anonymous GET is a cache HIT
        first = get(proxy, page)
        second = get(proxy, page)
        statuses = [first[1].get("x-cache-status"), second[1].get("x-cache-status")]
        checks.check(
            "(a) a second anonymous GET of an initiative's page is a cache HIT",
            first[0] == 200 and second[0] == 200 and statuses[1] == "HIT",
            f"X-Cache-Status {statuses}, Cache-Control {second[1].get('cache-control')!r}",
        )

        # (b) a signature through A shows through B and through nginx within one tick
        out: list[Record] = []
        signer = Browser(*hostport(server_a), {"sessionid": sessions[0]})
        signed = sign_with_form(signer, initiative, out)
        signer.close()
        fold = wait_for(lambda: published_total(initiative) >= 1, 4 * TICK)
        via_b = wait_for(lambda: count_shown(get(server_b, page)[2]) == 1, 3 * TICK + MEMO)
        via_nginx = wait_for(lambda: count_shown(get(proxy, page)[2]) == 1, 3 * TICK + MEMO)
        bound = TICK + MEMO + 0.5  # one tick after the fold, the memo's second, polling
        checks.check(
            "(b) a signature through server A shows through B and nginx within one tick",
            signed
            and fold is not None
            and fold <= 2 * TICK
            and via_b is not None
            and via_b <= bound
            and via_nginx is not None
            and via_nginx <= bound,
            f"form {[r[:2] for r in out]}; published {fold and round(fold, 1)} s after the "
            f"signature (bound {2 * TICK} s); then B {via_b and round(via_b, 1)} s, nginx "
            f"{via_nginx and round(via_nginx, 1)} s (bound {bound} s each)",
        )

        # (c) N signatures spread over both servers: counts exact everywhere
        done: list[bool] = []
        lock = threading.Lock()

        def sign(n: int) -> None:
            server = server_a if n % 2 else server_b
            browser = Browser(*hostport(server), {"sessionid": sessions[n]})
            ok = sign_with_form(browser, initiative, [])
            browser.close()
            with lock:
                done.append(ok)

        workers = [threading.Thread(target=sign, args=(n,)) for n in range(1, args.signatures + 1)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        expected = 1 + sum(done)
        rows = signature_rows(initiative)
        folded = wait_for(lambda: published_total(initiative) == expected, 3 * TICK)
        shown: dict[str, int | None] = {}

        def every_way_shows() -> bool:
            for name, base in (("A", server_a), ("B", server_b), ("nginx", proxy)):
                shown[name] = count_shown(get(base, page)[2])
            return all(v == expected for v in shown.values())

        settled = wait_for(every_way_shows, TICK + MEMO + 1)
        checks.check(
            f"(c) counts stay exact after {args.signatures} signatures over both servers",
            all(done) and rows == expected and folded is not None and settled is not None,
            f"accepted {sum(done)} + 1, signature rows {rows}, published "
            f"{published_total(initiative)}, shown {shown}",
        )

        # (d) a request with a session cookie is never served from the cache, nor stored
        cache_statuses = []
        signed_in_bodies = []
        for _ in range(3):
            status, headers, body = get(proxy, page, {"sessionid": sessions[0]})
            cache_statuses.append((status, headers.get("x-cache-status")))
            signed_in_bodies.append("/unsign/" in body)
        _s, _h, anonymous = get(proxy, page)
        checks.check(
            "(d) a request with a session cookie is never served from the cache",
            all(s == 200 and c != "HIT" for s, c in cache_statuses)
            and all(signed_in_bodies)
            and "/unsign/" not in anonymous,
            f"(status, X-Cache-Status) {cache_statuses}; the signed-in page offers to withdraw "
            f"{signed_in_bodies}; the next anonymous page does not: {'/unsign/' not in anonymous}",
        )

        # (e) static assets: immutable
        links = re.findall(r'(?:href|src)="(/static/[^"]+)"', get(proxy, page)[2])
        static = get(proxy, links[0]) if links else (0, {}, "")
        checks.check(
            "(e) static assets are served immutable",
            static[0] == 200
            and "immutable" in static[1].get("cache-control", "")
            and "max-age=31536000" in static[1].get("cache-control", ""),
            f"{links[:1]} -> {static[0]}, Cache-Control {static[1].get('cache-control')!r}",
        )
    print(f"cdn check: {time.monotonic() - began:.0f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signatures", type=int, default=30, help="N of check (c) (default 30)")
    args = parser.parse_args()
    args.signatures = min(max(args.signatures, 2), 500)
    nginx_binary()
    checks = Checks()
    try:
        run(args, checks)
    except Exception as exc:  # a set-up failure is a failed check, reported as such
        checks.check("set-up", False, f"{type(exc).__name__}: {exc}")
    if checks.failed:
        print(f"FAIL: {len(checks.failed)} check(s) failed: {', '.join(checks.failed)}")
        return 1
    print("PASS: every check of the reverse-proxy deployment held")
    return 0


if __name__ == "__main__":
    sys.exit(main())

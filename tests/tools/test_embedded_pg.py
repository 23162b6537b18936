"""tools/embedded_pg.py: each refusal is one line on stderr that says what to do, and exit status 1."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _launcher(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "embedded_pg.py"), *args],
        env={**os.environ, "CIVIC_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_taken_port_stops_the_start_with_one_line_naming_the_way_out(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _launcher(tmp_path, "start", EMBEDDED_PG_PORT=str(port))
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert f"port {port} is taken" in line
    assert "EMBEDDED_PG_PORT" in line
    assert "DATABASE_URL" in line


def test_a_folder_locked_by_another_launcher_stops_the_second_start(tmp_path):
    (tmp_path / "postgres").mkdir()
    with (tmp_path / "postgres" / "launcher.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = _launcher(tmp_path, "start", EMBEDDED_PG_LOCK_TIMEOUT="0.5")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "is locked by another process" in line
    assert "DATABASE_URL" in line


def test_a_bad_port_or_a_failing_initdb_is_one_line_too(tmp_path):
    bad_port = _launcher(tmp_path, "start", EMBEDDED_PG_PORT="fifty")
    assert bad_port.returncode == 1
    assert len(bad_port.stderr.splitlines()) == 1
    assert "EMBEDDED_PG_PORT='fifty' is not a port" in bad_port.stderr
    # A data folder with something else in it: initdb refuses it.
    data = tmp_path / "postgres" / "data"
    data.mkdir(parents=True)
    (data / "stray").write_text("not a database")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    failed = _launcher(tmp_path, "start", EMBEDDED_PG_PORT=str(free))
    assert failed.returncode == 1
    [line] = failed.stderr.splitlines()
    assert "initdb failed" in line
    assert "remove" in line


def test_stopping_a_folder_with_no_server_stops_nothing(tmp_path):
    result = _launcher(tmp_path, "stop")
    assert result.returncode == 0
    assert "no embedded server here" in result.stdout

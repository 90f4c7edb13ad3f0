"""A throwaway PostgreSQL on 127.0.0.1 for the whole test session (see
../shared/recipes/servers.md). ``postgres_url_factory()`` returns the URL of a new,
empty database each call, so tests never see each other's rows.

PostgreSQL refuses to run as root, so the server runs as the ``postgres`` user when the
suite is root. If it cannot start, tests that need it fail with the reason: CI installs
it (``.ci/system-deps``), so a silent skip would hide a broken set-up.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    pytest.fail(
        f"PostgreSQL's {name} is not installed; run .ci/system-deps (apt-get install postgresql)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="inbox-pg-"))
        self.port = free_port()
        self.user = "inbox"
        self.as_root = os.geteuid() == 0
        self._counter = itertools.count(1)

    def _run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        full = ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else list(cmd)
        return subprocess.run(full, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self.dir.chmod(0o755)
        if self.as_root:
            shutil.chown(self.dir, "postgres")
        data = self.dir / "data"
        out = self._run(
            _bin("initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            self.user,
            "-E",
            "UTF8",
            "--no-sync",
        )
        if out.returncode:
            pytest.fail(f"initdb failed: {out.stderr.strip()}")
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=200"
        out = self._run(
            _bin("pg_ctl"), "-D", str(data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"
        )
        if out.returncode:
            log = (
                (self.dir / "log").read_text(errors="replace")
                if (self.dir / "log").exists()
                else ""
            )
            pytest.fail(f"PostgreSQL did not start: {out.stderr.strip()} {log[-2000:]}")

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url_factory(postgres_server: PostgresServer) -> Callable[[], str]:
    """Call it to get the URL of a fresh, empty database."""
    return postgres_server.new_database

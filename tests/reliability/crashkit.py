"""Helpers for the crash tests: run the real CLI as a subprocess and SIGKILL it at a
chosen moment, observed from outside (another connection to the store, a server-side
event), never from inside the process under test."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "inbox_tui", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def sqlite_count(db: Path, sql: str) -> int:
    """A count read over a separate read-only connection; 0 while the store (or the
    table) does not exist yet."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def kill_when(
    cmd: list[str], ready: Callable[[], bool], *, deadline: float = 120.0
) -> tuple[bool, int | None]:
    """Start ``cmd``; SIGKILL it as soon as ``ready()`` is true. Returns (killed, exit
    code): killed is False when the process finished before the moment came."""
    proc = subprocess.Popen(
        cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    end = time.monotonic() + deadline
    try:
        while proc.poll() is None and time.monotonic() < end:
            if ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True, None
            time.sleep(0.01)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{cmd} neither finished nor reached the kill point")
        return False, proc.returncode
    finally:
        if proc.stderr:
            proc.stderr.close()


def run_ok(cmd: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, f"{cmd} failed: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


class Target:
    """A store the crash tests kill processes on, SQLite (a file) or PostgreSQL (a fresh
    database), observed over its own connection."""

    def __init__(self, url: str, sqlite_path: Path | None = None) -> None:
        self.url = url
        self.sqlite_path = sqlite_path
        self._engine = None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.sqlite_path is not None else "postgresql"

    def _pg(self):  # type: ignore[no-untyped-def]
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            self._engine = create_engine(self.url, poolclass=NullPool)
        return self._engine

    def rows(self, sql: str) -> list[tuple]:  # type: ignore[type-arg]
        if self.sqlite_path is not None:
            conn = sqlite3.connect(self.sqlite_path)
            try:
                return conn.execute(sql).fetchall()
            finally:
                conn.close()
        from sqlalchemy import text

        with self._pg().connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    def count(self, sql: str) -> int:
        """A count; 0 while the store (or the table) does not exist yet."""
        if self.sqlite_path is not None:
            return sqlite_count(self.sqlite_path, sql)
        try:
            return int(self.rows(sql)[0][0])
        except Exception:
            return 0

    def started(self) -> bool:
        """The importer has begun creating the store (the file, or the first table)."""
        if self.sqlite_path is not None:
            return self.sqlite_path.exists()
        return (
            self.count(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )
            > 0
        )

    def integrity(self) -> str:
        if self.sqlite_path is not None:
            return integrity(self.sqlite_path)
        # PostgreSQL has no integrity_check: the store must at least open and be readable.
        self.rows("SELECT count(*) FROM message")
        return "ok"

    def json_field(self, column: str, key: str) -> str:
        if self.sqlite_path is not None:
            return f"json_extract({column}, '$.{key}')"
        return f"(CAST({column} AS json) ->> '{key}')"

"""The store on SQLite and PostgreSQL: connection rules, errors, migrations."""

import stat
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from inbox_tui.migrations.runner import head_revision
from inbox_tui.store import SCHEMA_REVISION, Store, StoreError, sqlite_url


def test_sqlite_connection_rules(sqlite_store):
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_sqlite_write_transactions_begin_immediate(sqlite_store):
    """A write session holds the write lock from its first statement: a second
    writer cannot start until it ends (a deferred BEGIN would let both start and one fail
    later with SQLITE_BUSY)."""
    import sqlite3

    path = sqlite_store.url.removeprefix("sqlite:///")
    with sqlite_store.write() as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    with sqlite_store.read() as session:  # reads never take the write lock
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()


def test_new_sqlite_store_is_group_shared_not_world_readable(tmp_path):
    path = tmp_path / "team" / "inbox.db"
    Store(sqlite_url(path)).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o660
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o770


def test_world_readable_store_warns(tmp_path, caplog):
    path = tmp_path / "inbox.db"
    Store(sqlite_url(path)).close()
    path.chmod(0o644)
    Store(sqlite_url(path)).close()
    assert "readable by every user" in caplog.text


def test_world_readable_store_warning_reaches_the_user(tmp_path):
    """Issue 19, finding 9: the warning went only to the log file. Commands print it on
    stderr without -v (once, as a warning; the command still runs); Store.warnings holds
    it for the TUI."""
    import subprocess
    import sys

    path = tmp_path / "inbox.db"
    Store(sqlite_url(path)).close()
    path.chmod(0o644)
    store = Store(sqlite_url(path))
    assert any("readable by every user" in w for w in store.warnings)
    store.close()
    done = subprocess.run(
        [sys.executable, "-m", "inbox_tui", "--db", sqlite_url(path), "outbox", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("readable by every user") == 1
    assert f"chmod o-rwx {path}" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "url, needle",
    [
        ("mysql://x/y", "not supported"),
        ("not a url", "not valid"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "refused the connection"),
    ],
)
def test_bad_urls_are_plain_errors(url, needle):
    with pytest.raises(StoreError, match=needle):
        Store(url)


def test_not_a_database(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello" * 1000)
    with pytest.raises(StoreError, match="not a SQLite database"):
        Store(sqlite_url(junk))


def test_schema_revision_is_alembic_head():
    assert head_revision() == SCHEMA_REVISION


def test_migrated_schema_matches_models(store):
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)

    # Full-text search objects live outside the models on purpose (dialect-specific):
    # SQLite's FTS5 tables, PostgreSQL's stored ``article.search`` tsvector and its index.
    def full_text(d) -> bool:
        text = str(d)
        return "fts" in text.lower() or "ix_article_search" in text or "'search'" in text

    diffs = [d for d in diffs if not full_text(d)]
    assert diffs == []
    assert store.current_revision() == SCHEMA_REVISION


def test_reopening_migrated_store_is_a_noop(store):
    again = Store(store.url)
    assert again.current_revision() == SCHEMA_REVISION
    again.close()


def test_two_processes_opening_a_new_store_migrate_once(tmp_path):
    url = sqlite_url(tmp_path / "new.db")
    code = f"from inbox_tui.store import Store; Store({url!r}).close(); print('ok')"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    store = Store(url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    store.close()


def test_message_index_merges_eight_segments_at_a_time(sqlite_store):
    """Migration 0016: FTS5 merges 8 segments of a level at once (fewer rewrites of the
    index per message written), and a downgrade puts back FTS5's default."""
    from sqlalchemy import text

    def automerge() -> str | None:
        with sqlite_store.engine.connect() as conn:
            row = conn.execute(
                text("SELECT v FROM message_fts_config WHERE k = 'automerge'")
            ).first()
            return None if row is None else str(row[0])

    assert automerge() == "8"
    sqlite_store.downgrade("0017")
    assert automerge() == "4"
    sqlite_store.migrate()
    assert automerge() == "8"

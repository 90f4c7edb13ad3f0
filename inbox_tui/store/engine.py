"""The shared store: engine, connection rules, transactions and migrations.

Dialect specifics are in ``store.dialect``; what every write transaction does at flush
and commit (aggregates, NOTIFY) is registered in ``store.hooks``.

Several agents use one store at once, so the rules are strict:

- SQLite runs in WAL mode with a busy timeout and foreign keys on, and every *write*
  transaction begins ``IMMEDIATE``: a deferred ``BEGIN`` that reads then writes fails
  with SQLITE_BUSY when another process wrote in between, and no timeout helps.
- PostgreSQL write paths lock the conversation row (``SELECT ... FOR UPDATE``) in the
  services; ``write()`` retries the whole unit on deadlock or serialization failure.
- The schema is brought to the current revision on open (alembic), under a lock, so
  several agents starting a new version at once migrate once.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from inbox_tui.errors import UserError
from inbox_tui.store import dialect, hooks

log = logging.getLogger(__name__)

T = TypeVar("T")

# The alembic revision this code expects; tests check it equals alembic's head.
SCHEMA_REVISION = "0026"


class StoreError(UserError):
    """The store cannot be opened or used; the message says what to do."""


def default_db_path() -> Path:
    """The per-user SQLite file, in the XDG data directory."""
    from platformdirs import user_data_path

    return user_data_path("inbox-tui") / "inbox.db"


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path)}"


# A load of at least this many messages, growing the message table by this share,
# refreshes PostgreSQL's planner statistics (``Store.after_bulk_load``).
ANALYZE_MIN_MESSAGES = 1000
ANALYZE_GROWTH = 0.1


class Store:
    """One database, opened once per process. Hands out read and write sessions."""

    def __init__(self, url: str, *, migrate: bool = True, echo: bool = False) -> None:
        self.url = url
        # Sentences the user should see once (the CLI prints them, the TUI notifies).
        self.warnings: list[str] = []
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
            from inbox_tui.sanitize import mask_secrets

            raise StoreError(
                f"The database URL {mask_secrets(url)!r} is not valid; use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DB."
            ) from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise StoreError(
                f"The database {parsed.get_backend_name()!r} is not supported; use SQLite or PostgreSQL."
            )
        self.is_sqlite = self.dialect == "sqlite"
        if self.is_sqlite:
            self.engine = self._sqlite_engine(parsed.database or "", echo)
        else:
            try:
                self.engine = create_engine(
                    dialect.postgres_url(parsed),
                    echo=echo,
                    pool_pre_ping=True,
                    connect_args={"connect_timeout": 10},
                )
            except ModuleNotFoundError as exc:
                raise StoreError(
                    "PostgreSQL support is not installed; install inbox-tui[postgres]."
                ) from exc
        # Write transactions go through this engine: on SQLite it begins IMMEDIATE.
        self._write_engine = self.engine.execution_options(inbox_write=True)
        self._check_reachable()
        if migrate:
            self.migrate()

    # -- engines -------------------------------------------------------------------

    def _sqlite_engine(self, database: str, echo: bool) -> Engine:
        if database and database != ":memory:":
            path = Path(database)
            self.warnings.extend(_prepare_sqlite_file(path))
        engine = create_engine(
            f"sqlite:///{database}",
            echo=echo,
            # The connection used last is handed out first: it holds the warmest page
            # cache and the search's kept matches (services/fulltext._MatchCache).
            pool_use_lifo=True,
            connect_args={
                "check_same_thread": False,
                "timeout": dialect.SQLITE_BUSY_TIMEOUT_MS / 1000,
            },
        )

        dialect.configure_sqlite(engine)
        return engine

    def _check_reachable(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise StoreError(_describe_connect_error(self.url, exc)) from exc

    # -- sessions ------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading. Nothing it changes is committed; objects loaded in it
        stay readable after it closes."""
        with Session(self.engine, expire_on_commit=False, autoflush=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on error.

        Use ``run`` instead where the unit of work can simply be retried.
        """
        with Session(self._write_engine, expire_on_commit=False) as session:
            hooks.install(session)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def run(self, fn: Callable[..., T], *args: Any, attempts: int = 5, **kwargs: Any) -> T:
        """Run ``fn(session, *args, **kwargs)`` in a write transaction, retrying on
        lock contention (SQLite busy past the timeout, PostgreSQL deadlock or
        serialization failure). Returns what ``fn`` returns."""
        delay = 0.05
        for attempt in range(attempts):
            try:
                with self.write() as session:
                    return fn(session, *args, **kwargs)
            except (OperationalError, DBAPIError) as exc:
                if attempt == attempts - 1 or not _is_retryable(exc):
                    raise
                log.info("retrying write after %s", exc.__class__.__name__)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.engine.dispose()

    def after_bulk_load(self, messages_added: int) -> bool:
        """After an import or sync that added ``messages_added`` messages: on PostgreSQL,
        refresh the planner's statistics of the tables the list and search queries plan on
        when the load grew the store by a tenth or more (or it has none yet), instead of
        waiting for autovacuum. Measured on a 1 M-message store with its statistics
        removed: prefix search p50 62 / p95 477 ms, 14 / 135 ms after ``ANALYZE``.
        SQLite is left alone: the search plans there are chosen in ``fulltext`` and the
        product never ran ``ANALYZE`` on it. True when it ran."""
        if self.is_sqlite or messages_added < ANALYZE_MIN_MESSAGES:
            return False
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE oid = 'message'::regclass"
            ).scalar()
            # reltuples: -1 (or 0) before the table was ever analysed or vacuumed.
            if rows is not None and rows > 0 and messages_added < rows * ANALYZE_GROWTH:
                return False
            conn.exec_driver_sql("ANALYZE message, conversation, contact, conversationtag")
            conn.commit()
        return True

    # -- schema --------------------------------------------------------------------

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            except (OperationalError, DBAPIError):
                return None
            return row[0] if row else None

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (``head`` is ``SCHEMA_REVISION``), under a
        lock so agents starting at once migrate once. Cheap when already there: alembic
        is only imported when there is something to do."""
        if self.current_revision() == (SCHEMA_REVISION if revision == "head" else revision):
            return
        from inbox_tui.migrations.runner import upgrade

        try:
            # The write engine begins IMMEDIATE on SQLite: a second process waits for
            # the first one's migration and then finds nothing to do.
            with self._write_engine.begin() as conn:
                dialect.lock_for_migration(conn)
                upgrade(conn, revision)
        except (OperationalError, DBAPIError) as exc:
            raise StoreError(f"Could not upgrade the database schema: {_first_line(exc)}") from exc

    def downgrade(self, revision: str) -> None:
        """Take the schema back to ``revision`` (to run an older release on this store),
        under the same lock as ``migrate``. Tables and columns added since are dropped."""
        from inbox_tui.migrations.runner import downgrade

        try:
            with self._write_engine.begin() as conn:
                dialect.lock_for_migration(conn)
                downgrade(conn, revision)
        except (OperationalError, DBAPIError) as exc:
            raise StoreError(
                f"Could not downgrade the database schema: {_first_line(exc)}"
            ) from exc


def insert_or_get(session: Session, row: T, lookup: SelectOfScalar[T]) -> T:
    """Insert ``row`` unless another agent's transaction inserted the same unique key
    first (two agents creating the same new tag at once); then return theirs. The
    savepoint keeps our transaction usable after the unique violation."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
        return row
    except IntegrityError:
        existing = session.exec(lookup).first()
        if existing is None:
            raise
        return existing


def _prepare_sqlite_file(path: Path) -> list[str]:
    """Create the store's folder and file group-shared, never world-readable; returns a
    warning when an existing store is readable by everyone."""
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o770)  # mkdir's mode is cut by the umask
        if not path.exists():
            old = os.umask(0o007)
            try:
                fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o660)
                os.close(fd)
            finally:
                os.umask(old)
    except PermissionError as exc:
        raise StoreError(
            f"Cannot create the database at {path}: permission denied. "
            "Choose another path with --db or ask for write access to the folder."
        ) from exc
    except OSError as exc:
        raise StoreError(f"Cannot create the database at {path}: {exc.strerror}.") from exc
    warnings: list[str] = []
    try:
        mode = path.stat().st_mode
    except OSError:
        return warnings
    if mode & stat.S_IROTH:
        warnings.append(
            f"The database {path} is readable by every user on this machine; run "
            f"`chmod o-rwx {path}` (and its -wal/-shm files) to keep customer data private."
        )
        log.warning(warnings[-1])
    if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK):
        raise StoreError(
            f"The database {path} (or its folder) is not writable for you; SQLite needs "
            "write access to both. Ask for group write permission."
        )
    return warnings


def _is_retryable(exc: BaseException) -> bool:
    msg = str(getattr(exc, "orig", exc)).lower()
    return any(
        s in msg for s in ("database is locked", "deadlock detected", "could not serialize", "busy")
    )


def _first_line(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", exc)).strip()
    return msg.splitlines()[0] if msg else exc.__class__.__name__


def _describe_connect_error(url: str, exc: BaseException) -> str:
    msg = _first_line(exc)
    safe = make_url(url).render_as_string(hide_password=True)
    lowered = msg.lower()
    if "unable to open database file" in lowered:
        return (
            f"Cannot open the database {safe}: the file or its folder is missing or not accessible."
        )
    if "connection refused" in lowered or "could not connect" in lowered:
        return f"Cannot reach the database server for {safe}: it refused the connection. Is it running?"
    if "password authentication failed" in lowered:
        return f"The database server rejected the login for {safe}: wrong user or password."
    if "does not exist" in lowered:
        return f"Cannot open {safe}: {msg}."
    if "file is not a database" in lowered:
        return f"{safe} is not a SQLite database (the file is something else, or damaged)."
    return f"Cannot open the database {safe}: {msg}"

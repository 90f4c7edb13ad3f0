"""Every difference between SQLite and PostgreSQL that the code acts on, in one module.

The rest of the code asks here instead of testing ``dialect.name`` itself:

- connection set-up: SQLite's pragmas and ``BEGIN IMMEDIATE`` for write transactions;
  PostgreSQL's driver (psycopg 3);
- locks: PostgreSQL locks rows (``FOR UPDATE``) and takes an advisory lock to migrate;
  SQLite's ``BEGIN IMMEDIATE`` already serialises writers, so those are no-ops there;
- change notification: PostgreSQL ``NOTIFY`` (SQLite readers poll);
- statements whose syntax differs: ``INSERT ... ON CONFLICT DO NOTHING``, the help
  articles' full-text ranking (FTS5 ``bm25`` / ``ts_rank``), and raw driver cursors
  (named parameters are ``:name`` for sqlite3 and ``%(name)s`` for psycopg).

Message search (``services.fulltext``) keeps its two query planners, which are the
whole point of that module, and asks ``is_sqlite`` here which one to use.
"""

from __future__ import annotations

import contextlib
import functools
import re
import weakref
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Insert, Table, bindparam, event, text
from sqlalchemy.engine import URL, Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000

# Any constant works; it only has to be the same in every process of this app.
_PG_MIGRATION_LOCK = 0x1B0C5

# PostgreSQL: a write transaction that adds an event or a message, or touches presence,
# sends a NOTIFY on this channel when it commits (see ``store.hooks``).
CHANNEL = "inbox_changes"


def name(bind: Any) -> str:
    """``"sqlite"`` or ``"postgresql"`` for a session, connection or engine."""
    get_bind = getattr(bind, "get_bind", None)
    if get_bind is not None:  # an ORM session
        bind = get_bind()
    return str(bind.dialect.name)


_DB_KEYS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def db_key(session: Any) -> str:
    """Which database a session reads (its URL, password hidden), for caches of derived
    data kept in memory per store. Remembered per engine: rendering a URL costs more
    than the cached lookups it keys."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    key = _DB_KEYS.get(engine)
    if key is None:
        key = _DB_KEYS[engine] = engine.url.render_as_string(hide_password=True)
    return key


def is_sqlite(bind: Any) -> bool:
    return name(bind) == "sqlite"


def is_postgres(bind: Any) -> bool:
    return name(bind) == "postgresql"


# -- connection set-up -------------------------------------------------------------


def postgres_url(parsed: URL) -> URL:
    """A bare ``postgresql://`` URL uses psycopg 3, the driver we install."""
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for connections with
    the ``inbox_write`` execution option: a deferred ``BEGIN`` that reads then writes
    fails with SQLITE_BUSY when another process wrote in between, and no timeout helps."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("inbox_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


# -- locks and notification ---------------------------------------------------------


def lock_for_migration(conn: Connection) -> None:
    """Serialise schema upgrades across processes. On SQLite the write connection's
    ``BEGIN IMMEDIATE`` already does: a second process waits, then finds nothing to do."""
    if is_postgres(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})


_LOCK_CONVERSATIONS = text(
    "SELECT id FROM conversation WHERE id IN :ids ORDER BY id FOR UPDATE"
).bindparams(bindparam("ids", expanding=True))


def lock_conversations(session: Any, ids: list[int]) -> None:
    """Wait for any other transaction writing these conversations (PostgreSQL). Every
    event writer updates the conversation row, so what is read next includes theirs."""
    if is_postgres(session):
        session.execute(_LOCK_CONVERSATIONS, {"ids": ids})


def notify_changes(conn: Connection) -> None:
    """Tell listening agents that something changed (PostgreSQL; delivered at commit)."""
    conn.exec_driver_sql(f"NOTIFY {CHANNEL}")


# -- statements whose syntax differs ----------------------------------------------


@functools.cache
def insert_ignoring_conflict(table: Table, key: str, returning: str, dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT (key) DO NOTHING RETURNING returning`` in ``dialect``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    return (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[key])
        .returning(table.c[returning])
    )


@functools.cache
def insert_many_ignoring(table: Table, key: str, dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` for many rows at once (no RETURNING,
    so the driver sends them as one batch)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    return dialect_insert(table).on_conflict_do_nothing(index_elements=[key])


@functools.cache
def upsert(table: Table, keys: tuple[str, ...], dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` every other column, in ``dialect``
    (two writers of the same derived row: the last one wins, neither fails)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    stmt = dialect_insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
    )


def raw_rows(session: Any, sql: str, params: dict[str, int]) -> list[tuple[Any, ...]]:
    """All rows of a query with ``:name`` parameters, fetched by the driver itself
    (building SQLAlchemy rows for hundreds of thousands of rows costs more than the
    query). Runs on the session's connection, in its transaction."""
    conn = session.connection()
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.paramstyle == "pyformat":  # psycopg: %(name)s, and a literal % is %%
        sql = re.sub(r":(\w+)", r"%(\1)s", sql.replace("%", "%%"))
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


_ARTICLE_FTS_SQLITE = text(
    "SELECT rowid, bm25(article_fts, 5.0, 1.0) FROM article_fts WHERE article_fts MATCH :m "
    "ORDER BY 2 LIMIT :n"
)
# ``article.search`` is a stored generated tsvector (title weight A, the rest D; migration
# 0013): ranking reads it instead of parsing every matching article again.
_ARTICLE_FTS_PG = text(
    "SELECT id, ts_rank(search, q, 1) AS r "
    "FROM article, to_tsquery('english', :q) q WHERE search @@ q "
    "ORDER BY r DESC LIMIT :n"
)


def article_fts(session: Any, terms: list[str], limit: int) -> dict[int, float]:
    """Help article id → full-text relevance (higher is better) for any of ``terms``
    (already plain words): FTS5's bm25 on SQLite (title weighted 5:1), ts_rank on
    PostgreSQL (title weight A, the rest D)."""
    if is_sqlite(session):
        match = " OR ".join(f'"{t}"' for t in terms)
        rows = session.execute(_ARTICLE_FTS_SQLITE, {"m": match, "n": limit}).all()
        return {int(r[0]): -float(r[1]) for r in rows}
    rows = session.execute(_ARTICLE_FTS_PG, {"q": " | ".join(terms), "n": limit}).all()
    return {int(r[0]): float(r[1]) for r in rows}


_INSERT_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+\w+\s+AFTER\s+INSERT\s+ON\s+(\w+)\s+BEGIN\s+"
    r"(INSERT\s+INTO\s+\w+\s*\([^)]*\))\s+VALUES\s*\((.*)\)\s*;\s*END",
    re.I | re.S,
)


@contextlib.contextmanager
def full_text_in_bulk(session: Any, trigger: str) -> Iterator[None]:
    """SQLite: the rows inserted within the block get their full-text rows in one
    statement after it instead of one run of the insert ``trigger`` per row (10,000 help
    articles: 2.3 -> 1.1 s of CPU): the trigger is dropped for the block and created again
    from its own stored SQL, whose VALUES become the SELECT of that statement, in the same
    transaction (a failure rolls both back). Elsewhere, or for a trigger of another
    shape, the block runs as it is."""
    sql = None
    if is_sqlite(session):
        sql = session.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
            {"n": trigger},
        ).scalar()
    m = _INSERT_TRIGGER.fullmatch(sql.strip()) if isinstance(sql, str) else None
    if m is None or not isinstance(sql, str):
        yield
        return
    table, into, values = m.groups()
    first = session.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {table}")).scalar()
    session.execute(text(f"DROP TRIGGER {trigger}"))
    try:
        yield
        select_ = re.sub(r"\bnew\.", "", values, flags=re.I)
        session.execute(
            text(f"{into} SELECT {select_} FROM {table} WHERE rowid > :first ORDER BY rowid"),
            {"first": first},
        )
    except BaseException:
        with contextlib.suppress(Exception):  # the rollback that follows restores it too
            session.execute(text(sql))
        raise
    session.execute(text(sql))

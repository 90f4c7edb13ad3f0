"""The Open view's first page read with the standard library's ``sqlite3``, before
SQLAlchemy, SQLModel and the models are loaded (~0.4 s of CPU at start-up, which the
first page used to wait for). SQLite only; the TUI shows these rows until the store is
open, then reads the page again the ordinary way (``conversations.list_conversations``,
which a test keeps this equal to). Anything unexpected (no file, another schema, a lock)
gives None: the ordinary read is then the only one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from inbox_tui.services.listing import ConversationRow

T = TypeVar("T")

# services.conversations.view_filter("open"): status open, newest activity first.
_PAGE = """
SELECT c.id, c.subject, c.status, c.channel, c.last_activity_at, c.message_count,
       a.username, ct.name, ct.email, c.snoozed_until,
       COALESCE(c.last_customer_at, c.created_at)
FROM conversation AS c
LEFT OUTER JOIN agent AS a ON a.id = c.assignee_id
LEFT OUTER JOIN contact AS ct ON ct.id = c.contact_id
WHERE c.status IN ('open')
ORDER BY c.last_activity_at DESC, c.id DESC
LIMIT ?
"""
_TAGS = """
SELECT ctag.conversation_id, t.name FROM conversationtag AS ctag
JOIN tag AS t ON t.id = ctag.tag_id
WHERE ctag.conversation_id IN ({ids}) ORDER BY t.name
"""
# drafts.conversations_with_drafts and mentions.unread_in, for the agent ``me``.
_DRAFTS = """
SELECT d.conversation_id FROM draft AS d JOIN agent AS a ON a.id = d.agent_id
WHERE a.username = ? AND d.kind = 'reply' AND d.conversation_id IN ({ids})
"""
_MENTIONED = """
SELECT m.conversation_id FROM message AS m
JOIN mention AS mn ON mn.message_id = m.id JOIN agent AS a ON a.id = mn.agent_id
WHERE a.username = ? AND mn.read_at IS NULL AND m.conversation_id IN ({ids})
"""


def store_url(configured: str | None) -> str:
    """The store's URL: the configured one, else the per-user file (what
    ``store.engine.default_db_path`` names; a test keeps the two equal)."""
    if configured:
        return configured
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path('inbox-tui') / 'inbox.db'}"


def sqlite_path(url: str) -> str | None:
    """The file of a plain ``sqlite:///…`` URL (None for anything else)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or len(url) == len(prefix):
        return None
    return url[len(prefix) :]


def open_view_first_page(url: str, me: str, limit: int) -> list[ConversationRow] | None:
    """The first ``limit`` rows of the Open view for agent ``me``, as the list shows
    them (tags, the draft and @ marks), read-only; None when that cannot be done here."""
    return _read_only(url, lambda conn: _read(conn, me, limit))


def is_demo_file(url: str) -> bool:
    """Whether ``url`` is a SQLite file that ``inbox-tui demo`` built (its ``store_meta``
    says ``demo``), read without the database layer: the CLI asks before loading it, so
    every command on a demo store behaves as the demo (services/demo_mode). False for an
    older store (no ``store_meta`` yet) or anything else."""
    path = sqlite_path(url)
    if path is None or not Path(path).is_file():  # never create the file by asking
        return False
    row = _read_only(
        url, lambda conn: conn.execute("SELECT value FROM store_meta WHERE key = 'demo'").fetchone()
    )
    return row is not None and row[0] == "1"


def _read_only(url: str, read: Callable[[sqlite3.Connection], T]) -> T | None:
    """``read`` on the SQLite file of ``url``, opened read-only; None when that cannot be
    done (not a plain SQLite URL, no such file or table, a locked or damaged file)."""
    path = sqlite_path(url)
    if path is None:
        return None
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error:
        return None
    try:
        return read(conn)
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, me: str, limit: int) -> list[ConversationRow]:
    rows = conn.execute(_PAGE, (limit,)).fetchall()
    ids = [r[0] for r in rows]
    marks = ",".join("?" * len(ids))
    tags: dict[int, list[str]] = {}
    drafted: set[int] = set()
    named: set[int] = set()
    if ids:
        for cid, name in conn.execute(_TAGS.format(ids=marks), ids):
            tags.setdefault(cid, []).append(name)
        drafted = {r[0] for r in conn.execute(_DRAFTS.format(ids=marks), [me, *ids])}
        named = {r[0] for r in conn.execute(_MENTIONED.format(ids=marks), [me, *ids])}
    return [
        ConversationRow(
            id=cid,
            subject=subject,
            status=status,
            channel=channel,
            last_activity_at=_when(at),
            message_count=count,
            assignee=username,
            contact_name=cname or "",
            contact_email=cemail,
            snoozed_until=_when(snoozed) if snoozed is not None else None,
            tags=tags.get(cid, []),
            draft=cid in drafted,
            mentioned=cid in named,
            customer_at=_when(customer_at),
        )
        for (
            cid, subject, status, channel, at, count, username, cname, cemail, snoozed,
            customer_at,
        ) in rows
    ]  # fmt: skip


def _when(value: str) -> datetime:
    """A stored time as the store gives it: stored in UTC without an offset, read back
    as an aware UTC time."""
    at = datetime.fromisoformat(value)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)

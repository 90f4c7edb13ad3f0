"""Cheap change detection: has anything happened in the store since I last looked?

Every change is an event and every message is a row, so the newest ids of both are a
token that moves whenever another agent (or a sync) changes anything. Two indexed
``max(id)`` lookups: cheap enough to poll every second or two on SQLite and PostgreSQL.
Saved views write no event: the token keeps a checksum of them (a few rows), so a view
renamed or deleted by the CLI or another agent reaches every running TUI.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from inbox_tui.models import Event, Message, Outbox, OutboxStatus, Presence, SavedSearch
from inbox_tui.store import CHANNEL  # the NOTIFY side: every write transaction


class Token(NamedTuple):
    event: int  # the newest event id
    message: int  # the newest message id
    presence: int  # presence rows
    outbox: int  # the newest outbox row
    waiting: int  # outbox rows still waiting untried
    views: int  # a checksum of the saved views (id, name, search, scope)


def change_token(session: Session) -> Token:
    """What moves when anything changes. The outbox's part moves when a queued reply
    goes out (or is tried), which writes no event: the thread's "waiting to go out"
    must turn into a sent reply on every agent's screen. The views' part moves when a
    saved view is saved, renamed or deleted (no event either)."""
    event = session.exec(select(func.max(Event.id))).one() or 0
    message = session.exec(select(func.max(Message.id))).one() or 0
    presence = session.exec(select(func.count()).select_from(Presence)).one() or 0
    outbox = session.exec(select(func.max(Outbox.id))).one() or 0
    waiting = session.exec(  # the queued rows: ix_outbox_status_next
        select(func.count())
        .select_from(Outbox)
        .where(Outbox.status == OutboxStatus.QUEUED.value, Outbox.attempts == 0)
    ).one()
    return Token(
        int(event), int(message), int(presence), int(outbox), int(waiting or 0), views(session)
    )


def views(session: Session) -> int:
    """A checksum of the saved views: every one of their rows (a team has tens)."""
    rows = session.exec(select(SavedSearch).order_by(col(SavedSearch.id))).all()
    return zlib.crc32(json.dumps([[r.id, r.name, r.query, r.scope] for r in rows]).encode())


def listen_for_changes(
    url: str, on_change: Callable[[], None], stop: Callable[[], bool], wake_every: float = 1.0
) -> None:
    """Block until ``stop()`` is true, calling ``on_change()`` after each NOTIFY on
    ``CHANNEL`` (bursts are folded into one call). ``url`` is the store's SQLAlchemy
    PostgreSQL URL. Raises psycopg.Error when the server cannot be reached."""
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        while not stop():
            # wake_every bounds how long a stop request waits; a notice ends it at once.
            got = list(conn.notifies(timeout=wake_every, stop_after=1))
            if got and not stop():
                on_change()


def poll_changes(
    session: Session, me: str
) -> tuple[Token, list[int], dict[int, list[tuple[str, str]]]]:
    """One look for the TUI's poll, in a write transaction: wake the snoozes that are
    due, then (change token, woken conversation ids, who else has what open)."""
    from inbox_tui.services.presence import others_by_conversation
    from inbox_tui.services.triage import wake_snoozed

    woken = wake_snoozed(session)
    return change_token(session), woken, others_by_conversation(session, me)

"""What every write transaction does besides its own work, registered in one place.

``Store.write`` calls ``install`` on each write session; nothing else registers session
events. Two follow-ups, both at commit:

- **stats aggregates** (``store.aggregates``): the conversations that got events are
  re-folded in the same transaction;
- **NOTIFY** (PostgreSQL): a transaction that adds an event or a message, or touches
  presence, the outbox (a reply goes out: its thread stops saying "waiting") or a saved
  view (renamed or deleted by the CLI: every TUI's views panel follows), notifies ``dialect.CHANNEL`` when it commits (NOTIFY is transactional: a
  rolled-back change notifies no one). The TUI listens
  (``services.changes.listen_for_changes``) and looks at the change token at once
  instead of at its next poll; SQLite keeps polling.

Writers that use Core statements instead of ORM objects (ingest) call
``note_core_writes`` so the same follow-ups happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from inbox_tui.models import Event, Message, Outbox, Presence, SavedSearch
from inbox_tui.store import aggregates, dialect

_CORE_WRITES = "inbox_tui.core_writes"


def install(session: Session) -> None:
    """Register the commit follow-ups on one write session."""
    if dialect.is_postgres(session):
        event.listen(session, "after_flush", _notify_after_flush)
        event.listen(session, "before_commit", _notify_core_writes)
    aggregates.track(session)


def note_core_writes(session: Session, conversation_ids: Iterable[int]) -> None:
    """Writers that use Core statements instead of ORM objects (ingest) call this, so the
    same follow-ups happen as for ORM writes: the stats aggregates of these conversations
    are refreshed and, on PostgreSQL, other agents are notified at commit."""
    aggregates.mark(session, conversation_ids)
    session.info[_CORE_WRITES] = True


def _notify_after_flush(sess: Session, _ctx: Any) -> None:
    touched = (*sess.new, *sess.dirty, *sess.deleted)
    if any(isinstance(o, (Event, Message, Outbox, Presence, SavedSearch)) for o in touched):
        dialect.notify_changes(sess.connection())


def _notify_core_writes(sess: Session) -> None:
    if not sess.in_nested_transaction() and sess.info.pop(_CORE_WRITES, False):
        dialect.notify_changes(sess.connection())

"""Cheap change detection: has anything happened in the store since I last looked?

Every change is an event and every message is a row, so the newest ids of both are a
token that moves whenever another agent (or a sync) changes anything. Two indexed
``max(id)`` lookups: cheap enough to poll every second or two on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from inbox_tui.models import Event, Message, Presence


def change_token(session: Session) -> tuple[int, int, int]:
    """(newest event id, newest message id, presence rows): changes when anything does."""
    event = session.exec(select(func.max(Event.id))).one() or 0
    message = session.exec(select(func.max(Message.id))).one() or 0
    presence = session.exec(select(func.count()).select_from(Presence)).one() or 0
    return int(event), int(message), int(presence)

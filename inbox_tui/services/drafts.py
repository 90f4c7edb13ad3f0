"""Drafts: the reply an agent is writing, kept in the store until it is sent or discarded.

One draft per conversation and agent (``draft`` table, migration 0004). The composer
saves it as the agent types and when it closes; ``r`` on the conversation again, in this
session or another one, after a restart or a crash, brings it back. ``queue_reply``
deletes it in the transaction that queues the reply, so a sent reply never comes back
as a draft, and a reply that failed to queue keeps it.

A draft is not a change to the conversation: no event, no version bump (another agent's
collision check must not fire because someone is typing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import Agent, Conversation, Draft, utcnow
from inbox_tui.services.core import conversation_not_found, ensure_agent
from inbox_tui.store import insert_or_get

# A draft is text an agent typed; a paste of a whole log file is not a reply.
MAX_DRAFT_CHARS = 500_000


@dataclass
class DraftInfo:
    conversation_id: int
    subject: str
    body: str
    updated_at: datetime


def save_draft(
    session: Session, actor: str, conversation_id: int, body: str, *, at: datetime | None = None
) -> bool:
    """Keep ``body`` as ``actor``'s draft of a reply to the conversation. Text that is
    only whitespace deletes the draft instead. Returns True when a draft is kept."""
    text = sanitize.clean(body)
    if not text.strip():
        delete_draft(session, actor, conversation_id)
        return False
    if len(text) > MAX_DRAFT_CHARS:
        raise UserError(
            f"The draft is over {MAX_DRAFT_CHARS:,} characters; it was not saved "
            "(the text is still in the composer)."
        )
    if session.get(Conversation, conversation_id) is None:
        raise conversation_not_found(conversation_id)
    agent = ensure_agent(session, actor)
    assert agent.id is not None
    lookup = (
        select(Draft)
        .where(Draft.conversation_id == conversation_id)
        .where(Draft.agent_id == agent.id)
    )
    draft = session.exec(lookup.with_for_update()).first()
    if draft is None:
        # Two sessions of one agent saving at once: the second updates the first's row.
        draft = insert_or_get(
            session,
            Draft(conversation_id=conversation_id, agent_id=agent.id, body=text),
            lookup,
        )
    draft.body = text
    draft.updated_at = at or utcnow()
    session.add(draft)
    return True


def get_draft(session: Session, actor: str, conversation_id: int) -> str | None:
    """``actor``'s draft for the conversation, or None."""
    return session.exec(
        select(Draft.body)
        .join(Agent, col(Agent.id) == Draft.agent_id)
        .where(Draft.conversation_id == conversation_id)
        .where(Agent.username == actor)
    ).first()


def delete_draft(session: Session, actor: str, conversation_id: int) -> bool:
    """Forget ``actor``'s draft for the conversation. Returns False when there was none."""
    agent_id = _agent_id(session, actor)
    if agent_id is None:
        return False
    result = session.exec(
        delete(Draft)
        .where(col(Draft.conversation_id) == conversation_id)
        .where(col(Draft.agent_id) == agent_id)
    )
    return bool(result.rowcount)


def list_drafts(session: Session, actor: str) -> list[DraftInfo]:
    """``actor``'s drafts, most recently edited first."""
    rows = session.exec(
        select(Draft, Conversation.subject)
        .join(Agent, col(Agent.id) == Draft.agent_id)
        .join(Conversation, col(Conversation.id) == Draft.conversation_id)
        .where(Agent.username == actor)
        .order_by(col(Draft.updated_at).desc(), col(Draft.id).desc())
    ).all()
    return [
        DraftInfo(
            conversation_id=d.conversation_id,
            subject=subject,
            body=d.body,
            updated_at=d.updated_at,
        )
        for d, subject in rows
    ]


def conversations_with_drafts(
    session: Session, actor: str, conversation_ids: Iterable[int]
) -> set[int]:
    """Which of these conversations ``actor`` has a draft for (the list's "draft" mark)."""
    ids = list(conversation_ids)
    agent_id = _agent_id(session, actor)
    if not ids or agent_id is None:
        return set()
    return set(
        session.exec(
            select(Draft.conversation_id)
            .where(col(Draft.conversation_id).in_(ids))
            .where(Draft.agent_id == agent_id)
        ).all()
    )


def _agent_id(session: Session, username: str) -> int | None:
    return session.exec(select(Agent.id).where(Agent.username == username)).first()

"""The kernel every service shares: who acts, not-found, locking, and recording.

- ``ensure_agent`` / ``find_agent``: the acting agent's row;
- ``NotFound`` and ``conversation_not_found``: the one sentence for a missing row;
- ``lock_conversation``: the conversation locked for this transaction (``FOR UPDATE``
  on PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers);
- ``record``: append an event for a change that is not a message, bumping the version;
- ``append_message``: an agent's reply or note joins the conversation. The rule for
  the conversation's counters, activity, version and reopen-on-reply is
  ``ingest.summary.append_message``, shared with ingest; this adds the event.

Services import these from here, never from one another.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from inbox_tui.errors import UserError
from inbox_tui.ingest.summary import append_message as fold_message
from inbox_tui.ingest.summary import refold
from inbox_tui.models import Agent, Conversation, Direction, Event, EventKind, Message, utcnow
from inbox_tui.store import insert_or_get


class NotFound(UserError):
    """A conversation, agent or article that does not exist (the CLI exits 3)."""

    exit_code = 3


def ensure_agent(
    session: Session, username: str, name: str | None = None, email: str | None = None
) -> Agent:
    """The agent row for ``username``, created on first use."""
    agent = session.exec(select(Agent).where(Agent.username == username)).first()
    if agent is None:
        agent = insert_or_get(
            session,
            Agent(username=username, name=name or username, email=email),
            select(Agent).where(Agent.username == username),
        )
    else:
        if name and agent.name != name:
            agent.name = name
        if email and agent.email != email:
            agent.email = email
    return agent


def find_agent(session: Session, username: str) -> Agent:
    agent = session.exec(select(Agent).where(Agent.username == username)).first()
    if agent is None:
        raise NotFound(f"There is no agent called {username!r}.")
    return agent


def conversation_not_found(conversation_id: int) -> NotFound:
    """The one sentence for a conversation id that is gone (merges fold ids away)."""
    return NotFound(f"Conversation {conversation_id} does not exist (it may have been merged).")


def lock_conversation(session: Session, conversation_id: int) -> Conversation:
    """The conversation, locked for this transaction. Raises NotFound."""
    conv = session.exec(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()
    if conv is None:
        raise conversation_not_found(conversation_id)
    return conv


def record(
    session: Session,
    conv: Conversation,
    agent: Agent | None,
    kind: EventKind,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append an event and bump the conversation's version (the collision check reads it)."""
    event = _event(session, conv, agent, kind, data, at)
    conv.version += 1
    return event


def append_message(
    session: Session,
    conv: Conversation,
    agent: Agent | None,
    direction: Direction,
    kind: EventKind,
    data: dict[str, Any],
    at: datetime,
) -> Event:
    """A message written by an agent (reply, note) joins ``conv`` at ``at``: the
    conversation's summary follows the one rule (``ingest.summary.append_message``:
    one more message and one more version, activity moved forward) and its event
    (``kind``) is appended. The message row itself is the caller's."""
    fold_message(conv, direction, at)
    return _event(session, conv, agent, kind, data, at)


def resummarise(session: Session, conv: Conversation, *, created: bool = True) -> None:
    """The conversation's counters and times recomputed from the messages it has now
    (``ingest.summary.refold``), after messages left it (a merge, undo send)."""
    session.flush()
    rows = session.exec(
        select(Message.direction, Message.sent_at).where(Message.conversation_id == conv.id)
    ).all()
    refold(conv, [(d, t) for d, t in rows], created=created)
    session.add(conv)


# session.info keys: the batch id of this transaction's agent events, and, while an undo
# runs (services/undo.py), the batch it reverts.
BATCH = "inbox_tui.event_batch"
UNDOES = "inbox_tui.undoes"


def event_batch(session: Session) -> str:
    """The batch id shared by the agent events of this write transaction, so what one
    action changed, however many conversations, is undone as one."""
    batch: str = session.info.setdefault(BATCH, uuid.uuid4().hex)
    return batch


def _event(
    session: Session,
    conv: Conversation,
    agent: Agent | None,
    kind: EventKind,
    data: dict[str, Any] | None,
    at: datetime | None,
) -> Event:
    event = Event(
        conversation_id=conv.id,
        agent_id=agent.id if agent else None,
        kind=kind.value,
        at=at or utcnow(),
        data=json.dumps(data or {}, default=str),
        batch=event_batch(session) if agent else None,
        undoes=session.info.get(UNDOES) if agent else None,
    )
    session.add(event)
    session.add(conv)
    return event


def labels(session: Session, ids: list[int], named: int = 8) -> list[str]:
    """How a confirmation names conversations: "#id subject · customer" for the first
    ``named`` of ``ids``, "#id" for the rest (it lists a few and counts the others)."""
    from sqlalchemy import bindparam, text

    head = ids[:named]
    found: dict[int, str] = {}
    if head:
        rows = session.execute(
            text(
                "SELECT c.id, c.subject, ct.name, ct.email FROM conversation c "
                "LEFT JOIN contact ct ON ct.id = c.contact_id WHERE c.id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": head},
        ).all()
        for cid, subject, name, email in rows:
            who = name or email or ""
            found[int(cid)] = f"#{cid} {subject or '(no subject)'}" + (f" · {who}" if who else "")
    return [found.get(i, f"#{i}") for i in head] + [f"#{i}" for i in ids[named:]]


@dataclass(frozen=True)
class Listed:
    """A conversation as a confirmation lists it: its label (``labels``, or the list
    row's subject) and what the agent should know of it before saying yes (``marks``:
    "your unsent draft stays", "already answered"). The screen shows every mark whole
    and shortens the label to make room."""

    id: int
    label: str
    marks: tuple[str, ...] = ()


def listed(ids: list[int], names: list[str], marks: dict[str, set[int]]) -> list[Listed]:
    """``ids`` named by ``names``, each with the marks (keys of ``marks``) it is among."""
    return [
        Listed(i, name, tuple(mark for mark, among in marks.items() if i in among))
        for i, name in zip(ids, names, strict=True)
    ]


ANSWERED_MARK = "already answered"


def answered(session: Session, ids: list[int], since: datetime | None = None) -> set[int]:
    """Which of ``ids`` we have answered (a reply of an agent, sent or waiting in the
    outbox) since ``since``, or, without it, since the customer last wrote: a reply
    sent to all of them would be a second one there."""
    if not ids:
        return set()
    query = (
        select(Message.conversation_id)
        .join(Conversation, col(Conversation.id) == Message.conversation_id)
        .where(col(Message.conversation_id).in_(ids))
        .where(Message.direction == Direction.OUTBOUND.value)
    )
    if since is not None:
        query = query.where(col(Message.sent_at) >= since)
    else:
        customer = func.coalesce(Conversation.last_customer_at, Conversation.created_at)
        query = query.where(col(Message.sent_at) > customer)
    return set(session.exec(query.distinct()).all())

"""Triage use-cases: tag, assign, status, snooze, notes.

Each function takes an open write session and the acting agent's username, changes the
conversation row, appends the matching event, and returns a plain value. The row is
locked first (``FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transaction already
serialises writers), so concurrent agents never lose each other's changes. Doing
nothing (tagging twice, assigning to the current assignee) records no event.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import (
    Agent,
    Conversation,
    ConversationTag,
    Direction,
    Event,
    EventKind,
    Message,
    Status,
    Tag,
    TagKind,
    utcnow,
)
from inbox_tui.store import insert_or_get


class NotFound(UserError):
    pass


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


# session.info keys: the batch id of this transaction's agent events, and, while an undo
# runs (services/undo.py), the batch it reverts.
BATCH = "inbox_tui.event_batch"
UNDOES = "inbox_tui.undoes"


def event_batch(session: Session) -> str:
    """The batch id shared by the agent events of this write transaction."""
    batch: str = session.info.setdefault(BATCH, uuid.uuid4().hex)
    return batch


def record(
    session: Session,
    conv: Conversation,
    agent: Agent | None,
    kind: EventKind,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Append an event and bump the conversation's version (the collision check reads it).

    An agent's events carry the batch of their transaction (``event_batch``), so what one
    action changed, however many conversations, is undone as one."""
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
    conv.version += 1
    session.add(conv)
    return event


def ensure_tag(
    session: Session, name: str, kind: TagKind = TagKind.CATEGORY, color: str = ""
) -> Tag:
    clean = sanitize.one_line(name, 100).strip().lower()
    if not clean:
        raise UserError("A tag needs a name.")
    tag = session.exec(select(Tag).where(Tag.name == clean)).first()
    if tag is None:
        tag = insert_or_get(
            session,
            Tag(name=clean, kind=kind.value, color=color),
            select(Tag).where(Tag.name == clean),
        )
    return tag


def tag(
    session: Session, actor: str, conversation_id: int, tag_name: str, *, at: datetime | None = None
) -> bool:
    """Add a tag (created if new). Returns False when it was already there."""
    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    t = ensure_tag(session, tag_name)
    if session.get(ConversationTag, (conv.id, t.id)) is not None:
        return False
    session.add(ConversationTag(conversation_id=conv.id, tag_id=t.id))  # type: ignore[arg-type]
    record(session, conv, agent, EventKind.TAGGED, {"tag": t.name}, at=at)
    return True


def untag(
    session: Session, actor: str, conversation_id: int, tag_name: str, *, at: datetime | None = None
) -> bool:
    """Remove a tag. Returns False when it was not there."""
    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    t = session.exec(select(Tag).where(Tag.name == tag_name.strip().lower())).first()
    if t is None:
        return False
    link = session.get(ConversationTag, (conv.id, t.id))
    if link is None:
        return False
    session.delete(link)
    record(session, conv, agent, EventKind.UNTAGGED, {"tag": t.name}, at=at)
    return True


def assign(
    session: Session,
    actor: str,
    conversation_id: int,
    assignee: str | None,
    *,
    at: datetime | None = None,
) -> bool:
    """Assign to ``assignee`` (a username; None unassigns). Returns False if unchanged."""
    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    target = find_agent(session, assignee) if assignee and assignee != actor else None
    if assignee == actor:
        target = agent
    new_id = target.id if target else None
    if conv.assignee_id == new_id:
        return False
    previous = session.get(Agent, conv.assignee_id) if conv.assignee_id else None
    conv.assignee_id = new_id
    record(
        session,
        conv,
        agent,
        EventKind.ASSIGNED,
        {
            "from": previous.username if previous else None,
            "to": target.username if target else None,
        },
        at=at,
    )
    return True


def set_status(
    session: Session,
    actor: str,
    conversation_id: int,
    status: Status,
    snooze_until: datetime | None = None,
    *,
    at: datetime | None = None,
) -> bool:
    """Change status. Snoozing needs a wake time in the future. Returns False if unchanged."""
    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    status = Status(status)
    if status is Status.SNOOZED:
        if snooze_until is None:
            raise UserError("Snoozing needs a time to wake up.")
        if snooze_until.tzinfo is None:
            snooze_until = snooze_until.replace(tzinfo=UTC)
        if snooze_until <= (at or utcnow()):
            raise UserError("The snooze time is in the past; pick a later time.")
        changed = conv.status != status.value or conv.snoozed_until != snooze_until
        if not changed:
            return False
        previous, previous_until = conv.status, conv.snoozed_until
        conv.status = status.value
        conv.snoozed_until = snooze_until
        # The previous status and wake time are what an undo restores.
        was = {"from_status": previous, **_until(previous_until)}
        record(
            session,
            conv,
            agent,
            EventKind.SNOOZED,
            {"until": snooze_until.isoformat(), **was},
            at=at,
        )
        if previous != status.value:
            record(
                session,
                conv,
                agent,
                EventKind.STATUS_CHANGED,
                {"from": previous, "to": status.value, **_until(previous_until)},
                at=at,
            )
        return True
    if conv.status == status.value:
        return False
    previous, previous_until = conv.status, conv.snoozed_until
    conv.status = status.value
    conv.snoozed_until = None
    record(
        session,
        conv,
        agent,
        EventKind.STATUS_CHANGED,
        {"from": previous, "to": status.value, **_until(previous_until)},
        at=at,
    )
    return True


def _until(previous_until: datetime | None) -> dict[str, str]:
    """``from_until``: the wake time a change replaced (only snoozed conversations have one)."""
    return {"from_until": previous_until.isoformat()} if previous_until is not None else {}


def snooze(
    session: Session,
    actor: str,
    conversation_id: int,
    until: datetime,
    *,
    at: datetime | None = None,
) -> bool:
    return set_status(session, actor, conversation_id, Status.SNOOZED, until, at=at)


def close(
    session: Session, actor: str, conversation_id: int, *, at: datetime | None = None
) -> bool:
    return set_status(session, actor, conversation_id, Status.CLOSED, at=at)


def add_note(
    session: Session, actor: str, conversation_id: int, body: str, *, at: datetime | None = None
) -> int:
    """Add an internal note (never sent). Returns the note's message row id."""
    text = sanitize.clean(body).strip()
    if not text:
        raise UserError("The note is empty; nothing was saved.")
    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    now = at or utcnow()
    note = Message(
        conversation_id=conv.id,  # type: ignore[arg-type]
        dedupe_key=f"note:{conv.id}:{agent.id}:{now.isoformat()}:{conv.version}",
        source="note",
        direction=Direction.NOTE.value,
        author_name=agent.name or agent.username,
        agent_id=agent.id,
        subject=conv.subject,
        sent_at=now,
        received_at=now,
        body=text,
    )
    session.add(note)
    session.flush()
    conv.message_count += 1
    conv.last_activity_at = max(conv.last_activity_at, now)
    record(session, conv, agent, EventKind.NOTED, {"message": note.id}, at=now)
    assert note.id is not None
    return note.id


def set_rating(
    session: Session,
    actor: str | None,
    conversation_id: int,
    rating: str,
    *,
    at: datetime | None = None,
) -> bool:
    """Record the customer's satisfaction rating: good, ok or bad."""
    if rating not in ("good", "ok", "bad"):
        raise UserError("A rating is good, ok or bad.")
    conv = lock_conversation(session, conversation_id)
    if conv.rating == rating:
        return False
    agent = ensure_agent(session, actor) if actor else None
    conv.rating = rating
    record(session, conv, agent, EventKind.RATED, {"rating": rating}, at=at)
    return True


def wake_snoozed(session: Session, now: datetime | None = None) -> list[int]:
    """Reopen snoozed conversations whose time has come. Returns their ids."""
    now = now or utcnow()
    due = session.exec(
        select(Conversation)
        .where(Conversation.status == Status.SNOOZED.value)
        .where(col(Conversation.snoozed_until) <= now)
        .with_for_update()
    ).all()
    woken = []
    for conv in due:
        conv.status = Status.OPEN.value
        conv.snoozed_until = None
        record(
            session,
            conv,
            None,
            EventKind.STATUS_CHANGED,
            {"from": "snoozed", "to": "open", "reason": "snooze ended"},
            at=now,
        )
        assert conv.id is not None
        woken.append(conv.id)
    return woken

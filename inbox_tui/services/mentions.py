"""@mentions in internal notes: ``@sam`` in a note notifies Sam.

``mentioned_agents`` finds the names in a note (``@`` after a space or at the start, so
``ann@acme.example`` is an address, not a mention) and refuses, in one sentence, a name
that is no agent: the note is not saved then (nothing half-applied). ``notify`` stores
one ``Mention`` per agent named (not the author), in the note's transaction.
``unread`` / ``mark_read`` are the agent's notifications; the "Mentions" view
(``services.views``) lists the conversations that mention them.

The rule of reading (``shown``; the TUI only reports what is on the agent's screen): a
mention is read once its note was on the agent's screen. A conversation opened in the
thread view shows all of it, so every mention in it is read, also one whose note
arrives while it is open (at the refresh that shows it); a preview beside the list
shows only the notes in its sight, read once they stayed there for the preview's dwell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import Agent, Conversation, Mention, Message, utcnow

_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9_.-]{0,99})")
MAX_MENTIONS = 20


def mentioned_names(text: str) -> list[str]:
    """The usernames after ``@`` in ``text``, in order, without repeats."""
    return list(dict.fromkeys(m.group(1).rstrip(".-") for m in _MENTION.finditer(text)))


def mentioned_agents(session: Session, text: str) -> list[Agent]:
    """The agents a note names. Raises UserError for a name that is no agent."""
    names = mentioned_names(text)
    if len(names) > MAX_MENTIONS:
        raise UserError(f"A note may mention at most {MAX_MENTIONS} agents; nothing was saved.")
    if not names:
        return []
    found = {
        a.username.lower(): a
        for a in session.exec(
            select(Agent).where(func.lower(Agent.username).in_([n.lower() for n in names]))
        ).all()
    }
    missing = [n for n in names if n.lower() not in found]
    if missing:
        shown = sanitize.one_line(missing[0], 60)
        raise UserError(
            f"There is no agent called @{shown}; nothing was saved "
            "(mention agents by their username)."
        )
    return [found[n.lower()] for n in names]


def notify(session: Session, note_id: int, author: Agent, agents: list[Agent], at: datetime) -> int:
    """One mention per agent named in note ``note_id`` (the author is not notified of
    their own note). Returns how many."""
    count = 0
    for agent in agents:
        if agent.id == author.id or agent.id is None:
            continue
        session.add(
            Mention(agent_id=agent.id, message_id=note_id, by_agent_id=author.id, created_at=at)
        )
        count += 1
    return count


@dataclass
class MentionRow:
    id: int
    conversation_id: int
    subject: str
    by: str | None
    at: datetime
    note: str
    read: bool


def list_mentions(
    session: Session, me: str, *, unread_only: bool = False, limit: int = 100
) -> list[MentionRow]:
    """``me``'s mentions, newest first."""
    author = aliased(Agent)
    stmt = (
        select(Mention, Message, Conversation.subject, author.username)
        .join(Message, col(Message.id) == Mention.message_id)
        .join(Conversation, col(Conversation.id) == Message.conversation_id)
        .join(Agent, col(Agent.id) == Mention.agent_id)
        .outerjoin(author, col(author.id) == Mention.by_agent_id)
        .where(Agent.username == me)
    )
    if unread_only:
        stmt = stmt.where(col(Mention.read_at).is_(None))
    rows = session.exec(stmt.order_by(col(Mention.id).desc()).limit(limit)).all()
    return [
        MentionRow(
            id=m.id,  # type: ignore[arg-type]
            conversation_id=msg.conversation_id,
            subject=subject,
            by=by,
            at=m.created_at,
            note=msg.body,
            read=m.read_at is not None,
        )
        for m, msg, subject, by in rows
    ]


def unread_count(session: Session, me: str) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Mention)
            .join(Agent, col(Agent.id) == Mention.agent_id)
            .where(Agent.username == me)
            .where(col(Mention.read_at).is_(None))
        ).one()
    )


def mark_read(
    session: Session,
    me: str,
    conversation_id: int | None = None,
    notes: list[int] | None = None,
) -> int:
    """Mark ``me``'s unread mentions read (in one conversation, or all; only those in
    the notes ``notes`` when given: the ones shown on the agent's screen). Returns how
    many."""
    agent = session.exec(select(Agent).where(Agent.username == me)).first()
    if agent is None:
        return 0
    stmt = select(Mention).where(Mention.agent_id == agent.id).where(col(Mention.read_at).is_(None))
    if conversation_id is not None:
        in_conv = select(Message.id).where(Message.conversation_id == conversation_id)
        stmt = stmt.where(col(Mention.message_id).in_(in_conv))
    if notes is not None:
        stmt = stmt.where(col(Mention.message_id).in_(notes or [-1]))
    now = utcnow()
    rows = session.exec(stmt).all()
    for row in rows:
        row.read_at = now
        session.add(row)
    return len(rows)


def shown(session: Session, me: str, conversation_id: int, opened: bool, notes: list[int]) -> int:
    """The TUI showed ``me`` conversation ``conversation_id``: opened in the thread view
    (``opened``), or previewed with the notes ``notes`` in sight after the dwell. The
    mentions that puts on ``me``'s screen are read (the rule: module docstring).
    Returns how many were unread."""
    return mark_read(session, me, conversation_id, None if opened else notes)


def mentioned_conversations(username: str):  # type: ignore[no-untyped-def]
    """The ids of conversations with a note mentioning ``username`` (a subquery)."""
    return (
        select(Message.conversation_id)
        .join(Mention, col(Mention.message_id) == Message.id)
        .join(Agent, col(Agent.id) == Mention.agent_id)
        .where(Agent.username == username)
    )


def unread_in(session: Session, me: str, conversation_ids: list[int]) -> set[int]:
    """Which of these conversations hold a note naming ``me`` that ``me`` has not read
    (the list's ``@`` mark)."""
    if not conversation_ids:
        return set()
    return set(
        session.exec(
            select(Message.conversation_id)
            .join(Mention, col(Mention.message_id) == Message.id)
            .join(Agent, col(Agent.id) == Mention.agent_id)
            .where(Agent.username == me)
            .where(col(Mention.read_at).is_(None))
            .where(col(Message.conversation_id).in_(conversation_ids))
        ).all()
    )


def newest_id(session: Session) -> int:
    """The newest mention's id, anyone's: the baseline the TUI's toasts count from."""
    return int(session.exec(select(func.max(Mention.id))).one() or 0)


def unread_since(session: Session, me: str, after_id: int) -> list[MentionRow]:
    """``me``'s unread mentions newer than ``after_id``, oldest first (the TUI toasts
    each once, at the poll or at PostgreSQL's notice)."""
    rows = [r for r in list_mentions(session, me, unread_only=True, limit=50) if r.id > after_id]
    return sorted(rows, key=lambda r: r.id)


@dataclass
class Completion:
    """An ``@name`` being typed: where it starts and ends in the text, what was typed
    after the ``@``, and the agents' usernames that start with it."""

    start: int
    end: int
    typed: str
    names: list[str]


def complete(text: str, cursor: int, usernames: list[str]) -> Completion | None:
    """The ``@name`` ending at ``cursor`` in ``text`` and the usernames it could be
    (those that start with it, case-insensitively, in the given order), or None when
    the cursor is not after an ``@`` word, as the note's mentions are found."""
    before = text[:cursor]
    at = before.rfind("@")
    if at < 0:
        return None
    typed = before[at + 1 :]
    if typed and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", typed):
        return None
    if at > 0 and re.match(r"[\w@.]", before[at - 1]):
        return None  # an address (ann@acme.example), not a mention
    low = typed.lower()
    names = [n for n in usernames if n.lower().startswith(low) and n.lower() != low]
    return Completion(at, cursor, typed, names) if names else None

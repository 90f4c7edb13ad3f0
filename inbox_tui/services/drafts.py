"""Drafts: the reply or internal note an agent is writing, kept in the store until it is
sent (saved) or discarded.

One draft per conversation, agent and kind (``draft`` table, migrations 0004 and 0012;
kind "reply", "note" or "forward"). The composer saves it as the agent types and when it closes;
``r`` (``n`` for a note) on the conversation again, in this session or another one,
after a restart or a crash, brings it back. ``queue_reply`` deletes the reply draft in
the transaction that queues the reply, and ``add_note`` the note draft in the one that
saves the note, so nothing sent comes back as a draft, and a failure keeps it.

A draft is not a change to the conversation: no event, no version bump (another agent's
collision check must not fire because someone is typing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import Agent, Conversation, Draft, utcnow
from inbox_tui.services.core import Listed, conversation_not_found, ensure_agent, labels, listed
from inbox_tui.store import insert_or_get

# A draft is text an agent typed; a paste of a whole log file is not a reply.
MAX_DRAFT_CHARS = 500_000
KINDS = ("reply", "note", "forward")  # a forward's draft keeps its recipients too


@dataclass
class DraftInfo:
    conversation_id: int
    subject: str
    body: str
    updated_at: datetime
    kind: str = "reply"


def join_texts(first: str, then: str) -> str:
    """``then`` after ``first``, a blank line between when both have text: how a kept
    draft and what a flow adds (a macro's text, an article) meet. Typed text is never
    joined so: it goes where the cursor is (``keep_typed``, the composer's held keys)."""
    if first.strip() and then.strip():
        return first.rstrip("\n") + "\n\n" + then.lstrip("\n")
    return first if first.strip() else then


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"a draft is a reply, a note or a forward, not {kind!r}")


def save_draft(
    session: Session,
    actor: str,
    conversation_id: int,
    body: str,
    *,
    at: datetime | None = None,
    kind: str = "reply",
    review: dict[str, object] | None = None,
) -> bool:
    """Keep ``body`` as ``actor``'s draft of a reply (or note) on the conversation. Text
    that is only whitespace deletes the draft instead. Returns True when one is kept.
    ``review``: the review step's edits (``Review.edits``) to keep with it, ``{}`` for
    none; None leaves those kept before as they are (the composer's autosave)."""
    _check_kind(kind)
    text = sanitize.clean(body)
    if not text.strip() and not (kind == "forward" and review):  # a forward's note may be empty
        delete_draft(session, actor, conversation_id, kind=kind)
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
        .where(Draft.kind == kind)
    )
    draft = session.exec(lookup.with_for_update()).first()
    if draft is None:
        # Two sessions of one agent saving at once: the second updates the first's row.
        draft = insert_or_get(
            session,
            Draft(conversation_id=conversation_id, agent_id=agent.id, body=text, kind=kind),
            lookup,
        )
    draft.body = text
    if review is not None:
        draft.review = json.dumps(review, ensure_ascii=False) if review else None
    draft.updated_at = at or utcnow()
    session.add(draft)
    return True


def get_draft(
    session: Session, actor: str, conversation_id: int, *, kind: str = "reply"
) -> str | None:
    """``actor``'s draft of a reply (or note) on the conversation, or None."""
    return session.exec(
        select(Draft.body)
        .join(Agent, col(Agent.id) == Draft.agent_id)
        .where(Draft.conversation_id == conversation_id)
        .where(Agent.username == actor)
        .where(Draft.kind == kind)
    ).first()


def get_review_edits(
    session: Session, actor: str, conversation_id: int, *, kind: str = "reply"
) -> dict[str, object]:
    """The review step's edits kept with ``actor``'s draft, or ``{}``."""
    raw = session.exec(
        select(Draft.review)
        .join(Agent, col(Agent.id) == Draft.agent_id)
        .where(Draft.conversation_id == conversation_id)
        .where(Agent.username == actor)
        .where(Draft.kind == kind)
    ).first()
    try:
        edits = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return edits if isinstance(edits, dict) else {}


def keep_typed(
    session: Session, actor: str, conversation_id: int, typed: str, *, kind: str = "reply"
) -> bool:
    """Keep text typed into a composer that closed before its kept draft arrived: after
    that draft, never instead of it, exactly where it would have gone typed once the
    draft was in (the cursor at its end: " more" onto "hello" is "hello more", not a
    paragraph of its own, walk9). Returns True when a draft is kept."""
    if not typed.strip():
        return get_draft(session, actor, conversation_id, kind=kind) is not None
    kept = get_draft(session, actor, conversation_id, kind=kind) or ""
    return save_draft(session, actor, conversation_id, kept + typed, kind=kind)


def keep_composer_text(
    session: Session,
    actor: str,
    conversation_id: int,
    text: str,
    kind: str,
    complete: bool,
    review: Any,
) -> bool:
    """A composer closing (Esc, or the app quitting): its text kept as the draft, with
    the review step's edits (``review``: a ``services.review.Review``, or None; not
    imported here, since the review reads replies, which read drafts), or, when it
    closed before its kept draft arrived (``complete`` False), only what was typed,
    after that draft."""
    if not complete:
        return keep_typed(session, actor, conversation_id, text, kind=kind)
    edits = review.edits() if review is not None else None
    return save_draft(session, actor, conversation_id, text, kind=kind, review=edits)


def delete_draft(
    session: Session, actor: str, conversation_id: int, *, kind: str = "reply"
) -> bool:
    """Forget ``actor``'s draft of a reply (or note) on the conversation. Returns False
    when there was none."""
    agent_id = _agent_id(session, actor)
    if agent_id is None:
        return False
    result = session.exec(
        delete(Draft)
        .where(col(Draft.conversation_id) == conversation_id)
        .where(col(Draft.agent_id) == agent_id)
        .where(col(Draft.kind) == kind)
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
            kind=d.kind,
        )
        for d, subject in rows
    ]


def conversations_with_drafts(
    session: Session, actor: str, conversation_ids: Iterable[int]
) -> set[int]:
    """Which of these conversations ``actor`` has an unsent reply for (the list's "draft"
    mark)."""
    ids = list(conversation_ids)
    agent_id = _agent_id(session, actor)
    if not ids or agent_id is None:
        return set()
    return set(
        session.exec(
            select(Draft.conversation_id)
            .where(col(Draft.conversation_id).in_(ids))
            .where(Draft.agent_id == agent_id)
            .where(Draft.kind == "reply")
        ).all()
    )


def _agent_id(session: Session, username: str) -> int | None:
    return session.exec(select(Agent.id).where(Agent.username == username)).first()


DRAFT_MARK = "your unsent draft stays"


def drafted(session: Session, actor: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` hold ``actor``'s unsent reply draft."""
    if not ids:
        return set()
    return set(
        session.exec(
            select(Draft.conversation_id)
            .join(Agent, col(Agent.id) == Draft.agent_id)
            .where(col(Draft.conversation_id).in_(ids))
            .where(Agent.username == actor)
            .where(Draft.kind == "reply")
        ).all()
    )


def labels_marking_drafts(session: Session, actor: str, ids: list[int]) -> list[Listed]:
    """How a bulk confirmation lists ``ids`` (``core.labels``), each holding the agent's
    unsent reply draft marked: a macro's reply sent to all of them leaves that draft as
    it is (walk7: confirming an incident deleted one, and nothing said so)."""
    return listed(ids, labels(session, ids), {DRAFT_MARK: drafted(session, actor, ids)})

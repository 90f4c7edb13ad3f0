"""Triage use-cases: tag, assign, status, snooze, notes.

Each function takes an open write session and the acting agent's username, changes the
conversation row, appends the matching event, and returns a plain value. The row is
locked first (``services.core.lock_conversation``), so concurrent agents never lose
each other's changes. Doing
nothing (tagging twice, assigning to the current assignee) records no event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func
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
from inbox_tui.services import mentions
from inbox_tui.services.attachments import files_json, read_attachments
from inbox_tui.services.core import (
    ANSWERED_MARK,
    Listed,
    NotFound,
    answered,
    append_message,
    ensure_agent,
    find_agent,
    listed,
    lock_conversation,
    record,
)
from inbox_tui.services.drafts import DRAFT_MARK, delete_draft, drafted
from inbox_tui.store import insert_or_get

if TYPE_CHECKING:
    from inbox_tui.config import Config


def ensure_tag(
    session: Session, name: str, kind: TagKind = TagKind.MODIFIER, color: str = ""
) -> Tag:
    """The tag ``name``, created of ``kind`` when it is new (an existing tag keeps its
    kind). A tag made on the fly (the ``t`` picker, ``conv tag``, a macro or a rule) is a
    modifier unless a category is asked for: a category counts in the stats' "closed
    without a category" share and in the question asked on closing, so one is made only
    on purpose (the picker's "New category" row, ``inbox-tui tags kind``)."""
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
    session: Session,
    actor: str,
    conversation_id: int,
    tag_name: str,
    *,
    at: datetime | None = None,
    kind: TagKind = TagKind.MODIFIER,
) -> bool:
    """Add a tag (created of ``kind`` if new, see ``ensure_tag``). Returns False when
    it was already there."""
    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    t = ensure_tag(session, tag_name, kind)
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
    cause: str | None = None,
    outbox: int | None = None,
) -> bool:
    """Change status. Snoozing needs a wake time in the future. Returns False if unchanged.
    ``cause``: the action this change is a side effect of ("follow-up", "reply", "undo
    send", "undo"), kept in the event: closing again what such a change took out of
    closed is no new close in the stats (``store.aggregates``). ``outbox``: the reply
    whose send-and-close this is (its close counts when the reply goes)."""
    because: dict[str, object] = {"cause": cause} if cause else {}
    if outbox is not None:
        because["outbox"] = outbox
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
                {"from": previous, "to": status.value, **_until(previous_until), **because},
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
        {"from": previous, "to": status.value, **_until(previous_until), **because},
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
    session: Session,
    actor: str,
    conversation_id: int,
    body: str,
    *,
    at: datetime | None = None,
    attachments: Sequence[str | Path] = (),
    config: Config | None = None,
) -> int:
    """Add an internal note (never sent). Returns the note's message row id. Agents
    named with ``@username`` are notified (services/mentions.py); a name that is no
    agent is one sentence and nothing is saved. ``attachments``: files (paths) kept
    with the note like an incoming message's (``blob``, once per sha256), within the
    ``[mail]`` caps of ``config``; a missing or too large one saves nothing."""
    text = sanitize.clean(body).strip()
    if not text:
        raise UserError("The note is empty; nothing was saved.")
    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    named = mentions.mentioned_agents(session, text)  # an unknown @name saves nothing
    files = []
    if attachments:
        from inbox_tui.config import MailSettings

        mail = config.mail if config is not None else MailSettings()
        files = read_attachments(attachments, mail, "nothing was saved")
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
        attachments=files_json(session, files),
    )
    session.add(note)
    session.flush()
    assert note.id is not None
    data: dict[str, object] = {"message": note.id}
    if named:
        data["mentions"] = [a.username for a in named]
    append_message(session, conv, agent, Direction.NOTE, EventKind.NOTED, data, now)
    mentions.notify(session, note.id, agent, named, now)
    # Saved: the note's draft goes in the same transaction (a failed save keeps it).
    delete_draft(session, actor, conv.id, kind="note")  # type: ignore[arg-type]
    return note.id


def set_rating(
    session: Session,
    actor: str | None,
    conversation_id: int,
    rating: str,
    *,
    at: datetime | None = None,
    via: str | None = None,
    message_id: str | None = None,
) -> bool:
    """Record the customer's satisfaction rating: good, ok or bad (the latest wins).
    ``via`` and ``message_id`` say where it came from (a rating mail: services/ratings)."""
    if rating not in ("good", "ok", "bad"):
        raise UserError("A rating is good, ok or bad.")
    conv = lock_conversation(session, conversation_id)
    if conv.rating == rating:
        return False
    agent = ensure_agent(session, actor) if actor else None
    conv.rating = rating
    data: dict[str, object] = {"rating": rating}
    if via:
        data["via"] = via
    if message_id:
        data["message_id"] = message_id
    record(session, conv, agent, EventKind.RATED, data, at=at)
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


# -- bulk: one action over the agent's selection, in one transaction ---------------------
# Each returns how many conversations changed (doing nothing to one is not an error).


def tag_many(
    session: Session,
    actor: str,
    ids: list[int],
    tag_name: str,
    *,
    at: datetime | None = None,
    kind: TagKind = TagKind.MODIFIER,
) -> int:
    return sum(tag(session, actor, cid, tag_name, at=at, kind=kind) for cid in ids)


def list_tags(session: Session) -> list[tuple[str, str, int]]:
    """Every tag: its name, kind and how many conversations carry it, by name."""
    rows = session.execute(
        select(Tag.name, Tag.kind, func.count(col(ConversationTag.conversation_id)))
        .outerjoin(ConversationTag, col(ConversationTag.tag_id) == Tag.id)
        .group_by(col(Tag.id), col(Tag.name), col(Tag.kind))
        .order_by(col(Tag.name))
    ).all()
    return [(str(name), str(kind), int(n)) for name, kind, n in rows]


def set_tag_kind(session: Session, name: str, kind: TagKind) -> bool:
    """Make the tag ``name`` a category or a modifier (``inbox-tui tags kind``). Returns
    False when it already was; raises TagNotFound when there is no such tag. The stats
    read kinds when they report, so the change counts at once, back in time too."""
    clean = name.strip().lower()
    tag = session.exec(select(Tag).where(Tag.name == clean)).first()
    if tag is None:
        raise NotFound(f"There is no tag “{sanitize.one_line(clean, 60)}”.")
    if tag.kind == kind.value:
        return False
    tag.kind = kind.value
    session.add(tag)
    return True


def untag_many(
    session: Session, actor: str, ids: list[int], tag_name: str, *, at: datetime | None = None
) -> int:
    return sum(untag(session, actor, cid, tag_name, at=at) for cid in ids)


def assign_many(
    session: Session,
    actor: str,
    ids: list[int],
    assignee: str | None,
    *,
    at: datetime | None = None,
) -> int:
    return sum(assign(session, actor, cid, assignee, at=at) for cid in ids)


def set_status_many(
    session: Session, actor: str, ids: list[int], status: str, *, at: datetime | None = None
) -> int:
    return sum(set_status(session, actor, cid, Status(status), at=at) for cid in ids)


def close_many(session: Session, actor: str, ids: list[int], *, at: datetime | None = None) -> int:
    return sum(close(session, actor, cid, at=at) for cid in ids)


def snooze_many(
    session: Session, actor: str, ids: list[int], until: datetime, *, at: datetime | None = None
) -> int:
    return sum(snooze(session, actor, cid, until, at=at) for cid in ids)


@dataclass
class BulkTargets:
    """The selected conversations a bulk action still applies to, and the ones left
    out, each with the reason in one plain sentence."""

    kept: list[int]
    dropped: list[str]
    drafted: set[int] = field(default_factory=set)  # the kept holding the agent's draft
    answered: set[int] = field(default_factory=set)  # ... we answered since the customer wrote

    def listed(self, names: list[str]) -> list[Listed]:
        """The kept, named by ``names``, as the confirmation lists them: marked where
        the agent's draft stays and where a reply would be a second one."""
        marks = {ANSWERED_MARK: self.answered, DRAFT_MARK: self.drafted}
        return listed(self.kept, names, marks)


def bulk_targets(
    session: Session,
    ids: list[int],
    seen: dict[int, str],
    actor: str | None = None,
    replies: bool = False,
) -> BulkTargets:
    """Re-check a selection when its action is confirmed: a conversation closed since it
    was selected (``seen``: its status then), by another agent or elsewhere, or gone
    (merged away), is left out, and the sentence says who closed it. ``actor``: which
    kept ones hold their unsent draft (the confirmation says it stays); ``replies``: the
    action replies to each, so which we answered since the customer last wrote. Only
    an action that replies marks drafts: a tag, close or assign touches none (walk11:
    tagging three said "your unsent draft stays" beside one)."""
    kept: list[int] = []
    dropped: list[str] = []
    for cid in ids:
        conv = session.get(Conversation, cid)
        if conv is None:
            dropped.append(f"#{cid} no longer exists (merged into another conversation?).")
            continue
        if conv.status == Status.CLOSED.value and seen.get(cid, Status.CLOSED.value) != conv.status:
            who = _closed_by(session, cid)
            subject = sanitize.one_line(conv.subject, 50)
            dropped.append(f"#{cid} “{subject}” was closed by {who} since you selected it.")
            continue
        kept.append(cid)
    marked = drafted(session, actor, kept) if actor is not None and replies else set()
    return BulkTargets(kept, dropped, marked, answered(session, kept) if replies else set())


def _closed_by(session: Session, cid: int) -> str:
    rows = session.exec(
        select(Event.data, Agent.name, Agent.username)
        .join(Agent, col(Agent.id) == Event.agent_id, isouter=True)
        .where(Event.conversation_id == cid)
        .where(Event.kind == EventKind.STATUS_CHANGED.value)
        .order_by(col(Event.id).desc())
        .limit(20)
    ).all()
    for data, name, username in rows:
        if '"closed"' in data and json.loads(data).get("to") == Status.CLOSED.value:
            return sanitize.one_line(name or username or "a rule", 40)
    return "someone"

"""Merging and splitting conversations by hand (the customer wrote twice; two questions
in one thread).

- ``merge``: everything of one conversation moves into another (``ingest.threading.
  fold_into``, the rule the ingest uses when a message links two threads) and the
  ``merged`` event on the kept conversation records what came from where: the messages,
  events, thread refs and tags that moved, and the merged conversation's own row.
- ``unmerge``: the latest hand merge into a conversation, reversed from that record:
  the merged conversation comes back under its old number with its messages, events,
  refs and tags (what happened to them since stays where it happened).
- ``split``: a message and its replies move out into a new conversation.

Each is one ``split``/``merged`` event per conversation; events move with the messages
they describe, so the stats (folded from each conversation's events) follow exactly.
The undo key (ctrl+z, ``services.undo``) takes back the agent's last hand merge
(through ``unmerge``) or split (merging it back); so do ``unmerge`` and ``merge``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from inbox_tui.errors import UserError
from inbox_tui.ingest.threading import fold_into
from inbox_tui.models import (
    Conversation,
    ConversationTag,
    Event,
    EventKind,
    Message,
    Outbox,
    OutboxStatus,
    Status,
    Tag,
    ThreadRef,
)
from inbox_tui.services.agent_clock import agent_time
from inbox_tui.services.core import ensure_agent, lock_conversation, record, resummarise
from inbox_tui.store import note_core_writes

# The fields of a conversation row a merge keeps, so unmerge can put it back.
_ROW = (
    "subject",
    "channel",
    "source",
    "status",
    "snoozed_until",
    "assignee_id",
    "contact_id",
    "created_at",
    "last_activity_at",
    "last_customer_at",
    "rating",
    "target_first",  # a rule's response targets for it alone
    "target_next",
)
_TIMES = {"snoozed_until", "created_at", "last_activity_at", "last_customer_at"}


@dataclass
class Moved:
    """What a merge, unmerge or split did: the conversation kept, the other one, and how
    many messages moved."""

    kept: int
    other: int
    messages: int


def refuse_self_merge(source_id: int, target_id: int) -> None:
    """Raises the sentence for merging a conversation into itself (the TUI's merge
    picker says it before it closes)."""
    if source_id == target_id:
        raise UserError(f"Conversation {source_id} cannot be merged into itself.")


def merge(
    session: Session, actor: str, source_id: int, target_id: int, *, at: datetime | None = None
) -> Moved:
    """Merge conversation ``source_id`` into ``target_id``. Raises UserError/NotFound."""
    refuse_self_merge(source_id, target_id)
    agent = ensure_agent(session, actor)
    # Locked in id order, so two agents merging the same pair both ways cannot deadlock.
    locked = {cid: lock_conversation(session, cid) for cid in sorted((source_id, target_id))}
    src, target = locked[source_id], locked[target_id]
    messages = _ids(session, select(Message.id).where(Message.conversation_id == source_id))
    data: dict[str, Any] = {
        "from": source_id,
        "by_hand": True,
        "row": {k: _plain(getattr(src, k)) for k in _ROW},
        "messages": messages,
        "events": _ids(session, select(Event.id).where(Event.conversation_id == source_id)),
        "refs": list(
            session.exec(select(ThreadRef.ref).where(ThreadRef.conversation_id == source_id)).all()
        ),
        "tags": _tag_names(session, source_id),
        "added_tags": sorted(
            set(_tag_names(session, source_id)) - set(_tag_names(session, target_id))
        ),
        "assignee_before": target.assignee_id,
    }
    fold_into(session, source_id, target)
    note_core_writes(session, [source_id, target_id])
    record(session, target, agent, EventKind.MERGED, data, at=at)
    return Moved(target_id, source_id, len(messages))


def unmerge(
    session: Session,
    actor: str,
    conversation_id: int,
    *,
    at: datetime | None = None,
    event_id: int | None = None,
) -> Moved:
    """Reverse the latest hand merge into ``conversation_id`` not reversed yet, or the
    merge ``event_id`` (the undo key's: the agent's own merge, never the merge that
    took back a split since)."""
    agent = ensure_agent(session, actor)
    target = lock_conversation(session, conversation_id)
    event, data = _last_merge(session, conversation_id, event_id)
    old_id = int(data["from"])
    if session.get(Conversation, old_id) is not None:
        raise UserError(f"Conversation {old_id} exists again; nothing was changed.")
    row: dict[str, Any] = {
        k: (datetime.fromisoformat(v) if k in _TIMES and v else v) for k, v in data["row"].items()
    }
    back = Conversation(id=old_id, version=1, message_count=0)
    for key, value in row.items():
        setattr(back, key, value)
    session.add(back)
    session.flush()
    moved = _move_messages(session, conversation_id, old_id, data.get("messages", []))
    _move(session, Event, conversation_id, old_id, data.get("events", []))
    refs = data.get("refs", [])
    for i in range(0, len(refs), 500):
        session.execute(
            update(ThreadRef)
            .where(col(ThreadRef.conversation_id) == conversation_id)
            .where(col(ThreadRef.ref).in_(refs[i : i + 500]))
            .values(conversation_id=old_id)
        )
    _set_tags(session, old_id, data.get("tags", []), add=True)
    _set_tags(session, conversation_id, data.get("added_tags", []), add=False)
    if data.get("assignee_before") is None and target.assignee_id == row.get("assignee_id"):
        target.assignee_id = None
    resummarise(session, target)
    resummarise(session, back)
    note_core_writes(session, [conversation_id, old_id])
    info = {"undoes_merge": event.id, "messages": moved}
    record(session, target, agent, EventKind.SPLIT, {"to": old_id, **info}, at=at)
    record(session, back, agent, EventKind.SPLIT, {"from": conversation_id, **info}, at=at)
    return Moved(conversation_id, old_id, len(moved))


def split(
    session: Session,
    actor: str,
    conversation_id: int,
    message_id: int,
    *,
    at: datetime | None = None,
) -> Moved:
    """Move message ``message_id`` and its replies out of ``conversation_id`` into a new
    conversation. Returns the new conversation in ``other``."""
    agent = ensure_agent(session, actor)
    conv = lock_conversation(session, conversation_id)
    msgs = list(
        session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.sent_at), col(Message.id))
        ).all()
    )
    first = next((m for m in msgs if m.id == message_id), None)
    if first is None:
        raise UserError(f"Message {message_id} is not in conversation {conversation_id}.")
    moving = _replies(msgs, first)
    if len(moving) == len(msgs):
        raise UserError(
            f"Message {message_id} and its replies are all of conversation {conversation_id}; "
            "there is nothing to split it from."
        )
    if _not_gone_out(session, [m.id for m in moving if m.id is not None]):
        raise UserError(
            "A reply among these has not gone out yet (it waits in the outbox); send it or "
            "take it back (B, outbox cancel) before splitting it off."
        )
    new = Conversation(
        subject=first.subject or conv.subject,
        channel=conv.channel,
        source=conv.source,
        status=Status.OPEN.value,
        contact_id=first.contact_id or conv.contact_id,
        created_at=first.sent_at,
        last_activity_at=first.sent_at,
    )
    session.add(new)
    session.flush()
    assert new.id is not None
    ids = [m.id for m in moving if m.id is not None]
    _move_messages(session, conversation_id, new.id, ids)
    events = _message_events(session, conversation_id, set(ids))
    _move(session, Event, conversation_id, new.id, events)
    refs = [m.message_id for m in moving if m.message_id]
    for i in range(0, len(refs), 500):
        session.execute(
            update(ThreadRef)
            .where(col(ThreadRef.conversation_id) == conversation_id)
            .where(col(ThreadRef.ref).in_(refs[i : i + 500]))
            .values(conversation_id=new.id)
        )
    resummarise(session, conv)
    resummarise(session, new)
    note_core_writes(session, [conversation_id, new.id])
    info = {"messages": ids, "events": events}
    record(session, conv, agent, EventKind.SPLIT, {"to": new.id, **info}, at=at)
    record(session, new, agent, EventKind.SPLIT, {"from": conversation_id, **info}, at=at)
    return Moved(conversation_id, new.id, len(ids))


def _replies(msgs: list[Message], first: Message) -> list[Message]:
    """``first`` and every later message that answers it, directly or through another."""
    ids = {first.message_id} if first.message_id else set()
    out = [first]
    for m in msgs:
        if m is first or (m.sent_at, m.id or 0) < (first.sent_at, first.id or 0):
            continue
        parents = {m.in_reply_to, *(m.refs or "").split()} - {None, ""}
        if parents & ids:
            out.append(m)
            if m.message_id:
                ids.add(m.message_id)
    return out


def _last_merge(
    session: Session, conversation_id: int, event_id: int | None = None
) -> tuple[Event, dict[str, Any]]:
    """The newest hand merge into the conversation not reversed yet (``event_id``: that
    one). A merge the undo key made to take back a split is no hand merge of the
    agent's: unmerging it would bring the split back, not the merged conversation."""
    events = session.exec(
        select(Event)
        .where(Event.conversation_id == conversation_id)
        .where(col(Event.kind).in_([EventKind.MERGED.value, EventKind.SPLIT.value]))
        .order_by(col(Event.id).desc())
    ).all()
    undone = set()
    for e in events:
        data = json.loads(e.data or "{}")
        if e.kind == EventKind.SPLIT.value and data.get("undoes_merge"):
            undone.add(data["undoes_merge"])
        elif (
            e.kind == EventKind.MERGED.value
            and data.get("by_hand")
            and e.id not in undone
            and (e.id == event_id if event_id is not None else e.undoes is None)
        ):
            return e, data
    raise UserError(f"Conversation {conversation_id} has no merge to take back.")


def _move_messages(session: Session, src: int, dst: int, ids: list[int]) -> list[int]:
    """Move these messages (those still in ``src``); returns the ids moved."""
    present = []
    for i in range(0, len(ids), 500):
        present += _ids(
            session,
            select(Message.id)
            .where(Message.conversation_id == src)
            .where(col(Message.id).in_(ids[i : i + 500])),
        )
    _move(session, Message, src, dst, present)
    return present


def _move(session: Session, model: Any, src: int, dst: int, ids: list[int]) -> None:
    for i in range(0, len(ids), 500):
        session.execute(
            update(model)
            .where(model.conversation_id == src)
            .where(model.id.in_(ids[i : i + 500]))
            .values(conversation_id=dst)
        )


def _message_events(session: Session, conversation_id: int, message_ids: set[int]) -> list[int]:
    """The events that describe these messages (received, replied, noted)."""
    kinds = [EventKind.RECEIVED.value, EventKind.REPLIED.value, EventKind.NOTED.value]
    out = []
    for eid, raw in session.exec(
        select(Event.id, Event.data)
        .where(Event.conversation_id == conversation_id)
        .where(col(Event.kind).in_(kinds))
    ).all():
        if json.loads(raw or "{}").get("message") in message_ids and eid is not None:
            out.append(eid)
    return out


def _set_tags(session: Session, conversation_id: int, names: list[str], *, add: bool) -> None:
    for name in names:
        tag = session.exec(select(Tag).where(Tag.name == name)).first()
        if tag is None or tag.id is None:
            continue
        link = session.get(ConversationTag, (conversation_id, tag.id))
        if add and link is None:
            session.add(ConversationTag(conversation_id=conversation_id, tag_id=tag.id))
        elif not add and link is not None:
            session.delete(link)


def _tag_names(session: Session, conversation_id: int) -> list[str]:
    return list(
        session.exec(
            select(Tag.name)
            .join(ConversationTag, col(ConversationTag.tag_id) == Tag.id)
            .where(ConversationTag.conversation_id == conversation_id)
            .order_by(Tag.name)
        ).all()
    )


def _ids(session: Session, stmt: Any) -> list[int]:
    return [int(i) for i in session.exec(stmt).all() if i is not None]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# -- choosing what to merge or split (the TUI's pickers and confirmations) -------------


@dataclass
class Choice:
    """A line a picker offers: the id (conversation or message), its label and hint."""

    id: int
    label: str
    hint: str


def merge_candidates(
    session: Session, conversation_id: int, zone: str = "UTC", limit: int = 50
) -> list[Choice]:
    """The same customer's other conversations, newest activity first: what the
    conversation could be merged with (the customer wrote twice)."""
    from inbox_tui import sanitize
    from inbox_tui.services.core import conversation_not_found

    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise conversation_not_found(conversation_id)
    if conv.contact_id is None:
        return []
    rows = session.exec(
        select(Conversation)
        .where(Conversation.contact_id == conv.contact_id)
        .where(Conversation.id != conversation_id)
        .order_by(col(Conversation.last_activity_at).desc(), col(Conversation.id).desc())
        .limit(limit)
    ).all()
    return [
        Choice(
            c.id,  # type: ignore[arg-type]
            f"#{c.id} {sanitize.one_line(c.subject or '(no subject)', 40)}",
            f"{c.status} · {c.message_count} msg · "
            + agent_time(c.last_activity_at, zone, "%d %b %Y", named=False),
        )
        for c in rows
    ]


def describe(session: Session, conversation_id: int) -> str:
    """One line naming a conversation for a confirmation: number, subject, customer."""
    from inbox_tui import sanitize
    from inbox_tui.models import Contact
    from inbox_tui.services.core import conversation_not_found

    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise conversation_not_found(conversation_id)
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    who = (contact.name or contact.email or contact.key) if contact else "unknown customer"
    subject = sanitize.one_line(conv.subject or "(no subject)", 36)
    return f"#{conv.id} “{subject}” · {sanitize.one_line(who, 20)}"


def split_choices(
    session: Session, conversation_id: int, zone: str = "UTC", limit: int = 200
) -> list[Choice]:
    """The messages ``split`` would take out of the conversation (each with how many
    replies go with it), newest first; the one message whose replies are the whole
    conversation is left out (there would be nothing left to split it from)."""
    from inbox_tui import sanitize
    from inbox_tui.services.core import conversation_not_found

    if session.get(Conversation, conversation_id) is None:
        raise conversation_not_found(conversation_id)
    msgs = list(
        session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.sent_at), col(Message.id))
        ).all()
    )
    out = []
    waiting = _not_gone_out(session, [m.id for m in msgs if m.id is not None])
    for m in reversed(msgs[-limit:]):
        taken = _replies(msgs, m)
        moving = len(taken)
        if moving == len(msgs) or m.id is None or waiting & {t.id for t in taken}:
            continue  # the whole conversation, or a reply still in the outbox with it
        first = " ".join(m.body.split())  # the whole text on one line, cut below
        kind = {"in": "customer", "out": "reply", "note": "note"}.get(m.direction, m.direction)
        who = sanitize.one_line(m.author_name or m.author_email or "?", 16)
        label = f"{agent_time(m.sent_at, zone, '%d %b %H:%M', named=False)} {who}: {first}"
        more = moving - 1
        hint = kind + (f", +{more} repl{'y' if more == 1 else 'ies'}" if more else "")
        out.append(Choice(m.id, sanitize.one_line(label, 48), hint))
    return out


# A reply whose message is stored but which has not left (or may not have): split off,
# its outbox row stayed with the old conversation while its message moved (walk4).
_NOT_GONE = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value, OutboxStatus.HELD.value)


def _not_gone_out(session: Session, message_ids: list[int]) -> set[int]:
    """Which of these messages are replies still waiting in the outbox."""
    if not message_ids:
        return set()
    rows = session.exec(
        select(Outbox.message_row_id)
        .where(col(Outbox.message_row_id).in_(message_ids))
        .where(col(Outbox.status).in_(_NOT_GONE))
    ).all()
    return {int(r) for r in rows if r is not None}


def describe_merge(session: Session, source_id: int, target_id: int) -> tuple[str, str, list[str]]:
    """The two lines a merge's confirmation names (the one merged away, the one kept)
    and a plain warning when they are different customers' (empty when the same); the
    sentence ``merge`` would give for the same conversation or a missing one."""
    refuse_self_merge(source_id, target_id)
    return (
        describe(session, source_id),
        describe(session, target_id),
        customers_differ(session, source_id, target_id),
    )


def customers_differ(session: Session, source_id: int, target_id: int) -> list[str]:
    """A warning naming both customers when the two conversations are not the same
    customer's (its lines; none when the same): after the merge, a reply answers
    whoever wrote last."""
    from inbox_tui import sanitize
    from inbox_tui.models import Contact

    src, kept = session.get(Conversation, source_id), session.get(Conversation, target_id)
    if src is None or kept is None or src.contact_id == kept.contact_id:
        return []

    def who(conv: Conversation) -> str:
        contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
        if contact is None:
            return "an unknown customer"
        name = contact.name or contact.email or contact.key
        if contact.name and contact.email:
            name += f" <{contact.email}>"
        return sanitize.one_line(name, 60)

    return [
        "⚠ These are two different customers:",
        f"#{source_id} is {who(src)}'s",
        f"#{target_id} is {who(kept)}'s",
        "after the merge, r answers whoever wrote last (the review names them)",
    ]

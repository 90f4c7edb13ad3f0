"""Undo the agent's last triage change, through the event log.

Every event an agent records carries the batch of its write transaction
(``core.event_batch``): a tag, a snooze (two events), or a bulk close of twelve
conversations is one batch. ``undo_last`` finds this agent's newest batch of triage
events (tag, untag, assign, status, snooze, close) inside the window that has not been
undone, and puts each conversation back as it was before the batch, through the same
triage functions (so the events, the version bump and the stats aggregates follow).
The events the undo records carry ``undoes = <batch>``: the undo is itself in the log,
and pressing undo again goes one batch further back.

Batches that hold anything else (a reply, a note, a macro) are passed over: a reply is
taken back through the outbox's delay, not here.

It refuses, with one sentence and changing nothing, when there is nothing to undo, or
when anyone else has changed one of the batch's conversations since (another agent
acted on it, or the customer's mail or a snooze's end moved what the batch set). The
conversations are locked (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers)
before anything is checked, so two sessions of one agent cannot undo one batch twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.models import (
    Agent,
    Conversation,
    ConversationTag,
    Event,
    EventKind,
    Status,
    Tag,
    utcnow,
)
from inbox_tui.services import core, triage, wording
from inbox_tui.services.agent_clock import agent_time
from inbox_tui.words import count

DEFAULT_WINDOW = timedelta(minutes=10)

UNDOABLE = {
    EventKind.TAGGED.value,
    EventKind.UNTAGGED.value,
    EventKind.ASSIGNED.value,
    EventKind.STATUS_CHANGED.value,
    EventKind.SNOOZED.value,
}
_STATUS_KINDS = {EventKind.STATUS_CHANGED.value, EventKind.SNOOZED.value}
# How many of the agent's recent batches are looked at before giving up.
_LOOK_BACK = 50


class NothingToUndo(UserError):
    pass


class UndoConflict(UserError):
    pass


@dataclass
class Undone:
    """What an undo reverted: the batch, its conversations (id, subject), one sentence."""

    batch: str
    conversations: list[tuple[int, str]]
    summary: str


@dataclass
class _Net:
    """What a batch did to one conversation: each field's value before and after it."""

    tags: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # name: (had, has)
    assignee: tuple[str | None, str | None] | None = None  # (before, after)
    status: tuple[tuple[str, datetime | None], tuple[str, datetime | None]] | None = None
    words: list[str] = field(default_factory=list)  # "tagged pricing", "closed", ...
    last_event_id: int = 0


def undo_last(
    session: Session,
    actor: str,
    *,
    window: timedelta = DEFAULT_WINDOW,
    now: datetime | None = None,
    zone: str = "UTC",
) -> Undone:
    """Revert ``actor``'s newest triage change made within ``window``. Raises
    NothingToUndo or UndoConflict (one sentence each, times on ``zone``'s clock: the
    agent's); nothing is changed then."""
    now = now or utcnow()
    agent = session.exec(select(Agent).where(Agent.username == actor)).first()
    minutes = _minutes(window)
    nothing = NothingToUndo(
        f"Nothing to undo: you made no tag, assignment, status, snooze, merge or split change "
        f"in the last {minutes}."
    )
    if agent is None or agent.id is None:
        raise nothing
    for _attempt in range(_LOOK_BACK):
        batch, events = _last_batch(session, agent.id, now - window)
        if batch is None:
            raise nothing
        conv_ids = sorted({e.conversation_id for e in events if e.conversation_id is not None})
        convs = {cid: core.lock_conversation(session, cid) for cid in conv_ids}
        # Locked: another session of this agent that picked the same batch waited here
        # and finds it undone now; it looks again, and takes the batch before.
        if not _undone(session, [batch]):
            break
    else:
        raise nothing
    nets = {cid: _net([e for e in events if e.conversation_id == cid]) for cid in conv_ids}
    for cid in conv_ids:
        _check_unchanged(session, convs[cid], nets[cid], agent.id, zone)

    session.info[core.UNDOES] = batch
    if _by_hand(events):
        try:
            summary = _restore_by_hand(session, actor, events, now)
        finally:
            session.info.pop(core.UNDOES, None)
        subjects = [(cid, convs[cid].subject) for cid in conv_ids]
        return Undone(batch=batch, conversations=subjects, summary=summary)
    try:
        for cid in conv_ids:
            _restore(session, actor, convs[cid], nets[cid], now)
    finally:
        session.info.pop(core.UNDOES, None)
    subjects = [(cid, convs[cid].subject) for cid in conv_ids]
    return Undone(batch=batch, conversations=subjects, summary=_summary(nets, subjects))


def _minutes(window: timedelta) -> str:
    n = max(1, round(window.total_seconds() / 60))
    return count(n, "minute")


def _last_batch(session: Session, agent_id: int, since: datetime) -> tuple[str | None, list[Event]]:
    """The newest batch of ``agent_id``'s since ``since`` that is undoable and not undone."""
    newest = func.max(Event.id)
    recent = session.exec(
        select(Event.batch, newest)
        .where(Event.agent_id == agent_id)
        .where(col(Event.batch).is_not(None))
        .where(col(Event.undoes).is_(None))
        .where(Event.at >= since)
        .group_by(col(Event.batch))
        .order_by(newest.desc())
        .limit(_LOOK_BACK)
    ).all()
    batches = [b for b, _ in recent if b is not None]
    undone = _undone(session, batches)
    for batch in batches:
        if batch in undone:
            continue
        events = list(
            session.exec(select(Event).where(Event.batch == batch).order_by(col(Event.id))).all()
        )
        if events and (all(e.kind in UNDOABLE for e in events) or _by_hand(events)):
            return batch, events
    return None, []


def _by_hand(events: list[Event]) -> bool:
    """A hand merge (one ``merged`` event) or a hand split (``split`` events that undo
    no merge): ``services.merge`` made them, the undo key takes them back too."""
    kinds = {e.kind for e in events}
    datas = [json.loads(e.data or "{}") for e in events]
    if kinds == {EventKind.MERGED.value}:
        return len(events) == 1 and bool(datas[0].get("by_hand"))
    return kinds == {EventKind.SPLIT.value} and not any(d.get("undoes_merge") for d in datas)


def _restore_by_hand(session: Session, actor: str, events: list[Event], now: datetime) -> str:
    """Take back a hand merge (``unmerge``) or split (the split-out conversation merged
    back); the sentence saying so."""
    from inbox_tui.services import merge

    first = events[0]
    assert first.conversation_id is not None
    if first.kind == EventKind.MERGED.value:
        moved = merge.unmerge(session, actor, first.conversation_id, at=now, event_id=first.id)
        return f"Undone: the merge; #{moved.other} is back with its {count(moved.messages, 'message')}."
    split_from = next(e for e in events if "to" in json.loads(e.data or "{}"))
    back = int(json.loads(split_from.data or "{}")["to"])
    assert split_from.conversation_id is not None
    moved = merge.merge(session, actor, back, split_from.conversation_id, at=now)
    return (
        f"Undone: the split; its {count(moved.messages, 'message')} "
        f"{'is' if moved.messages == 1 else 'are'} back in "
        f"#{split_from.conversation_id}."
    )


def _undone(session: Session, batches: Iterable[str]) -> set[str]:
    wanted = list(batches)
    if not wanted:
        return set()
    rows = session.exec(select(Event.undoes).where(col(Event.undoes).in_(wanted)).distinct()).all()
    return {r for r in rows if r is not None}


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _net(events: list[Event]) -> _Net:
    """Each field the batch touched: its value before the first event and after the last."""
    net = _Net()
    for e in events:
        data = json.loads(e.data or "{}")
        net.last_event_id = max(net.last_event_id, e.id or 0)
        if e.kind in (EventKind.TAGGED.value, EventKind.UNTAGGED.value):
            name = str(data.get("tag", ""))
            added = e.kind == EventKind.TAGGED.value
            had = net.tags[name][0] if name in net.tags else not added
            net.tags[name] = (had, added)
            tag = sanitize.one_line(name, 40)  # the database is untrusted too
            net.words.append(
                f"tagging {{on}} with {tag}" if added else f"removing {tag} from {{on}}"
            )
        elif e.kind == EventKind.ASSIGNED.value:
            before = net.assignee[0] if net.assignee else data.get("from")
            net.assignee = (before, data.get("to"))
            to = sanitize.one_line(str(data.get("to") or ""), 40)
            net.words.append(f"assigning {{on}} to {to}" if to else "unassigning {on}")
        elif e.kind == EventKind.SNOOZED.value:
            until = _when(data.get("until"))
            first = (str(data.get("from_status", "")), _when(data.get("from_until")))
            before = net.status[0] if net.status else first
            net.status = (before, (Status.SNOOZED.value, until))
            net.words.append("snoozing {on}")
        elif e.kind == EventKind.STATUS_CHANGED.value:
            to = str(data.get("to"))
            first = (str(data.get("from")), _when(data.get("from_until")))
            before = net.status[0] if net.status else first
            # A change to "snoozed" follows its SNOOZED event and keeps its wake time.
            after_until = net.status[1][1] if net.status and to == Status.SNOOZED.value else None
            net.status = (before, (to, after_until))
            if to != Status.SNOOZED.value:
                net.words.append(
                    "closing {on}"
                    if to == Status.CLOSED.value
                    else f"setting {{on}} to {sanitize.one_line(to, 20)}"
                )
    return net


def _check_unchanged(
    session: Session, conv: Conversation, net: _Net, me: int, zone: str = "UTC"
) -> None:
    """Raise UndoConflict when anyone else changed the conversation after the batch."""
    subject = sanitize.one_line(conv.subject or "(no subject)", 60)
    later = session.exec(
        select(Event, Agent.name, Agent.username)
        .outerjoin(Agent, col(Agent.id) == Event.agent_id)
        .where(Event.conversation_id == conv.id)
        .where(col(Event.id) > net.last_event_id)
        .where(col(Event.agent_id).is_not(None))
        .where(Event.agent_id != me)
        .order_by(col(Event.id))
        .limit(1)
    ).first()
    if later is not None:
        event, name, username = later
        who = sanitize.one_line(name or username or "another agent", 60)
        raise UndoConflict(
            f"{who} changed “{subject}” at {agent_time(event.at, zone, '%H:%M')}, after your "
            "change; nothing was undone."
        )
    if not _still_as_left(session, conv, net):
        raise UndoConflict(
            f"“{subject}” has changed since your change (it is now {conv.status}); "
            "nothing was undone."
        )


def _has_tag(session: Session, conv: Conversation, name: str) -> bool:
    tag = session.exec(select(Tag).where(Tag.name == name)).first()
    return tag is not None and session.get(ConversationTag, (conv.id, tag.id)) is not None


def _assignee(session: Session, conv: Conversation) -> str | None:
    current = session.get(Agent, conv.assignee_id) if conv.assignee_id else None
    return current.username if current else None


def _still_as_left(session: Session, conv: Conversation, net: _Net) -> bool:
    for name, (_had, has) in net.tags.items():
        if _has_tag(session, conv, name) != has:
            return False
    if net.assignee is not None and _assignee(session, conv) != net.assignee[1]:
        return False
    if net.status is not None:
        status, until = net.status[1]
        if conv.status != status:
            return False
        if status == Status.SNOOZED.value and conv.snoozed_until != until:
            return False
    return True


def _restore(session: Session, actor: str, conv: Conversation, net: _Net, now: datetime) -> None:
    assert conv.id is not None
    for name, (had, has) in net.tags.items():
        if had and not has:
            triage.tag(session, actor, conv.id, name, at=now)
        elif has and not had:
            triage.untag(session, actor, conv.id, name, at=now)
    if net.assignee is not None and net.assignee[0] != net.assignee[1]:
        triage.assign(session, actor, conv.id, net.assignee[0], at=now)
    if net.status is not None and net.status[0] != net.status[1]:
        _put_status(session, actor, conv.id, net.status[0], now, "undo")


def _put_status(
    session: Session,
    actor: str,
    conversation_id: int,
    before: tuple[str, datetime | None],
    now: datetime,
    cause: str,
) -> None:
    status, until = before
    if status == Status.SNOOZED.value and (until is None or until <= now):
        # The snooze would have ended by now: what it would have woken to.
        status, until = Status.OPEN.value, None
    triage.set_status(session, actor, conversation_id, Status(status), until, at=now, cause=cause)


def put_back(
    session: Session,
    actor: str,
    conv: Conversation,
    events: list[Event],
    *,
    cause: str,
    now: datetime | None = None,
) -> None:
    """What one conversation's ``events`` changed (tags, assignee, status and snooze),
    put back as it was before the first of them, each where the conversation is still
    as they left it (else someone or something moved it since, and that stands): a
    snooze still ahead comes back with its wake time, one that would have ended by now
    as open. Undo send takes back a send's with it (``undo_send``); ``cause`` names the
    taking back for the status change (``store.aggregates.UNDOING``)."""
    net = _net([e for e in events if e.kind in UNDOABLE])
    if not (net.tags or net.assignee or net.status):
        return
    now = now or utcnow()
    assert conv.id is not None
    touched = _touched_since(session, conv.id, net.last_event_id)
    for name, (had, has) in net.tags.items():
        if had != has and f"tag:{name}" not in touched and _has_tag(session, conv, name) == has:
            change = triage.tag if had else triage.untag
            change(session, actor, conv.id, name, at=now)
    before, after = net.assignee or (None, None)
    kept = EventKind.ASSIGNED.value in touched or _assignee(session, conv) != after
    if before != after and not kept:
        triage.assign(session, actor, conv.id, before, at=now)
    if net.status is None or net.status[0] == net.status[1] or _STATUS_KINDS & touched:
        return
    status, until = net.status[1]
    if conv.status != status or (status == Status.SNOOZED.value and conv.snoozed_until != until):
        return
    _put_status(session, actor, conv.id, net.status[0], now, cause)


def _touched_since(session: Session, conversation_id: int, after_id: int) -> set[str]:
    """What events after ``after_id`` changed: "tag:NAME" for each tag they added or
    removed, and the kinds "assigned", "status_changed", "snoozed" when they did."""
    kinds = [EventKind.TAGGED.value, EventKind.UNTAGGED.value, *_STATUS_KINDS]
    rows = session.exec(
        select(Event.kind, Event.data)
        .where(Event.conversation_id == conversation_id)
        .where(col(Event.id) > after_id)
        .where(col(Event.kind).in_([*kinds, EventKind.ASSIGNED.value]))
    ).all()
    return {
        f"tag:{json.loads(data or '{}').get('tag', '')}"
        if kind in (EventKind.TAGGED.value, EventKind.UNTAGGED.value)
        else kind
        for kind, data in rows
    }


def _summary(nets: dict[int, _Net], subjects: list[tuple[int, str]]) -> str:
    """ "Undone: closing “Printer 2”.", "Undone: tagging 3 conversations with billing and
    closing them (“Printer 1”, “Printer 2” and “Printer 3”)." (services/wording)."""
    words = list(dict.fromkeys(w for net in nets.values() for w in net.words))
    names = [wording.subject(s) for _, s in subjects]
    if len(names) == 1:
        return f"Undone: {wording.actions(words, 1, names[0])}."
    shown = wording.joined(names[:3] + ([f"{len(names) - 3} more"] if len(names) > 3 else []))
    return f"Undone: {wording.actions(words, len(names))} ({shown})."

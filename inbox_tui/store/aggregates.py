"""The stats aggregates: ``stat_conversation`` and ``stat_event``, folded from the event log.

Reading the whole history of every active conversation for each report cost 28 scans of
the message table on a 1 M-message store. Every figure is a function of one
conversation's history, so each conversation's history is folded once, when it changes,
into rows that a report only has to range-scan:

- ``stat_event``: one row per counted event (reply, note, close, macro, article,
  incoming message, rating) with the duration it contributes (response time, time to
  close) and, for a rating, who had last closed the conversation;
- ``stat_conversation``: first customer message, first reply and its agent, last close
  and its agent, and the tags, per conversation.

How they stay right:

- **On write, in the same transaction.** Every write session (``Store.write``) notes the
  conversation of each new ``Event`` and of each deleted ``Conversation`` (merges), and
  before commit re-folds those conversations from their events. Re-folding rather than
  incrementing keeps them exact when mail arrives out of order (an old message imported
  late changes later response times) and when a merge moves events. On PostgreSQL the
  conversation rows are locked first, so two transactions touching the same conversation
  fold one after the other and the second sees the first one's events: no lost updates.
  SQLite's ``BEGIN IMMEDIATE`` already serialises writers.
- **Bulk loads** that bypass the ORM (the benchmark generator) call ``rebuild``; the
  migration that creates the tables backfills them the same way.

``fold`` is the single definition of what an event contributes; the report reads only
these tables (``services.stats``), and a test checks that maintained rows equal a
rebuild, and the report equals a replay of the log, after random mixed histories.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, event, insert, text
from sqlalchemy.orm import Session as OrmSession

from inbox_tui.store import dialect, subject_keys

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

# stat_event.kind values
RECEIVED, REPLIED, NOTED, CLOSED, MACRO, ARTICLE, RATED = (
    "received",
    "replied",
    "noted",
    "closed",
    "macro",
    "article",
    "rated",
)

_DIRTY = "stats_dirty_conversations"
# Causes of a status change (``triage.set_status``) that take back the close before it.
UNDOING = ("undo", "undo send")


def to_us(dt: Any) -> int:
    """Microseconds since the epoch of a stored time (aware, naive UTC or ISO text)."""
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // _US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass
class ConversationFold:
    conversation_id: int
    first_message_us: int | None
    first_response_us: int | None
    first_responder_id: int | None
    last_closed_us: int | None
    last_closer_id: int | None
    tags: list[str]

    def row(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "first_message_us": self.first_message_us,
            "first_response_us": self.first_response_us,
            "first_responder_id": self.first_responder_id,
            "last_closed_us": self.last_closed_us,
            "last_closer_id": self.last_closer_id,
            "tags": json.dumps(self.tags),
        }


def fold(
    conversation_id: int, events: Iterable[tuple[int, int | None, str, int, str | None]]
) -> tuple[ConversationFold, list[dict[str, Any]]]:
    """Fold one conversation's events ``(event id, agent id, kind, at_us, data)``, given in
    log order (time, then id), into its ``stat_conversation`` row and ``stat_event`` rows.

    The rules are the definitions in ``stats_definitions``: a reply counts only with an
    agent; a reply taken back with undo send (``reply_cancelled``) does not count; a
    macro whose reply was taken back was not used; a
    reply that waits in the outbox (``"on_send"``: the undo delay, or "send at") counts
    when it goes, at the time of its ``sent`` event, and so does a help article sent
    with it and its send-and-close (which does not count if the conversation left
    closed before the reply went); the
    first response is the first agent reply after the first customer message;
    a response runs from the first unanswered customer message to the next reply; time to
    close runs from the start (or the first message after a close, or a reopen) to the
    close; a close ends any wait; closing again what another action took out of closed
    as a side effect (its status change has a ``cause``), before the customer wrote, is
    no new close (it keeps the close it repeats, and its agent).
    """
    events = list(events)
    # Undo send: a reply taken back before it went out was never a response, and the
    # macro it came from was not used (its ``macro_applied`` names the outbox row).
    taken = [
        json.loads(data or "{}") for _, _, kind, _, data in events if kind == "reply_cancelled"
    ]
    folder = _Folder(conversation_id, {d.get("replied_event") for d in taken})
    folder.cancelled_boxes = {d.get("outbox") for d in taken}
    for eid, agent, kind, t, data in events:
        folder.step(eid, agent, kind, t, data)
    conv = ConversationFold(
        conversation_id,
        folder.first_message,
        folder.first_response,
        folder.responder,
        folder.closed_at,
        folder.closer,
        sorted(t for t in folder.tags if t),
    )
    return conv, folder.facts


class _Folder:
    """The running state of ``fold`` over one conversation's events."""

    def __init__(self, conversation_id: int, cancelled: set[int] | None = None) -> None:
        self.conversation_id = conversation_id
        self.cancelled = cancelled or set()
        self.cancelled_boxes: set[Any] = set()  # outbox rows taken back (undo send)
        self.first_message: int | None = None
        self.first_response: int | None = None
        self.responder: int | None = None
        self.closed_at: int | None = None
        self.closer: int | None = None
        self.waiting: int | None = None  # first unanswered customer message
        self.open_since: int | None = None  # start, or reopening, for time to close
        # Taken out of closed as the side effect of another action (its status change
        # says its ``cause``: a follow-up's reply, undo send putting a status back, a
        # reply, an undo), and the customer has not written since: closing it again is
        # no new close (walk2: F's reopen-reply-close credited 14 closes at 0m).
        self.reclose = False
        # The last close and the state before it: an undo (ctrl+z, or undo send taking
        # back a send-and-close) right after it means it never happened.
        self.undoable: (
            tuple[dict[str, Any] | None, int | None, int | None, int | None, int | None] | None
        ) = None
        self.tags: set[str] = set()
        self.facts: list[dict[str, Any]] = []
        # Replies waiting in the outbox (by outbox id): the reply event and its agent,
        # and the help articles sent with it. They count when their ``sent`` event comes.
        self.waiting_replies: dict[int, tuple[int, int]] = {}
        self.waiting_articles: dict[int, list[tuple[int, int]]] = {}
        # The send-and-close of a waiting reply: (outbox, event id, agent). It closes when
        # the reply goes; leaving closed before that (the customer wrote, another status)
        # or taking the reply back means it never closed.
        self.held_close: tuple[int, int, int | None] | None = None
        # Undo send took back a held close: the status change putting it back is no reopen.
        self.skip_undo_send = False

    def fact(
        self,
        eid: int,
        kind: str,
        agent: int | None,
        t: int,
        duration: int | None = None,
        rating: str | None = None,
        owner: int | None = None,
    ) -> None:
        self.facts.append(
            {
                "event_id": eid,
                "conversation_id": self.conversation_id,
                "kind": kind,
                "agent_id": agent,
                "t_us": t,
                "duration_us": duration,
                "rating": rating,
                "owner_id": owner,
            }
        )

    def step(self, eid: int, agent: int | None, kind: str, t: int, data: str | None) -> None:
        info: dict[str, Any] = {}
        if kind == "status_changed":
            info = json.loads(data or "{}")
        else:
            self.skip_undo_send = False
        # Only what can concern the outbox is read (a rebuild folds millions of replies).
        if (
            kind in ("status_changed", "sent", "reply_cancelled")
            or (kind == "replied" and data and '"on_send"' in data)
            or (kind == "article_sent" and data and '"outbox"' in data)
        ):
            info = info or json.loads(data or "{}")
            if self._outbox_step(eid, agent, kind, t, info):
                return
        if kind == "received":
            if self.first_message is None:
                self.first_message = self.open_since = t
            if self.waiting is None:
                self.waiting = t
            if self.open_since is None:
                self.open_since = t
            self.reclose = False
            self.undoable = None
            self.fact(eid, RECEIVED, None, t)
        elif kind == "replied" and agent is not None and eid not in self.cancelled:
            self._reply(eid, agent, t)
        elif kind == "noted" and agent is not None:
            self.fact(eid, NOTED, agent, t)
        elif kind == "status_changed":
            self._status_changed(eid, agent, t, info)
        elif kind == "tagged":
            self.tags.add(str(json.loads(data or "{}").get("tag", "")))
        elif kind == "untagged":
            self.tags.discard(str(json.loads(data or "{}").get("tag", "")))
        elif kind == "macro_applied" and agent is not None:
            if not (data and '"outbox"' in data and self._taken_back(data)):
                self.fact(eid, MACRO, agent, t)
        elif kind == "article_sent" and agent is not None:
            self.fact(eid, ARTICLE, agent, t)
        elif kind == "rated":
            rating = json.loads(data or "{}").get("rating")
            self.fact(
                eid,
                RATED,
                None,
                t,
                rating=rating[:10] if isinstance(rating, str) else None,
                owner=self.closer,
            )

    def _taken_back(self, data: str) -> bool:
        """Whether the outbox row an event names was taken back (undo send)."""
        return json.loads(data).get("outbox") in self.cancelled_boxes

    def _reply(self, eid: int, agent: int, t: int) -> None:
        if self.first_response is None and self.first_message is not None:
            self.first_response, self.responder = t, agent
        duration = None
        if self.waiting is not None:
            duration, self.waiting = t - self.waiting, None
        self.fact(eid, REPLIED, agent, t, duration)

    def _outbox_step(
        self, eid: int, agent: int | None, kind: str, t: int, info: dict[str, Any]
    ) -> bool:
        """Replies that wait in the outbox and what goes with them (``fold``). True when
        the event is dealt with here."""
        box = info.get("outbox")
        if kind == "replied" and agent is not None and info.get("on_send") and box is not None:
            # Until its ``sent`` event; undo send (``reply_cancelled``) drops it first.
            self.waiting_replies[int(box)] = (eid, agent)
            return True
        if kind == "article_sent" and box is not None and agent is not None:
            if int(box) in self.waiting_replies:
                self.waiting_articles.setdefault(int(box), []).append((eid, agent))
            return int(box) in self.waiting_replies
        if kind == "sent" and box is not None:
            reply = self.waiting_replies.pop(int(box), None)
            if reply is not None:
                self._reply(reply[0], reply[1], t)
            for article_eid, article_agent in self.waiting_articles.pop(int(box), []):
                self.fact(article_eid, ARTICLE, article_agent, t)
            if self.held_close is not None and self.held_close[0] == int(box):
                _, close_eid, closer = self.held_close
                self.held_close = None
                self._status_changed(close_eid, closer, t, {"to": "closed"})
            return True
        if kind == "reply_cancelled" and box is not None:
            self.waiting_replies.pop(int(box), None)
            self.waiting_articles.pop(int(box), None)
            if self.held_close is not None and self.held_close[0] == int(box):
                self.held_close = None
                self.skip_undo_send = True
            return False  # nothing else to do (the lookahead dropped older replies)
        if kind == "status_changed":
            if info.get("to") == "closed" and box is not None and int(box) in self.waiting_replies:
                self.held_close = (int(box), eid, agent)
                return True
            if self.held_close is not None and info.get("from") == "closed":
                self.held_close = None  # out of closed before its reply went: no close
                return True
            if self.skip_undo_send and info.get("cause") == "undo send":
                self.skip_undo_send = False
                return True
        return False

    def _status_changed(self, eid: int, agent: int | None, t: int, info: dict[str, Any]) -> None:
        if info.get("to") == "closed":
            self.undoable = None
            if not self.reclose:  # a re-close keeps the close it repeats (and its closer)
                before = (self.closed_at, self.closer, self.open_since, self.waiting)
                self.closed_at, self.closer = t, agent
                fact = None
                if agent is not None:
                    since = self.open_since
                    self.fact(eid, CLOSED, agent, t, None if since is None else t - since)
                    fact = self.facts[-1]
                self.undoable = (fact, *before)
            self.open_since = self.waiting = None
            self.reclose = False
        elif info.get("from") == "closed":
            if info.get("cause") in UNDOING and self.undoable is not None:
                fact, self.closed_at, self.closer, self.open_since, self.waiting = self.undoable
                if fact is not None:  # taken back: as if it had never been closed
                    self.facts.remove(fact)
                self.undoable = None
                return
            self.undoable = None
            self.reclose = bool(info.get("cause"))
            if info.get("to") == "open":
                self.open_since = t


_EVENTS_OF = text(
    "SELECT conversation_id, id, agent_id, kind, at, data FROM event "
    "WHERE conversation_id IN :ids ORDER BY conversation_id"
).bindparams(bindparam("ids", expanding=True))


def _grouped(
    rows: Iterable[Any],
) -> Iterator[tuple[int, list[tuple[int, int | None, str, int, str]]]]:
    """Rows ordered by conversation → (conversation id, its events in log order)."""
    current: int | None = None
    events: list[tuple[int, int | None, str, int, str]] = []
    for conv_id, eid, agent, kind, at, data in rows:
        if conv_id != current:
            if current is not None:
                events.sort(key=lambda e: (e[3], e[0]))
                yield current, events
            current, events = conv_id, []
        events.append((eid, agent, kind, to_us(at), data))
    if current is not None:
        events.sort(key=lambda e: (e[3], e[0]))
        yield current, events


def _write(session: Any, ids: list[int], groups: Iterable[tuple[int, list[Any]]]) -> None:
    """Replace the rows of conversations ``ids`` by the folds of ``groups``."""
    from inbox_tui.models import StatConversation, StatEvent

    conv_t, event_t = StatConversation.__table__, StatEvent.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(ids, 500):
        session.execute(delete(event_t).where(event_t.c.conversation_id.in_(chunk)))
        session.execute(delete(conv_t).where(conv_t.c.conversation_id.in_(chunk)))
    convs: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    requests: list[int] = []  # tagged 'feature request': their subjects' keys are kept
    for conv_id, events in groups:
        conv, rows = fold(conv_id, events)
        convs.append(conv.row())
        if subject_keys.FEATURE_REQUEST in conv.tags:
            requests.append(conv_id)
        facts.extend(rows)
        if len(facts) >= 20_000:
            session.execute(insert(event_t), facts)
            facts.clear()
    if convs:
        session.execute(insert(conv_t), convs)
    if facts:
        session.execute(insert(event_t), facts)
    if requests:
        subject_keys.keep_for_conversations(session, requests)


def _chunks(ids: list[int], n: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), n):
        yield ids[i : i + n]


def refresh(session: Any, conversation_ids: Iterable[int]) -> None:
    """Re-fold these conversations from their events, inside the caller's transaction.
    Conversations that no longer exist (merged away) lose their rows."""
    ids = sorted({int(i) for i in conversation_ids if i is not None})
    if not ids:
        return
    # Wait for any other transaction writing these conversations, so the events read
    # next include theirs (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises).
    dialect.lock_conversations(session, ids)
    for chunk in _chunks(ids, 500):
        rows = session.execute(_EVENTS_OF, {"ids": chunk}).all()
        _write(session, chunk, _grouped(rows))


def rebuild(connection: Any, batch: int = 5000) -> int:
    """Recompute both tables from the whole event log (migration, bulk loads), writing
    every ``batch`` conversations while the log is still being read. Returns the number
    of conversations folded."""
    from inbox_tui.models import StatConversation, StatEvent

    connection.execute(delete(StatEvent.__table__))  # type: ignore[attr-defined]
    connection.execute(delete(StatConversation.__table__))  # type: ignore[attr-defined]
    # Server-side cursor on PostgreSQL, so 1 M events are streamed, not loaded at once.
    result = connection.execute(
        text(
            "SELECT conversation_id, id, agent_id, kind, at, data FROM event "
            "WHERE conversation_id IS NOT NULL ORDER BY conversation_id"
        ),
        execution_options={"stream_results": True, "max_row_buffer": 10_000},
    )
    n = 0
    pending: list[tuple[int, list[Any]]] = []
    for group in _grouped(result):
        pending.append(group)
        if len(pending) >= batch:
            _write(connection, [], pending)
            n += len(pending)
            pending = []
    _write(connection, [], pending)
    return n + len(pending)


def track(session: OrmSession) -> None:
    """Keep the aggregates of ``session``'s transaction in step with its events."""
    event.listen(session, "after_flush", _note_changes)
    event.listen(session, "before_commit", _refresh_before_commit)


def mark(session: OrmSession, conversation_ids: Iterable[int]) -> None:
    """For writers that bypass the ORM (ingest's Core inserts): these conversations got
    events in this transaction, so their aggregates are refreshed before commit."""
    session.info.setdefault(_DIRTY, set()).update(conversation_ids)


def _note_changes(session: OrmSession, _flush_context: Any) -> None:
    from inbox_tui.models import Conversation, Event

    dirty: set[int] = session.info.setdefault(_DIRTY, set())
    for obj in session.new:
        if isinstance(obj, Event) and obj.conversation_id is not None:
            dirty.add(obj.conversation_id)
    for obj in session.deleted:
        if isinstance(obj, Conversation) and obj.id is not None:
            dirty.add(obj.id)


def _refresh_before_commit(session: OrmSession) -> None:
    # A savepoint's release also fires this; fold once, at the real commit. (Marks are
    # never dropped on rollback either: a savepoint rollback fires that event too, and
    # re-folding a conversation that did not change is harmless.)
    if session.in_nested_transaction():
        return
    session.flush()
    dirty = session.info.pop(_DIRTY, None)
    if dirty:
        refresh(session, dirty)
        # The stored waiting time follows the same conversations (store/waiting.py).
        from inbox_tui.store import waiting

        waiting.refresh(session, dirty)

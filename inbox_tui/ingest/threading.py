"""Which conversation a new message belongs to (thread matching), and merging.

In order:
1. an explicit thread key from the source (a chat thread) wins;
2. otherwise its Message-ID, In-Reply-To and References are looked up in ``ThreadRef``
   (one query, no graph walk, so reference loops cannot hang); a message that links
   two conversations merges the newer into the older;
3. otherwise a reply (``Re:``) without references joins the contact's conversation
   with the same base subject, if it was active within ``SUBJECT_FALLBACK_WINDOW``.

``Threads`` lives for one ``Ingestor`` (one transaction) and runs on the connection the
writer hands it, with Core statements (see ``ingest.writer``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.incoming import IncomingMessage, normalise_message_id
from inbox_tui.models import (
    Conversation,
    ConversationTag,
    Draft,
    Event,
    EventKind,
    Message,
    Outbox,
    Presence,
    ThreadRef,
)

# A reply that lost its References still joins its conversation if the subject and the
# contact match and the conversation was active this recently.
SUBJECT_FALLBACK_WINDOW = timedelta(days=14)
SUBJECT_CANDIDATES = 20  # the contact's most recently active conversations compared
MAX_REFS = 100  # hostile References headers can list thousands; the newest matter

_CONV = Conversation.__table__  # type: ignore[attr-defined]
_REF = ThreadRef.__table__  # type: ignore[attr-defined]
_SELECT_REFS = core_select(_REF.c.ref, _REF.c.conversation_id).where(
    _REF.c.ref.in_(bindparam("refs", expanding=True))
)
_INSERT_REF = insert(_REF)
# (id, subject, last activity) of a contact's conversations active since a time, most
# recent first (the subject fallback's candidates; ``ingest.bulk`` reads the same).
BY_SUBJECT = (
    core_select(_CONV.c.id, _CONV.c.subject, _CONV.c.last_activity_at)
    .where(_CONV.c.contact_id == bindparam("contact"))
    .where(_CONV.c.last_activity_at >= bindparam("since"))
    .order_by(_CONV.c.last_activity_at.desc())
    .limit(SUBJECT_CANDIDATES)
)


def references_of(msg: IncomingMessage, mid: str | None) -> list[str]:
    """The Message-IDs ``msg`` replies to, newest last, without its own and without
    repeats; at most ``MAX_REFS`` of its References, then In-Reply-To."""
    out: list[str] = []
    seen = {mid} if mid else set()
    # References are oldest first; keep the newest MAX_REFS, then In-Reply-To.
    candidates = [*msg.references[-MAX_REFS:], msg.in_reply_to]
    for raw in candidates:
        ref = normalise_message_id(raw)
        if ref and ref not in seen:
            seen.add(ref)
            out.append(ref)
    return out


def by_subject(conn: Connection, contact_id: int, subject: str, sent_at: datetime) -> int | None:
    """The subject fallback: the contact's conversation active within
    ``SUBJECT_FALLBACK_WINDOW`` whose base subject is this one, most recent first."""
    base = sanitize.base_subject(subject)
    if not base:
        return None
    candidates = conn.execute(
        BY_SUBJECT, {"contact": contact_id, "since": sent_at - SUBJECT_FALLBACK_WINDOW}
    ).all()
    for conv_id, conv_subject, _ in candidates:
        if sanitize.base_subject(conv_subject) == base:
            return int(conv_id)
    return None


def thread_key_ref(msg: IncomingMessage) -> str:
    """The ThreadRef that stands for a source's explicit thread (a chat thread)."""
    return f"key:{msg.source}:{msg.thread_key}"[:1000]


class Threads:
    """Thread matching for one ingest transaction. ``find`` then ``remember`` per
    message: ``find`` notes which of the message's refs are already stored, so
    ``remember`` inserts only the new ones without a second query."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._conn: Connection
        self._known_refs: set[str] = set()

    def use(self, conn: Connection) -> None:
        """The connection this message's statements run on (the writer's)."""
        self._conn = conn

    def find(
        self,
        msg: IncomingMessage,
        mid: str | None,
        refs: list[str],
        contact_id: int | None,
        subject: str,
        sent_at: datetime,
    ) -> int | None:
        conn = self._conn
        if msg.thread_key:
            ref = thread_key_ref(msg)
            lookup = [ref, *(r for r in [mid, *refs] if r)]
            found: dict[str, int] = dict(conn.execute(_SELECT_REFS, {"refs": lookup}).all())
            self._known_refs = set(found)
            return found.get(ref)
        ids = [r for r in [mid, *refs] if r]
        conv_ids: list[int] = []
        self._known_refs = set()
        if ids:
            rows = conn.execute(_SELECT_REFS, {"refs": ids}).all()
            self._known_refs = {r for r, _ in rows}  # reused by remember(): one query, not two
            conv_ids = sorted({c for _, c in rows})
        if conv_ids:
            if len(conv_ids) > 1:
                target = self.session.get(Conversation, conv_ids[0])
                assert target is not None
                for other in conv_ids[1:]:
                    self._merge(other, target)
            return conv_ids[0]
        if not refs and contact_id is not None and sanitize.has_reply_prefix(msg.subject):
            return by_subject(self._conn, contact_id, subject, sent_at)
        return None

    def _merge(self, source_id: int, target: Conversation) -> None:
        """A message linked two conversations: fold the newer into the older."""
        if fold_into(self.session, source_id, target):
            self.session.add(
                Event(
                    conversation_id=target.id,
                    kind=EventKind.MERGED.value,
                    data=json.dumps({"from": source_id}),
                )
            )
            self.session.flush()

    def remember(
        self, conv_id: int, mid: str | None, refs: list[str], msg: IncomingMessage
    ) -> None:
        wanted = [r for r in [mid, *refs] if r]
        if msg.thread_key:
            wanted.append(thread_key_ref(msg))
        known = self._known_refs
        rows = [
            {"ref": ref[:1000], "conversation_id": conv_id}
            for ref in dict.fromkeys(wanted)
            if ref not in known
        ]
        if rows:
            self._conn.execute(_INSERT_REF, rows)


def fold_into(s: Session, source_id: int, target: Conversation) -> bool:
    """Move everything of conversation ``source_id`` into ``target`` (messages, thread
    refs, events, tags, presence, outbox, drafts; counters and times) and delete it.
    The caller records the ``merged`` event. False when the source is gone."""
    assert target.id is not None
    src = s.get(Conversation, source_id)
    if src is None:
        return False
    for model in (Message, ThreadRef, Event, Presence, Outbox):
        s.execute(
            update(model)
            .where(col(model.conversation_id) == source_id)  # type: ignore[attr-defined]
            .values(conversation_id=target.id)
        )
    existing_tags = set(
        s.exec(
            select(ConversationTag.tag_id).where(ConversationTag.conversation_id == target.id)
        ).all()
    )
    for ct in s.exec(
        select(ConversationTag).where(ConversationTag.conversation_id == source_id)
    ).all():
        tag_id = ct.tag_id
        s.delete(ct)
        if tag_id not in existing_tags:
            s.add(ConversationTag(conversation_id=target.id, tag_id=tag_id))
    merge_drafts(s, source_id, target.id)
    target.message_count += src.message_count
    target.created_at = min(target.created_at, src.created_at)
    if src.last_activity_at > target.last_activity_at:
        target.last_activity_at = src.last_activity_at
    if src.last_customer_at and (
        not target.last_customer_at or src.last_customer_at > target.last_customer_at
    ):
        target.last_customer_at = src.last_customer_at
    if target.assignee_id is None:
        target.assignee_id = src.assignee_id
    target.version += 1
    s.flush()
    s.delete(src)
    s.flush()
    return True


def merge_drafts(s: Session, source_id: int, target_id: int) -> None:
    """Drafts follow their conversation; an agent with a draft of the same kind (reply,
    note) on both keeps one holding both texts (typed text is never dropped), with the
    review edits of the one that had some (the target's first)."""
    kept = {
        (d.agent_id, d.kind): d
        for d in s.exec(select(Draft).where(Draft.conversation_id == target_id)).all()
    }
    for draft in s.exec(select(Draft).where(Draft.conversation_id == source_id)).all():
        other = kept.get((draft.agent_id, draft.kind))
        if other is None:
            draft.conversation_id = target_id
            s.add(draft)
        else:
            other.body = f"{other.body.rstrip()}\n\n{draft.body}"
            other.updated_at = max(other.updated_at, draft.updated_at)
            other.review = other.review or draft.review
            s.add(other)
            s.delete(draft)
    s.flush()

"""The one way in: every source (IMAP, mail files, chat logs) hands ``IncomingMessage``
values to ``Ingestor.add`` and raw failures to ``Ingestor.quarantine``.

Guarantees:
- idempotent: a message's ``dedupe_key`` (its Message-ID, else source + external id, else
  a content hash) is unique in the store, so the same input twice adds nothing;
- nothing silently lost: what cannot be parsed is kept raw with the reason;
- threading by Message-ID / In-Reply-To / References through ``ThreadRef`` (no graph
  walk, so reference loops cannot hang), then an explicit source thread key (chat), then
  a subject + contact fallback for replies that lost their headers;
- every stored message is an event (received / replied) at the time it was sent.

The caller owns the transaction; sync state committed in the same one covers exactly
the rows added.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection, Insert, bindparam, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.models import (
    Agent,
    Channel,
    Contact,
    Conversation,
    ConversationTag,
    Direction,
    Event,
    EventKind,
    Message,
    Outbox,
    Presence,
    Quarantine,
    Status,
    ThreadRef,
    utcnow,
)
from inbox_tui.store import insert_or_get, note_core_writes

# A reply that lost its References still joins its conversation if the subject and the
# contact match and the conversation was active this recently.
SUBJECT_FALLBACK_WINDOW = timedelta(days=14)
MAX_REFS = 100  # hostile References headers can list thousands; the newest matter
MAX_BODY_CHARS = 2_000_000


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int
    data: bytes | None = None  # None: not kept (``status``/``note`` say why)
    status: str = ""  # "stored", "too_large", "unreadable"; "" = listed only
    note: str | None = None  # the plain sentence when the file was not kept


@dataclass
class IncomingMessage:
    """A message from any source, normalised. Text fields may be untrusted: ``add``
    sanitises them."""

    source: str  # "imap:<account>/<mailbox>", "mail:<path>", "chat:slack:<channel>", ...
    external_id: str | None  # UID, file name, chat timestamp...: stable within source
    sent_at: datetime  # aware; naive values are taken as UTC
    body: str = ""
    subject: str = ""
    channel: Channel = Channel.EMAIL
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    # An explicit conversation key from the source (a chat thread); wins over headers.
    thread_key: str | None = None
    author_name: str = ""
    author_email: str | None = None
    author_handle: str | None = None  # chat identity, e.g. "slack:U024BE7LH"
    to: list[tuple[str, str]] = field(default_factory=list)  # (name, address)
    cc: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    # Set by a source that knows this author is one of our agents (chat handles mapped
    # in config, the account's own address): the message is then a reply.
    agent_username: str | None = None
    warnings: list[str] = field(default_factory=list)


class Outcome(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


@dataclass
class IngestResult:
    outcome: Outcome
    conversation_id: int | None = None
    message_row_id: int | None = None


@dataclass
class IngestCounts:
    """What a run did. ``read == imported + duplicates + quarantined`` always."""

    read: int = 0
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0

    def count(self, result: IngestResult) -> None:
        self.read += 1
        if result.outcome is Outcome.IMPORTED:
            self.imported += 1
        elif result.outcome is Outcome.DUPLICATE:
            self.duplicates += 1
        else:
            self.quarantined += 1

    def merge(self, other: IngestCounts) -> None:
        self.read += other.read
        self.imported += other.imported
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


def normalise_message_id(value: str | None) -> str | None:
    """``<abc@host>`` → ``abc@host``; blanks and absurd values → None."""
    if not value:
        return None
    value = sanitize.clean(value).strip()
    if value.startswith("<") and ">" in value:
        value = value[1 : value.index(">")]
    value = value.strip().strip("<>").strip()
    if not value or len(value) > 900 or any(c.isspace() for c in value):
        return None
    return value


def dedupe_key_for(msg: IncomingMessage) -> str:
    mid = normalise_message_id(msg.message_id)
    if mid:
        return f"mid:{mid}"
    if msg.external_id:
        return f"src:{msg.source}:{msg.external_id}"[:1000]
    digest = hashlib.sha256(
        "\x1f".join(
            [
                msg.source,
                msg.author_email or msg.author_handle or "",
                _aware(msg.sent_at).isoformat(),
                msg.body,
            ]
        ).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return f"hash:{digest}"


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class Ingestor:
    """Adds messages within one caller-owned session/transaction.

    Keeps small caches of agents and contacts for the life of the transaction, so bulk
    imports do not re-query them per message.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._agents_by_username: dict[str, Agent] = {}
        self._agent_emails: dict[str, Agent] | None = None
        self._known_refs: set[str] = set()
        self._contacts: dict[str, tuple[int, str]] = {}  # key -> (id, name)
        self._conn: Connection  # set by add() / prefetch() for their statements
        # Dedupe keys add_all looked up in one query and found absent: add() skips its
        # own lookup for them (a concurrent insert still ends in the IntegrityError path).
        self._absent: set[str] = set()

    # -- public --------------------------------------------------------------------

    def add(self, msg: IncomingMessage) -> IngestResult:
        """Store ``msg`` (or recognise it as a duplicate). Never raises for bad content:
        a message that cannot be stored is quarantined with the reason."""
        return self._add(msg, dedupe_key_for(msg))

    def _add(self, msg: IncomingMessage, key: str) -> IngestResult:
        # The Core statements below do not autoflush: write the caller's pending ORM
        # changes first so they are neither missed nor overwritten.
        self.session.flush()
        # One connection for this message's statements (asking the session each time
        # cost more than some of the statements).
        self._conn = self.session.connection()
        if key in self._absent:
            self._absent.discard(key)  # a second copy later in the batch must be looked up
        else:
            existing = self._existing(key)
            if existing is not None:
                return IngestResult(Outcome.DUPLICATE, existing[1], existing[0])
        try:
            with self.session.begin_nested():
                return self._store(msg, key)
        except IntegrityError:
            # Another process stored the same message (or contact) a moment ago: two
            # agents' apps syncing the same mailbox on PostgreSQL. Theirs wins.
            self._forget()
            again = self._existing(key)
            if again is not None:
                return IngestResult(Outcome.DUPLICATE, again[1], again[0])
            with self.session.begin_nested():
                return self._store(msg, key)
        except (ValueError, TypeError, OverflowError) as exc:
            self._forget()
            return self.quarantine(
                msg.source,
                msg.external_id,
                f"could not store message: {exc}",
                msg.body.encode("utf-8", "replace"),
            )

    def _existing(self, key: str) -> tuple[int, int] | None:
        row = self._conn.execute(_SELECT_BY_KEY, {"key": key}).first()
        return (row[0], row[1]) if row is not None else None

    def _forget(self) -> None:
        """A rolled-back savepoint may have taken rows our caches point at."""
        self._absent.clear()
        self._contacts.clear()
        self._agents_by_username.clear()
        self._agent_emails = None

    def quarantine(
        self, source: str, external_id: str | None, reason: str, raw: bytes
    ) -> IngestResult:
        """Keep input that could not be parsed, with the reason. Idempotent too."""
        if external_id:
            key = f"q:{source}:{external_id}"[:1000]
        else:
            key = "q:" + hashlib.sha256(source.encode() + b"\x1f" + raw).hexdigest()
        if (
            self.session.exec(select(Quarantine.id).where(Quarantine.dedupe_key == key)).first()
            is not None
        ):
            return IngestResult(Outcome.DUPLICATE)
        self.session.add(
            Quarantine(
                dedupe_key=key,
                source=source[:400],
                external_id=(external_id or None) and external_id[:1000],
                reason=sanitize.one_line(reason, 2000),
                raw=raw,
            )
        )
        self.session.flush()
        return IngestResult(Outcome.QUARANTINED)

    def add_all(self, messages: Iterable[IncomingMessage]) -> IngestCounts:
        """``add`` each message, with the duplicate checks done in one query per batch."""
        batch = list(messages)
        # Keys computed once: a message without Message-ID or source id is hashed whole.
        keys = [dedupe_key_for(m) for m in batch]
        self._prefetch(keys)
        counts = IngestCounts()
        for msg, key in zip(batch, keys, strict=True):
            counts.count(self._add(msg, key))
        return counts

    def _prefetch(self, keys: list[str]) -> None:
        """Look up a batch's dedupe keys at once, so ``_add`` skips its own query for
        each message not in the store yet."""
        unique = list(dict.fromkeys(keys))
        conn = self._conn = self.session.connection()
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            present = {k for k, _, _ in conn.execute(_SELECT_BY_KEYS, {"keys": chunk})}
            self._absent.update(k for k in chunk if k not in present)

    # -- internals -----------------------------------------------------------------
    #
    # The per-message path uses SQLAlchemy Core on the session's connection: the ORM's
    # unit of work cost ~2 ms per message (three flushes, identity map, attribute
    # events), most of an import's time. Any ORM object of a conversation written here
    # is expired afterwards, so callers that hold one in the same session re-read it.

    def _store(self, msg: IncomingMessage, key: str) -> IngestResult:
        conn = self._conn
        sent_at = _aware(msg.sent_at)
        mid = normalise_message_id(msg.message_id)
        refs = self._refs(msg, mid)
        agent_id = self._agent_for(msg)
        direction = Direction.OUTBOUND if agent_id else Direction.INBOUND
        contact_id = None if agent_id else self._contact_for(msg)
        subject = sanitize.one_line(msg.subject, 1000)

        conv_id = self._find_conversation(msg, mid, refs, contact_id, subject, sent_at)
        if conv_id is None:
            conv = _ConvState(
                id=0,
                status=Status.OPEN.value,
                contact_id=contact_id,
                created_at=sent_at,
                last_activity_at=sent_at,
                last_customer_at=None,
                message_count=0,
                snoozed_until=None,
                version=0,
            )
            conv.id = conn.execute(
                _INSERT_CONVERSATION,
                dict(
                    subject=subject or "(no subject)",
                    channel=msg.channel.value,
                    source=msg.source[:400],
                    status=conv.status,
                    contact_id=contact_id,
                    created_at=sent_at,
                    last_activity_at=sent_at,
                    message_count=0,
                    version=0,
                ),
            ).scalar_one()
        else:
            conv = self._conv_state(conv_id)
            if conv.contact_id is None and contact_id is not None:
                conv.contact_id = contact_id

        body = sanitize.clean(msg.body)
        if len(body) > MAX_BODY_CHARS:
            body = body[:MAX_BODY_CHARS]
            msg.warnings.append(f"body truncated to {MAX_BODY_CHARS} characters")
        row_id = conn.execute(
            _INSERT_MESSAGE,
            dict(
                conversation_id=conv.id,
                dedupe_key=key,
                source=msg.source[:400],
                external_id=msg.external_id[:1000] if msg.external_id else None,
                message_id=mid,
                in_reply_to=normalise_message_id(msg.in_reply_to),
                refs=" ".join(refs) or None,
                direction=direction.value,
                author_name=sanitize.one_line(msg.author_name, 300),
                author_email=(msg.author_email or None)
                and sanitize.one_line(msg.author_email, 320).lower(),
                agent_id=agent_id,
                contact_id=contact_id,
                to_addrs=_addr_json(msg.to),
                cc_addrs=_addr_json(msg.cc),
                subject=subject,
                sent_at=sent_at,
                received_at=utcnow(),
                body=body,
                attachments=json.dumps(
                    [
                        {
                            "name": sanitize.one_line(a.name, 300),
                            "type": a.content_type[:100],
                            "size": a.size,
                        }
                        for a in msg.attachments
                    ]
                )
                if msg.attachments
                else None,
                parse_warnings="\n".join(sanitize.one_line(w, 500) for w in msg.warnings) or None,
            ),
        ).scalar_one()

        self._remember_refs(conv.id, mid, refs, msg)
        events = [
            {
                "conversation_id": conv.id,
                "agent_id": agent_id,
                "kind": (EventKind.REPLIED if agent_id else EventKind.RECEIVED).value,
                "at": sent_at,
                "data": json.dumps({"message": row_id, "channel": msg.channel.value}),
            }
        ]
        reopened_from = self._touch(conv, direction, sent_at)
        if reopened_from is not None:
            events.append(
                {
                    "conversation_id": conv.id,
                    "agent_id": None,
                    "kind": EventKind.STATUS_CHANGED.value,
                    "at": sent_at,
                    "data": json.dumps(
                        {
                            "from": reopened_from,
                            "to": Status.OPEN.value,
                            "reason": "customer replied",
                        }
                    ),
                }
            )
        conn.execute(_INSERT_EVENT, events)
        conn.execute(
            _UPDATE_CONVERSATION,
            dict(
                conv_id=conv.id,
                status=conv.status,
                snoozed_until=conv.snoozed_until,
                contact_id=conv.contact_id,
                created_at=conv.created_at,
                last_activity_at=conv.last_activity_at,
                last_customer_at=conv.last_customer_at,
                message_count=conv.message_count,
                version=conv.version,
            ),
        )
        self._expire(Conversation, conv.id)
        note_core_writes(self.session, [conv.id])
        return IngestResult(Outcome.IMPORTED, conv.id, row_id)

    def _expire(self, model: type, row_id: int) -> None:
        obj = self.session.identity_map.get(self.session.identity_key(model, row_id))
        if obj is not None:
            self.session.expire(obj)

    def _conv_state(self, conv_id: int) -> _ConvState:
        row = self._conn.execute(_SELECT_STATE, {"conv_id": conv_id}).one()
        return _ConvState(*row)

    def _refs(self, msg: IncomingMessage, mid: str | None) -> list[str]:
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

    def _find_conversation(
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
            ref = _thread_key_ref(msg)
            lookup = [ref, *(r for r in [mid, *refs] if r)]
            found: dict[str, int] = dict(conn.execute(_SELECT_REFS, {"refs": lookup}).all())
            self._known_refs = set(found)
            return found.get(ref)
        ids = [r for r in [mid, *refs] if r]
        conv_ids: list[int] = []
        self._known_refs = set()
        if ids:
            rows = conn.execute(_SELECT_REFS, {"refs": ids}).all()
            self._known_refs = {r for r, _ in rows}  # reused by _remember_refs: one query, not two
            conv_ids = sorted({c for _, c in rows})
        if conv_ids:
            if len(conv_ids) > 1:
                target = self.session.get(Conversation, conv_ids[0])
                assert target is not None
                for other in conv_ids[1:]:
                    self._merge(other, target)
            return conv_ids[0]
        if not refs and contact_id is not None and sanitize.has_reply_prefix(msg.subject):
            return self._by_subject(contact_id, subject, sent_at)
        return None

    def _by_subject(self, contact_id: int, subject: str, sent_at: datetime) -> int | None:
        base = sanitize.base_subject(subject)
        if not base:
            return None
        c = _CONV.c
        candidates = self._conn.execute(
            core_select(c.id, c.subject)
            .where(c.contact_id == contact_id)
            .where(c.last_activity_at >= sent_at - SUBJECT_FALLBACK_WINDOW)
            .order_by(c.last_activity_at.desc())
            .limit(20)
        ).all()
        for conv_id, conv_subject in candidates:
            if sanitize.base_subject(conv_subject) == base:
                return int(conv_id)
        return None

    def _merge(self, source_id: int, target: Conversation) -> None:
        """A message linked two conversations: fold the newer into the older."""
        s = self.session
        assert target.id is not None
        src = s.get(Conversation, source_id)
        if src is None:
            return
        s.execute(
            update(Message)
            .where(col(Message.conversation_id) == source_id)
            .values(conversation_id=target.id)
        )
        s.execute(
            update(ThreadRef)
            .where(col(ThreadRef.conversation_id) == source_id)
            .values(conversation_id=target.id)
        )
        s.execute(
            update(Event)
            .where(col(Event.conversation_id) == source_id)
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
        s.execute(
            update(Presence)
            .where(col(Presence.conversation_id) == source_id)
            .values(conversation_id=target.id)
        )
        s.execute(
            update(Outbox)
            .where(col(Outbox.conversation_id) == source_id)
            .values(conversation_id=target.id)
        )
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
        s.add(
            Event(
                conversation_id=target.id,
                kind=EventKind.MERGED.value,
                data=json.dumps({"from": source_id}),
            )
        )
        s.flush()

    def _remember_refs(
        self, conv_id: int, mid: str | None, refs: list[str], msg: IncomingMessage
    ) -> None:
        wanted = [r for r in [mid, *refs] if r]
        if msg.thread_key:
            wanted.append(_thread_key_ref(msg))
        known = self._known_refs
        rows = [
            {"ref": ref[:1000], "conversation_id": conv_id}
            for ref in dict.fromkeys(wanted)
            if ref not in known
        ]
        if rows:
            self._conn.execute(_INSERT_REF, rows)

    @staticmethod
    def _touch(conv: _ConvState, direction: Direction, sent_at: datetime) -> str | None:
        """Fold one message into the conversation's summary. Returns the status it had
        when a customer's new message reopens it."""
        conv.message_count += 1
        conv.version += 1
        if sent_at < conv.created_at:
            conv.created_at = sent_at
        newest = sent_at >= conv.last_activity_at
        if newest:
            conv.last_activity_at = sent_at
        if direction is Direction.INBOUND:
            if conv.last_customer_at is None or sent_at > conv.last_customer_at:
                conv.last_customer_at = sent_at
            # A customer writing again reopens the conversation, snoozed or closed.
            if newest and conv.status != Status.OPEN.value and conv.message_count > 1:
                previous = conv.status
                conv.status = Status.OPEN.value
                conv.snoozed_until = None
                return previous
        return None

    def _agent_for(self, msg: IncomingMessage) -> int | None:
        if msg.agent_username:
            return self._agent_by_username(msg.agent_username).id
        email = (msg.author_email or "").strip().lower()
        if not email:
            return None
        if self._agent_emails is None:  # agents are few: one query per transaction
            self._agent_emails = {
                a.email.strip().lower(): a
                for a in self.session.exec(select(Agent).where(col(Agent.email).is_not(None))).all()
                if a.email
            }
        agent = self._agent_emails.get(email)
        return agent.id if agent else None

    def _agent_by_username(self, username: str) -> Agent:
        agent = self._agents_by_username.get(username)
        if agent is None:
            agent = self.session.exec(select(Agent).where(Agent.username == username)).first()
            if agent is None:
                agent = insert_or_get(
                    self.session,
                    Agent(username=username, name=username),
                    select(Agent).where(Agent.username == username),
                )
            self._agents_by_username[username] = agent
        return agent

    def _contact_for(self, msg: IncomingMessage) -> int | None:
        email = (msg.author_email or "").strip().lower()
        if email:
            key = email[:400]
        elif msg.author_handle:
            key = f"chat:{msg.author_handle}"[:400]
        else:
            return None
        name = sanitize.one_line(msg.author_name, 300)
        conn = self._conn
        cached = self._contacts.get(key)
        if cached is None:
            found = conn.execute(_SELECT_CONTACT, {"key": key}).first()
            if found is not None:
                cached = (int(found[0]), found[1])
            else:
                # Another agent's import may create the same contact at the same moment:
                # the unique key decides (then no id comes back) and theirs is read.
                new_id = conn.execute(
                    _insert_contact(conn.dialect.name),
                    {"key": key, "email": email or None, "name": name, "created_at": utcnow()},
                ).scalar()
                if new_id is not None:
                    cached = (int(new_id), name)
                else:
                    theirs = conn.execute(_SELECT_CONTACT, {"key": key}).one()
                    cached = (int(theirs[0]), theirs[1])
            self._contacts[key] = cached
        contact_id, known_name = cached
        if not known_name and name:
            conn.execute(update(_CONTACT).where(_CONTACT.c.id == contact_id).values(name=name))
            self._contacts[key] = (contact_id, name)
            self._expire(Contact, contact_id)
        return contact_id


@dataclass
class _ConvState:
    """The columns of a conversation that ingest maintains, in the order selected."""

    id: int
    status: str
    contact_id: int | None
    created_at: datetime
    last_activity_at: datetime
    last_customer_at: datetime | None
    message_count: int
    snoozed_until: datetime | None
    version: int


_CONV = Conversation.__table__  # type: ignore[attr-defined]
_MSG = Message.__table__  # type: ignore[attr-defined]
_REF = ThreadRef.__table__  # type: ignore[attr-defined]
_EVENT = Event.__table__  # type: ignore[attr-defined]
_CONTACT = Contact.__table__  # type: ignore[attr-defined]

# Built once: constructing and cache-keying a statement per message cost as much as
# running it.
_SELECT_BY_KEY = core_select(_MSG.c.id, _MSG.c.conversation_id).where(
    _MSG.c.dedupe_key == bindparam("key")
)
_SELECT_REFS = core_select(_REF.c.ref, _REF.c.conversation_id).where(
    _REF.c.ref.in_(bindparam("refs", expanding=True))
)
_SELECT_CONTACT = core_select(_CONTACT.c.id, _CONTACT.c.name).where(
    _CONTACT.c.key == bindparam("key")
)
_SELECT_STATE = core_select(*(_CONV.c[f.name] for f in dataclasses.fields(_ConvState))).where(
    _CONV.c.id == bindparam("conv_id")
)
_INSERT_CONVERSATION = insert(_CONV).returning(_CONV.c.id)
_INSERT_MESSAGE = insert(_MSG).returning(_MSG.c.id)
_INSERT_EVENT = insert(_EVENT)
_INSERT_REF = insert(_REF)
_UPDATE_CONVERSATION = update(_CONV).where(_CONV.c.id == bindparam("conv_id"))
_SELECT_BY_KEYS = core_select(_MSG.c.dedupe_key, _MSG.c.id, _MSG.c.conversation_id).where(
    _MSG.c.dedupe_key.in_(bindparam("keys", expanding=True))
)


@functools.cache
def _insert_contact(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING id, in the store's dialect: a
    race with another importer costs no savepoint."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    return (
        dialect_insert(_CONTACT)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_CONTACT.c.id)
    )


def _thread_key_ref(msg: IncomingMessage) -> str:
    return f"key:{msg.source}:{msg.thread_key}"[:1000]


def _addr_json(addrs: list[tuple[str, str]]) -> str | None:
    if not addrs:
        return None
    return json.dumps(
        [[sanitize.one_line(n, 300), sanitize.one_line(a, 320)] for n, a in addrs[:200]]
    )


def ingest_one(session: Session, msg: IncomingMessage) -> IngestResult:
    """Convenience for a single message."""
    return Ingestor(session).add(msg)


__all__ = [
    "Attachment",
    "IncomingMessage",
    "IngestCounts",
    "IngestResult",
    "Ingestor",
    "Outcome",
    "dedupe_key_for",
    "ingest_one",
    "normalise_message_id",
    "utcnow",
]

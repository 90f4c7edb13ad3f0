"""The one way in: every source (IMAP, mail files, chat logs) hands ``IncomingMessage``
values to ``Ingestor.add`` and raw failures to ``Ingestor.quarantine``.

Guarantees:
- idempotent: a message's ``dedupe_key`` (its Message-ID, else source + external id, else
  a content hash) is unique in the store, so the same input twice adds nothing;
- nothing silently lost: what cannot be parsed is kept raw with the reason;
- threading (``ingest.threading``): an explicit source thread key (chat), then
  Message-ID / In-Reply-To / References through ``ThreadRef``, then a subject + contact
  fallback for replies that lost their headers;
- every stored message is an event (received / replied) at the time it was sent.

The caller owns the transaction; sync state committed in the same one covers exactly
the rows added.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.incoming import (
    Attachment,
    IncomingMessage,
    as_utc,
    dedupe_key_for,
    normalise_message_id,
)
from inbox_tui.ingest import bulk, rows
from inbox_tui.ingest.summary import append_message
from inbox_tui.ingest.threading import Threads, references_of
from inbox_tui.models import (
    Agent,
    AttachmentStatus,
    Contact,
    Conversation,
    Direction,
    Quarantine,
    Status,
    utcnow,
)
from inbox_tui.store import blobs, dialect, insert_or_get, note_core_writes

MAX_BODY_CHARS = rows.MAX_BODY_CHARS


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
    """What a run did. ``read == imported + duplicates + quarantined + ratings`` always
    (``ratings``: customers' rating mails, recorded against their conversation and not
    stored as messages; services/ratings.py)."""

    read: int = 0
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    ratings: int = 0
    rules_fired: int = 0  # rule firings in the same transactions (services/rules.py)

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
        self.ratings += other.ratings
        self.rules_fired += other.rules_fired

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "ratings": self.ratings,
        }


class Ingestor:
    """Adds messages within one caller-owned session/transaction.

    Keeps small caches of agents and contacts for the life of the transaction, so bulk
    imports do not re-query them per message.
    """

    def __init__(self, session: Session, own_addresses: frozenset[str] = frozenset()) -> None:
        self.session = session
        # The team's own addresses (the config's accounts): mail from one of them that
        # is no agent's is ours all the same, outbound (#18: an mbox of a whole thread).
        self.own_addresses = frozenset(a.strip().lower() for a in own_addresses)
        self._agents_by_username: dict[str, Agent] = {}
        self._agent_emails: dict[str, Agent] | None = None
        self._threads = Threads(session)
        self._contacts: dict[str, tuple[int, str]] = {}  # key -> (id, name)
        self._conn: Connection  # set by add() / prefetch() for their statements
        # Dedupe keys add_all looked up in one query and found absent: add() skips its
        # own lookup for them (a concurrent insert still ends in the IntegrityError path).
        self._absent: set[str] = set()
        self._blobs: set[str] = set()  # sha256 of blobs written in this transaction
        # While the batch path builds a segment's rows, its new blobs wait here to be
        # written in one statement (``ingest.bulk``); None: written one at a time.
        self._blob_rows: list[dict[str, object]] | None = None

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

    def _blob(self, data: bytes | None) -> str | None:
        """Keep ``data`` once in ``blob``; its sha256 (None for no data)."""
        if data is None:
            return None
        sha = blobs.sha256_of(data)
        if sha not in self._blobs:
            if self._blob_rows is not None:
                row = {"sha256": sha, "size": len(data), "data": data, "created_at": utcnow()}
                self._blob_rows.append(row)
            else:
                blobs.put(self._conn, data, sha)
            self._blobs.add(sha)
        return sha

    def _attachments(self, attachments: list[Attachment]) -> str | None:
        """The message's attachment list as JSON; the bytes of each kept file go to
        ``blob`` once per distinct sha256 (a file already there costs one ignored insert,
        one per transaction)."""
        if not attachments:
            return None
        items = []
        for a in attachments:
            item: dict[str, object] = {
                "name": sanitize.short_filename(a.name, 300),  # the extension kept
                "type": sanitize.one_line(a.content_type, 100),
                "size": a.size,
            }
            if a.data is not None:
                item["sha256"] = self._blob(a.data)
                item["status"] = AttachmentStatus.STORED.value
            elif a.status:
                item["status"] = a.status
            if a.note:
                item["note"] = sanitize.one_line(a.note, 500)
            items.append(item)
        return json.dumps(items, ensure_ascii=False)

    def _existing(self, key: str) -> tuple[int, int] | None:
        row = self._conn.execute(rows.SELECT_BY_KEY, {"key": key}).first()
        return (row[0], row[1]) if row is not None else None

    def _forget(self) -> None:
        """A rolled-back savepoint may have taken rows our caches point at."""
        self._absent.clear()
        self._blobs.clear()
        self._contacts.clear()
        self._agents_by_username.clear()
        self._agent_emails = None

    def quarantine(
        self, source: str, external_id: str | None, reason: str, raw: bytes
    ) -> IngestResult:
        """Keep input that could not be parsed, with the reason. Idempotent too. The raw
        bytes are kept as they came (evidence); the text around them is cleaned (a file
        name with ESC is an external id too)."""
        source = sanitize.one_line(source, 400)
        external_id = sanitize.one_line(external_id, 1000) if external_id else None
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
        """``add`` each message, in order, with the same outcome, but written a batch at
        a time: a few statements per batch instead of several per message
        (``ingest.bulk``)."""
        batch = list(messages)
        # Keys computed once: a message without Message-ID or source id is hashed whole.
        outcomes = bulk.add_batch(self, [(m, dedupe_key_for(m)) for m in batch])
        counts = IngestCounts()
        counts.read = sum(outcomes.values())
        counts.imported = outcomes.get(Outcome.IMPORTED.value, 0)
        counts.duplicates = outcomes.get(Outcome.DUPLICATE.value, 0)
        counts.quarantined = outcomes.get(Outcome.QUARANTINED.value, 0)
        return counts

    def _prefetch(self, keys: list[str]) -> None:
        """Look up a batch's dedupe keys at once, so ``_add`` skips its own query for
        each message not in the store yet."""
        unique = list(dict.fromkeys(keys))
        conn = self._conn = self.session.connection()
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            present = {k for k, _, _ in conn.execute(rows.SELECT_BY_KEYS, {"keys": chunk})}
            self._absent.update(k for k in chunk if k not in present)

    # -- internals -----------------------------------------------------------------
    #
    # The per-message path uses SQLAlchemy Core on the session's connection: the ORM's
    # unit of work cost ~2 ms per message (three flushes, identity map, attribute
    # events), most of an import's time. Any ORM object of a conversation written here
    # is expired afterwards, so callers that hold one in the same session re-read it.

    def _store(self, msg: IncomingMessage, key: str) -> IngestResult:
        conn = self._conn
        sent_at = as_utc(msg.sent_at)
        mid = normalise_message_id(msg.message_id)
        refs = references_of(msg, mid)
        agent_id = self._agent_for(msg)
        direction = self._direction(msg, agent_id)
        contact_id = None if direction is Direction.OUTBOUND else self._contact_for(msg)
        subject = sanitize.one_line(msg.subject, 1000)

        self._threads.use(conn)
        conv_id = self._threads.find(msg, mid, refs, contact_id, subject, sent_at)
        if conv_id is None:
            conv = self._new_conversation(msg, contact_id, subject, sent_at)
        else:
            conv = self._conv_state(conv_id)
            if conv.contact_id is None and contact_id is not None:
                conv.contact_id = contact_id

        row_id = self._insert_message(
            msg, key, conv.id, mid, refs, direction, agent_id, contact_id, subject, sent_at
        )
        self._threads.remember(conv.id, mid, refs, msg)
        reopened_from = append_message(conv, direction, sent_at)
        events = rows.events(conv.id, agent_id, row_id, msg, sent_at, reopened_from, direction)
        conn.execute(rows.INSERT_EVENT, events)
        conn.execute(rows.UPDATE_CONVERSATION, rows.conversation_update(conv))
        self._expire(Conversation, conv.id)
        note_core_writes(self.session, [conv.id])
        return IngestResult(Outcome.IMPORTED, conv.id, row_id)

    def _new_conversation(
        self, msg: IncomingMessage, contact_id: int | None, subject: str, sent_at: datetime
    ) -> rows.ConvState:
        conv = rows.ConvState(
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
        conv.id = self._conn.execute(
            rows.INSERT_CONVERSATION,
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
        return conv

    def _insert_message(
        self,
        msg: IncomingMessage,
        key: str,
        conv_id: int,
        mid: str | None,
        refs: list[str],
        direction: Direction,
        agent_id: int | None,
        contact_id: int | None,
        subject: str,
        sent_at: datetime,
    ) -> int:
        params = rows.message_params(
            msg,
            key,
            conv_id,
            mid,
            refs,
            direction,
            agent_id,
            contact_id,
            subject,
            sent_at,
            self._attachments(msg.attachments),
            self._blob(msg.html or None),
        )
        row_id: int = self._conn.execute(rows.INSERT_MESSAGE, params).scalar_one()
        return row_id

    def _expire(self, model: type, row_id: int) -> None:
        obj = self.session.identity_map.get(self.session.identity_key(model, row_id))
        if obj is not None:
            self.session.expire(obj)

    def _conv_state(self, conv_id: int) -> rows.ConvState:
        row = self._conn.execute(rows.SELECT_STATE, {"conv_id": conv_id}).one()
        return rows.ConvState(*row)

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

    def _direction(self, msg: IncomingMessage, agent_id: int | None) -> Direction:
        """Outbound for an agent's message or one from the team's own addresses."""
        if agent_id or (msg.author_email or "").strip().lower() in self.own_addresses:
            return Direction.OUTBOUND
        return Direction.INBOUND

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
            found = conn.execute(rows.SELECT_CONTACT, {"key": key}).first()
            if found is not None:
                cached = (int(found[0]), found[1])
            else:
                # Another agent's import may create the same contact at the same moment:
                # the unique key decides (then no id comes back) and theirs is read.
                new_id = conn.execute(
                    dialect.insert_ignoring_conflict(rows.CONTACT, "key", "id", conn.dialect.name),
                    {"key": key, "email": email or None, "name": name, "created_at": utcnow()},
                ).scalar()
                if new_id is not None:
                    cached = (int(new_id), name)
                else:
                    theirs = conn.execute(rows.SELECT_CONTACT, {"key": key}).one()
                    cached = (int(theirs[0]), theirs[1])
            self._contacts[key] = cached
        contact_id, known_name = cached
        if not known_name and name:
            conn.execute(
                update(rows.CONTACT).where(rows.CONTACT.c.id == contact_id).values(name=name)
            )
            self._contacts[key] = (contact_id, name)
            self._expire(Contact, contact_id)
        return contact_id


def ingest_one(session: Session, msg: IncomingMessage) -> IngestResult:
    """Convenience for a single message."""
    return Ingestor(session).add(msg)

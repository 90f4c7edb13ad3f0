"""The store's tables. The schema is the domain model.

Rules encoded here (see DESIGN.md):
- every message has a unique ``dedupe_key`` so ingest is idempotent;
- ``Event`` is append-only: every change to a conversation is one row, stats read it;
- the conversation row keeps denormalised fields (status, assignee, last activity) so
  lists are cheap, and the services keep them in step with the events.

Times are timezone-aware and kept in UTC (SQLModel's ``UTCDateTime`` refuses naive
values, which keeps local times from sneaking in); ``utcnow()`` is the store's clock.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from inbox_tui.incoming import Channel


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


class Status(enum.StrEnum):
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    SNOOZED = "snoozed"  # hidden until snoozed_until, or until the customer writes
    CLOSED = "closed"


# The source of the messages the app sends: a reply answers the customer; a forward goes
# to someone else and is no response (response targets do not count it).
REPLY_SOURCE = "outbox"
FORWARD_SOURCE = "outbox:forward"


class Direction(enum.StrEnum):
    INBOUND = "in"  # from the customer
    OUTBOUND = "out"  # a reply from an agent, seen by the customer
    NOTE = "note"  # internal note, never sent


class TagKind(enum.StrEnum):
    CATEGORY = "category"  # what the conversation is about: bug, pricing, ...
    MODIFIER = "modifier"  # how it is: angry, billing, ...


class EventKind(enum.StrEnum):
    RECEIVED = "received"
    REPLIED = "replied"
    NOTED = "noted"
    TAGGED = "tagged"
    UNTAGGED = "untagged"
    ASSIGNED = "assigned"
    STATUS_CHANGED = "status_changed"
    SNOOZED = "snoozed"
    ARTICLE_SENT = "article_sent"
    MACRO_APPLIED = "macro_applied"
    MERGED = "merged"
    # A message and its replies moved to another conversation (services/merge.py):
    # data {"to"|"from", "messages", "events"}, and "undoes_merge" when it reverses one.
    SPLIT = "split"
    # A rule's actions ran on a customer's message: data {"rule", "event", "actions"}.
    RULE_FIRED = "rule_fired"
    RATED = "rated"
    FORWARDED = "forwarded"
    # Undo send: data {"outbox", "replied_event"}; the stats drop that reply.
    REPLY_CANCELLED = "reply_cancelled"
    # A burst confirmed as an incident or dismissed: data {"action", "name", "bug"}
    # (services/incidents.py).
    INCIDENT = "incident"
    # The follow-up of a fixed bug sent to this conversation: data {"ref", "macro",
    # "outbox" (its reply's)} (services/buglinks.py); a second run skips it, unless
    # its reply was taken back (undo send).
    FOLLOWED_UP = "followed_up"
    # An agent set or cleared the conversation's own response targets by hand
    # (``conv target``, the palette): data {"first", "next" (seconds or None),
    # "changes"} (services/sla.set_by_hand); a rule's are in its ``rule_fired``.
    TARGET_SET = "target_set"
    # An outbox row went out (sent, or recorded in the demo) at this time: data
    # {"outbox"}. A reply queued with ``"on_send"`` in its ``replied`` event counts in
    # the stats from here, at this time (store/aggregates.py).
    SENT = "sent"


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; outcome unknown if the process died
    SENT = "sent"
    FAILED = "failed"  # permanent failure, shown in the conversation with the reason
    HELD = "held"  # collision check: another agent acted since the draft began
    DISCARDED = "discarded"
    LOGGED = "logged"  # chat reply with no delivery route: recorded, not delivered
    CANCELLED = "cancelled"  # taken back by the agent during the undo delay


class Agent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=200)
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)
    created_at: datetime = Field(default_factory=utcnow)


class Contact(SQLModel, table=True):
    """A customer. ``key`` is the lower-cased email, or ``chat:<source>:<handle>``."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=400)
    email: str | None = Field(default=None, max_length=320, index=True)
    name: str = Field(default="", max_length=300)
    company: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    __table_args__ = (
        # The list's keyset paging: newest activity first, id breaks ties.
        Index("ix_conversation_status_activity", "status", "last_activity_at", "id"),
        Index("ix_conversation_activity", "last_activity_at", "id"),
        Index("ix_conversation_assignee_activity", "assignee_id", "last_activity_at", "id"),
        # "Needs reply, oldest first" pages by (waiting since, id) (store/waiting.py).
        Index("ix_conversation_waiting", "waiting_since", "id"),
        # A merged-away conversation's id is never given again (migration 0022).
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(default="", max_length=1000)
    channel: str = Field(default=Channel.EMAIL.value, max_length=20)
    # Where it came from: "imap:<account>/<mailbox>", "mail:import", "chat:slack:<channel>", ...
    source: str = Field(default="", max_length=400)
    status: str = Field(default=Status.OPEN.value, max_length=20)
    snoozed_until: datetime | None = None
    assignee_id: int | None = Field(default=None, foreign_key="agent.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow)
    last_customer_at: datetime | None = None
    message_count: int = 0
    rating: str | None = Field(default=None, max_length=10)  # good / ok / bad
    # Since when it waits for a reply (NULL: it does not): kept from the one definition,
    # store/waiting.py, at every commit that changes the conversation.
    waiting_since: datetime | None = None
    # Response targets set for this conversation alone (a rule's then.target), in
    # seconds; they replace the config's. NULL: the config's apply.
    target_first: int | None = None
    target_next: int | None = None
    # Bumped on every change; the reply collision check compares it.
    version: int = 0


class Message(SQLModel, table=True):
    __table_args__ = (Index("ix_message_conversation_sent", "conversation_id", "sent_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    # "mid:<message-id>" where the message has one, else "src:<source>:<external id>".
    dedupe_key: str = Field(unique=True, max_length=1000)
    source: str = Field(default="", max_length=400)
    external_id: str | None = Field(default=None, max_length=1000)
    message_id: str | None = Field(default=None, max_length=1000, index=True)
    in_reply_to: str | None = Field(default=None, max_length=1000)
    refs: str | None = Field(default=None, sa_column=Column(Text))  # References, space-separated
    direction: str = Field(default=Direction.INBOUND.value, max_length=10)
    author_name: str = Field(default="", max_length=300)
    author_email: str | None = Field(default=None, max_length=320)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    to_addrs: str | None = Field(default=None, sa_column=Column(Text))  # JSON list
    cc_addrs: str | None = Field(default=None, sa_column=Column(Text))  # JSON list
    reply_to_addrs: str | None = Field(default=None, sa_column=Column(Text))  # JSON list
    subject: str = Field(default="", max_length=1000)
    sent_at: datetime = Field(default_factory=utcnow)
    received_at: datetime = Field(default_factory=utcnow)
    # The sender's UTC offset in minutes where their mail or chat said it (migration 0009).
    utc_offset: int | None = Field(default=None)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    # JSON list of {name, content_type, size, sha256, status, note}; bytes in ``blob``.
    attachments: str | None = Field(default=None, sa_column=Column(Text))
    # The original HTML part's bytes in ``blob`` (#18: shown as source, or in a browser).
    html_sha256: str | None = Field(default=None, max_length=64)
    parse_warnings: str | None = Field(default=None, sa_column=Column(Text))


class ThreadRef(SQLModel, table=True):
    """Which conversation a Message-ID (seen or only referenced) belongs to.

    Threading looks up a new message's own id and every id it references here, so a
    reply whose parent has not arrived yet still lands with its siblings ("ghost
    roots"), and reference loops cost nothing: nothing is walked.
    """

    ref: str = Field(primary_key=True, max_length=1000)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)


class Quarantine(SQLModel, table=True):
    """Input that could not be stored as a message: kept raw with the reason."""

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=1000)
    source: str = Field(default="", max_length=400)
    external_id: str | None = Field(default=None, max_length=1000)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    raw: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    kind: str = Field(default=TagKind.CATEGORY.value, max_length=20)
    color: str = Field(default="", max_length=30)


class ConversationTag(SQLModel, table=True):
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True)


class Event(SQLModel, table=True):
    """Append-only history. ``data`` is a small JSON object specific to ``kind``."""

    __table_args__ = (
        Index("ix_event_conversation", "conversation_id", "id"),
        Index("ix_event_kind_at", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id", index=True)
    kind: str = Field(max_length=30)
    at: datetime = Field(default_factory=utcnow)
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    # The agent's action this event belongs to: every event an agent's write transaction
    # records shares one batch, so a bulk action (or a snooze's two events) undoes as one.
    batch: str | None = Field(default=None, max_length=40, index=True)
    # Set on the events an undo records: the batch they revert (services/undo.py).
    undoes: str | None = Field(default=None, max_length=40, index=True)


class Macro(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=200)
    name: str = Field(max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    # "reply" or "note": what the body becomes.
    body_kind: str = Field(default="reply", max_length=10)
    actions: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    pinned: int | None = None  # number key 1-9 in the picker
    source_path: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow)


class Article(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=300)
    title: str = Field(max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    category: str = Field(default="", max_length=200)
    tags: str = Field(default="", max_length=1000)
    url: str | None = Field(default=None, max_length=1000)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    source_path: str | None = Field(default=None, max_length=1000)
    # Indexed: every suggestion checks whether the help centre changed (migration 0013).
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class Embedding(SQLModel, table=True):
    """Sentence embeddings of an article's chunks or a conversation's query text, for
    suggestions by meaning (services/semantic.py). Derived data: ``text_hash`` is the
    sha256 of the text that was embedded with ``model``, so a changed text or model is
    recomputed and an unchanged one never is. ``vectors`` holds one or more float16 rows.
    """

    kind: str = Field(primary_key=True, max_length=20)  # "article" or "conversation"
    ref_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    model: str = Field(max_length=100)
    text_hash: str = Field(max_length=64)
    vectors: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)

    # The freshness check of the in-memory article index reads only this (migration 0013).
    __table_args__ = (Index("ix_embedding_kind_model_updated", "kind", "model", "updated_at"),)


class StoreMeta(SQLModel, table=True):
    """Facts about the store itself, by key: ``demo`` = "1" on a store built by
    ``inbox-tui demo`` (``demo.is_demo_store``)."""

    __tablename__ = "store_meta"
    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(max_length=1000)


class SyncState(SQLModel, table=True):
    """Where a source left off. Committed with the rows it covers.

    IMAP: ``source`` is "imap:<account>/<mailbox>" and the three IMAP fields are used.
    File sources (chat logs): ``cursor`` holds a small JSON object (offset, inode, ...).
    """

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(unique=True, max_length=400)
    uidvalidity: int | None = Field(default=None)
    last_uid: int = 0
    highestmodseq: int | None = None
    cursor: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = Field(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """A reply waiting to be (or already) delivered: stored with its reply event."""

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    message_row_id: int | None = Field(default=None, foreign_key="message.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    account: str = Field(default="", max_length=200)
    channel: str = Field(default=Channel.EMAIL.value, max_length=20)
    message_id: str = Field(unique=True, max_length=1000)
    mail_from: str = Field(default="", max_length=320)
    rcpt_to: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    raw: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default=OutboxStatus.QUEUED.value, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class Presence(SQLModel, table=True):
    """Who is looking at what, refreshed by a heartbeat; stale rows are ignored."""

    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    activity: str = Field(default="viewing", max_length=20)  # viewing / replying
    heartbeat_at: datetime = Field(default_factory=utcnow)


class SavedSearch(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agent_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")  # None: whole team
    name: str = Field(max_length=200)
    query: str = Field(default="", max_length=2000)
    # The view the search was typed in ("open", "mine", "tag:bug", "all" = everything):
    # the saved view shows what the search showed when it was saved.
    scope: str = Field(default="all", max_length=200)


class Draft(SQLModel, table=True):
    """Text an agent typed in the composer and has not sent (a reply) or saved (a note):
    one per conversation, agent and kind, in the store so another session, a restart or
    a crash keeps it."""

    __table_args__ = (UniqueConstraint("conversation_id", "agent_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    kind: str = Field(default="reply", max_length=10)  # "reply" or "note"
    # The review step's edits (JSON of what the agent changed: recipients, signature,
    # files); None: none, the computed defaults apply (services.review.Review.edits).
    review: str | None = Field(default=None, sa_column=Column(Text))


class Mention(SQLModel, table=True):
    """An agent named with ``@username`` in an internal note: their notification until
    they have read it (services/mentions.py). Tied to the note, so it follows the note
    through merges and splits."""

    __table_args__ = (
        UniqueConstraint("message_id", "agent_id"),
        Index("ix_mention_agent_read", "agent_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    message_id: int = Field(foreign_key="message.id", index=True)
    by_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class ContactAttribute(SQLModel, table=True):
    """A customer's attribute (plan, company, country, anything a contacts CSV or the
    chat log provides): one value per name, names lower-case. Search
    ``contact.plan:enterprise``, rules and response targets read them
    (services/contacts.py)."""

    __tablename__ = "contact_attribute"
    __table_args__ = (Index("ix_contact_attribute_name_value", "name", "value"),)

    contact_id: int = Field(foreign_key="contact.id", primary_key=True)
    name: str = Field(primary_key=True, max_length=100)
    value: str = Field(default="", max_length=1000)


_STAT_CONVERSATION_READ = ("first_response_us", "first_responder_id", "last_closer_id", "tags")


class StatConversation(SQLModel, table=True):
    """Per-conversation figures the stats need, folded from the conversation's events.

    Derived data, never edited: kept in step with ``event`` inside the transaction that
    appends events (``inbox_tui.services.stats_aggregates``), and rebuildable from the
    log at any time. Times are integer microseconds since the Unix epoch (UTC), so
    periods and durations are exact integer arithmetic on both databases.
    """

    __tablename__ = "stat_conversation"
    # Covering indexes (migration 0026): a report's period is two range scans of them.
    __table_args__ = (
        Index(
            "ix_stat_conversation_first_cover",
            "first_message_us",
            "last_closed_us",
            *_STAT_CONVERSATION_READ,
        ),
        Index(
            "ix_stat_conversation_closed_cover",
            "last_closed_us",
            "first_message_us",
            *_STAT_CONVERSATION_READ,
        ),
    )

    conversation_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    first_message_us: int | None = Field(default=None, sa_type=BigInteger)
    first_response_us: int | None = Field(default=None, sa_type=BigInteger)
    first_responder_id: int | None = None
    last_closed_us: int | None = Field(default=None, sa_type=BigInteger)
    last_closer_id: int | None = None
    tags: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list


class StatEvent(SQLModel, table=True):
    """One row per event that a figure counts, with the duration it contributes.

    ``kind``: received, replied, noted, closed, macro, article, rated. ``duration_us``
    is the response time of a reply and the time to close of a close. ``owner_id`` is,
    for a rating, the agent who had last closed the conversation (None: its assignee).
    """

    __tablename__ = "stat_event"
    __table_args__ = (
        # Covering index: every period query is a range scan of it, never of the table.
        Index(
            "ix_stat_event_kind_t",
            "kind",
            "t_us",
            "agent_id",
            "conversation_id",
            "duration_us",
        ),
        Index("ix_stat_event_conversation", "conversation_id"),
        # A period's events of one kind by one agent are one range of it (migration 0026).
        Index(
            "ix_stat_event_kind_agent_t",
            "kind",
            "agent_id",
            "t_us",
            "conversation_id",
            "duration_us",
        ),
    )

    event_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    conversation_id: int
    kind: str = Field(max_length=10)
    agent_id: int | None = None
    t_us: int = Field(sa_type=BigInteger)
    duration_us: int | None = Field(default=None, sa_type=BigInteger)
    rating: str | None = Field(default=None, max_length=10)
    owner_id: int | None = None


class Blob(SQLModel, table=True):
    """An attachment's bytes, stored once however many messages carry them: the key is
    their sha256. In the database on both backends, so it is written in the same
    transaction as its message (no orphan or half-written files after a crash), every
    agent who can read the store can open it, and a backup of the store has it."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_type=BigInteger)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class AttachmentStatus(enum.StrEnum):
    """``status`` of an entry in ``Message.attachments``."""

    STORED = "stored"  # bytes in ``blob`` under the entry's sha256
    TOO_LARGE = "too_large"  # over the [mail] size cap: name and size kept, bytes not
    UNREADABLE = "unreadable"  # its encoding is broken: nothing trustworthy to keep


class SubjectKey(SQLModel, table=True):
    """A feature request's subject as the stats report groups it (``sanitize.base_subject``),
    kept when a conversation with that subject is tagged 'feature request'. Its similarity
    to every other kept key is in ``subject_pair`` (``store/subject_keys.py``), so the
    report's grouping reads scores instead of comparing subjects. Derived, rebuildable."""

    __tablename__ = "subject_key"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=40, unique=True)  # sha1 of ``key``: an index-safe size
    key: str = Field(sa_column=Column(Text, nullable=False))


class SubjectPair(SQLModel, table=True):
    """Two kept subject keys that are similar enough to be one feature request (the
    report's threshold or more), with their score; stored in both directions."""

    __tablename__ = "subject_pair"

    key_id: int = Field(foreign_key="subject_key.id", primary_key=True)
    other_id: int = Field(foreign_key="subject_key.id", primary_key=True)
    score: float

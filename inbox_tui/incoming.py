"""What every source produces: ``IncomingMessage`` values, normalised but untrusted.

Pure: no store, models, ingest or sqlalchemy. The parsers (``mail/parse.py``,
``sources/*``) build these; ``ingest.Ingestor`` is the one place that writes them.
The dedupe key (``dedupe_key_for``) is what makes ingest idempotent.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from inbox_tui import sanitize


class Channel(enum.StrEnum):
    """Where a message came from; also the ``Conversation.channel`` column's type."""

    EMAIL = "email"
    CHAT = "chat"


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int


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
                as_utc(msg.sent_at).isoformat(),
                msg.body,
            ]
        ).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return f"hash:{digest}"


def as_utc(dt: datetime) -> datetime:
    """Aware UTC; a naive value is taken as UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)

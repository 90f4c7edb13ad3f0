"""What every source produces: ``IncomingMessage`` values, normalised but untrusted.

Pure: no store, models, ingest or sqlalchemy. The parsers (``mail/parse.py``,
``sources/*``) build these; ``ingest.Ingestor`` is the one place that writes them.
The dedupe key (``dedupe_key_for``) is what makes ingest idempotent.
"""

from __future__ import annotations

import enum
import hashlib
import re
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
    data: bytes | None = None  # None: not kept (``status``/``note`` say why)
    status: str = ""  # "stored", "too_large", "unreadable"; "" = listed only
    note: str | None = None  # the plain sentence when the file was not kept

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", sanitize.short_filename(self.name, 300))
        object.__setattr__(self, "content_type", sanitize.one_line(self.content_type, 200))


# How each text field of IncomingMessage is cleaned when it is set (see __setattr__):
# the one boundary every source passes, so a new reader or a new field cannot forget.
_LINE_LIMITS = {
    "source": 1000,
    "external_id": 1000,
    "subject": 1000,
    "message_id": 1000,
    "in_reply_to": 1000,
    "thread_key": 1000,
    "author_name": 300,
    "author_email": 320,
    "author_handle": 400,
    "agent_username": 200,
}
_MAX_LIST = {"references": 100, "to": 200, "cc": 200, "attachments": 500, "warnings": 100}


@dataclass
class IncomingMessage:
    """A message from any source, normalised. Text fields may be untrusted: ``add``
    sanitises them."""

    source: str  # "imap:<account>/<mailbox>", "mail:<path>", "chat:slack:<channel>", ...
    external_id: str | None  # UID, file name, chat timestamp...: stable within source
    sent_at: datetime  # aware; naive values are taken as UTC
    # The sender's UTC offset in minutes (their Date header, a chat log's zone); None
    # when unknown. The customer's clock (services/clock.py) reads it.
    utc_offset: int | None = None
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
    # Where the sender wants answers (web forms send from a no-reply address).
    reply_to: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    # Set by a source that knows this author is one of our agents (chat handles mapped
    # in config, the account's own address): the message is then a reply.
    agent_username: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The original HTML part, as bytes: evidence of what was sent, kept as a blob and
    # shown only through ``sanitize`` (``services.html_source``).
    html: bytes | None = None

    def __setattr__(self, name: str, value: object) -> None:
        """Every text field is cleaned as it is set, by whichever source sets it: no
        control characters (ESC, C1, NUL), no bidi controls, single-line fields on one
        line and bounded, lists bounded. What is stored is what can be shown; the raw
        bytes stay only where they are evidence (quarantine)."""
        if isinstance(value, str):
            if name == "body":
                value = sanitize.for_display(value)
            elif name in _LINE_LIMITS:
                value = sanitize.one_line(value, _LINE_LIMITS[name])
                if name == "author_email" and not value:
                    value = None
        elif isinstance(value, list) and name in _MAX_LIST:
            value = _clean_list(
                value[-_MAX_LIST[name] :] if name == "references" else value[: _MAX_LIST[name]]
            )
        super().__setattr__(name, value)


def _clean_list(items: list) -> list:  # type: ignore[type-arg]
    out: list = []  # type: ignore[type-arg]
    for item in items:
        if isinstance(item, str):
            out.append(sanitize.one_line(item, 1000))
        elif isinstance(item, tuple):
            out.append(tuple(sanitize.one_line(x, 320) if isinstance(x, str) else x for x in item))
        else:
            out.append(item)  # Attachment cleans itself
    return out


_SPACE = re.compile(r"\s")  # the characters str.isspace() accepts


def normalise_message_id(value: str | None) -> str | None:
    """``<abc@host>`` → ``abc@host``; blanks and absurd values → None."""
    if not value:
        return None
    # Printable text has no control character for ``clean`` to take out and no
    # whitespace but " " (the usual case, and this runs several times per message).
    printable = value.isprintable()
    value = (value if printable else sanitize.clean(value)).strip()
    if value.startswith("<") and ">" in value:
        value = value[1 : value.index(">")]
    value = value.strip().strip("<>").strip()
    if not value or len(value) > 900 or (" " in value if printable else _SPACE.search(value)):
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

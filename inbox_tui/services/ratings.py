"""Customer ratings from any mail client: "How did we do? Good / OK / Bad" as ``mailto:``
links to the team address with a tagged subject, ``Rating good #123 3f9a…``, so no web
server is needed (Basecamp's Good / OK / Bad links, *Intercom on Customer Support*).

- ``token``: 16 hex digits of a SHA-256 over the conversation's number and the dedupe
  key of its first message (a value only the store holds), so a rating for another
  conversation cannot be made up;
- ``links``: the three ``mailto:`` links for a conversation (the signature placeholders
  ``rating.good``, ``rating.ok``, ``rating.bad``);
- ``parse_subject`` recognises a rating mail; ``record_rating_mail`` checks it (the
  conversation exists, the token matches, the sender is the conversation's customer)
  and records it with ``triage.set_rating`` (the latest rating wins; the same mail again
  is a replay and changes nothing). A refusal is one sentence.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from sqlmodel import Session, col, func, select

from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import IngestCounts, Ingestor
from inbox_tui.models import (
    Contact,
    Conversation,
    Direction,
    Event,
    EventKind,
    Message,
    ThreadRef,
)
from inbox_tui.services.core import conversation_not_found
from inbox_tui.services.triage import set_rating

RATINGS = ("good", "ok", "bad")
_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|fwd?)\s*:\s*)*rating\s+(good|ok|bad)\s+#(\d{1,18})\s+([0-9a-f]{16})\s*$",
    re.IGNORECASE,
)


class RatingRefused(UserError):
    pass


def token(session: Session, conversation_id: int) -> str:
    first = session.exec(
        select(Message.dedupe_key)
        .where(Message.conversation_id == conversation_id)
        .order_by(col(Message.id))
        .limit(1)
    ).first()
    if first is None:
        raise conversation_not_found(conversation_id)
    return hashlib.sha256(f"inbox-tui rating {conversation_id} {first}".encode()).hexdigest()[:16]


def team_address(session: Session, conversation_id: int) -> str | None:
    """The address the customer wrote to (their first message's first To)."""
    raw = session.exec(
        select(Message.to_addrs)
        .where(Message.conversation_id == conversation_id)
        .where(Message.direction == Direction.INBOUND.value)
        .order_by(col(Message.id))
        .limit(1)
    ).first()
    try:
        pairs = json.loads(raw) if raw else []
    except ValueError:
        return None
    return next((str(a) for _, a in pairs if a), None)


def links(session: Session, conversation_id: int, address: str | None = None) -> dict[str, str]:
    """``{"good": "mailto:...", "ok": ..., "bad": ...}``; empty without a team address."""
    to = address or team_address(session, conversation_id)
    if not to:
        return {}
    tok = token(session, conversation_id)
    return {
        r: f"mailto:{quote(to, safe='@')}?subject={quote(f'Rating {r} #{conversation_id} {tok}')}"
        for r in RATINGS
    }


def links_line(found: dict[str, str]) -> str:
    """``How did we do? Good <mailto:…> / OK <…> / Bad <…>`` (``conv rating-links`` and
    the ``{{rating.links}}`` placeholder a signature can carry)."""
    words = {"good": "Good", "ok": "OK", "bad": "Bad"}
    return "How did we do? " + " / ".join(f"{words[r]} <{u}>" for r, u in found.items())


@dataclass(frozen=True)
class RatingMail:
    rating: str
    conversation_id: int
    token: str


def parse_subject(subject: str) -> RatingMail | None:
    m = _SUBJECT.match(subject or "")
    if not m:
        return None
    return RatingMail(m.group(1).lower(), int(m.group(2)), m.group(3).lower())


def record_rating_mail(
    session: Session, subject: str, sender: str | None, message_id: str | None
) -> bool | None:
    """Record the rating a mail carries. True when the rating changed, False when it was
    already so, None when this very mail (its Message-ID) was recorded before. Raises
    RatingRefused (one sentence) for a subject that is no rating, a forged token or
    another sender."""
    found = parse_subject(subject)
    if found is None:
        raise RatingRefused(
            "This mail is not a rating (its subject is not “Rating good #N token”)."
        )
    conv = session.get(Conversation, found.conversation_id)
    if conv is None:
        raise RatingRefused(
            f"The rating names conversation {found.conversation_id}, which does not exist."
        )
    if token(session, found.conversation_id) != found.token:
        raise RatingRefused(
            f"The rating for conversation {found.conversation_id} has a wrong token; it was not counted."
        )
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    if contact is None or not sender or (contact.email or "").lower() != sender.strip().lower():
        raise RatingRefused(
            f"The rating for conversation {found.conversation_id} comes from someone other "
            "than its customer; it was not counted."
        )
    if message_id and _seen(session, conv.id, message_id):  # type: ignore[arg-type]
        return None
    return set_rating(
        session, None, found.conversation_id, found.rating, via="mail", message_id=message_id
    )


def _seen(session: Session, conversation_id: int, message_id: str) -> bool:
    for raw in session.exec(
        select(Event.data)
        .where(Event.conversation_id == conversation_id)
        .where(Event.kind == EventKind.RATED.value)
    ).all():
        if json.loads(raw or "{}").get("message_id") == message_id:
            return True
    return False


def record_chat_rating(
    session: Session,
    channel: str,
    thread: str,
    author_key: str,
    rating: str,
    line_id: str,
    at: datetime,
) -> bool:
    """A chat log's rating line (``{"conversation": …, "rating": "good"}``): recorded
    against that chat conversation when its writer is the conversation's customer
    (``author_key``: their contact key). True when the rating changed; a line seen
    before changes nothing. Raises RatingRefused (one sentence)."""
    ref = session.get(ThreadRef, f"key:chat:{channel}:thread:{channel}:{thread}"[:1000])
    conv = session.get(Conversation, ref.conversation_id) if ref is not None else None
    if conv is None or conv.id is None:
        raise RatingRefused(
            f"The rating names chat conversation {thread!r}, which is not in the store."
        )
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    if contact is None or contact.key != author_key:
        raise RatingRefused(
            f"The rating for chat conversation {thread!r} comes from someone other than its "
            "customer; it was not counted."
        )
    # The latest wins by the log's time: a line read again when a grown log is imported
    # again, or an older one, never undoes a later rating.
    latest = session.exec(
        select(func.max(Event.at))
        .where(Event.conversation_id == conv.id)
        .where(Event.kind == EventKind.RATED.value)
    ).one()
    if latest is not None and at <= (latest if latest.tzinfo else latest.replace(tzinfo=UTC)):
        return False
    if _seen(session, conv.id, line_id):
        return False
    return set_rating(session, None, conv.id, rating, at=at, via="chat", message_id=line_id)


def take_ratings(
    session: Session,
    ing: Ingestor,
    counts: IngestCounts,
    items: list[tuple[IncomingMessage, bytes]],
) -> list[IncomingMessage]:
    """The sync's and the import's door: rating mails are recorded (counted in
    ``counts.ratings``) instead of opening a conversation; a refused one (forged, from
    someone else, for a missing conversation) is quarantined with its sentence. Returns
    the other messages, for ``Ingestor.add_all``."""
    keep = []
    for msg, raw in items:
        if parse_subject(msg.subject) is None:
            keep.append(msg)
            continue
        try:
            recorded = record_rating_mail(session, msg.subject, msg.author_email, msg.message_id)
        except RatingRefused as exc:
            counts.count(ing.quarantine(msg.source, msg.external_id, str(exc), raw))
            continue
        counts.read += 1
        if recorded is None:  # the same mail imported or synced again
            counts.duplicates += 1
        else:
            counts.ratings += 1
    return keep

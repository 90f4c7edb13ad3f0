"""Who the customer is: the contact behind a conversation and their other conversations.

Read-only; the TUI's Contact pane and anything else that wants a customer's history call
this instead of querying the tables itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.models import Contact, Conversation
from inbox_tui.services.contactimport import attributes_of
from inbox_tui.services.core import conversation_not_found

# An address the search language reads back as one from: value.
_SEARCHABLE = re.compile(r'[^\s"]{1,320}')


@dataclass
class PastConversation:
    id: int
    subject: str
    status: str
    channel: str
    last_activity_at: datetime
    message_count: int


@dataclass
class ContactCard:
    id: int
    name: str
    email: str | None
    company: str | None
    key: str
    first_seen: datetime
    conversations: list[PastConversation]  # newest activity first, at most ``limit``
    total: int  # every conversation of this contact, the current one included
    attributes: dict[str, str] = field(default_factory=dict)  # plan, country... by name


def contact_card(session: Session, conversation_id: int, limit: int = 50) -> ContactCard | None:
    """The customer of ``conversation_id`` with their conversations (this one included, so
    the agent sees where it sits in the history); None when the conversation has no
    known customer. Raises NotFound when the conversation does not exist."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise conversation_not_found(conversation_id)
    if conv.contact_id is None:
        return None
    contact = session.get(Contact, conv.contact_id)
    if contact is None or contact.id is None:
        return None
    rows = session.exec(
        select(Conversation)
        .where(Conversation.contact_id == contact.id)
        .order_by(col(Conversation.last_activity_at).desc(), col(Conversation.id).desc())
        .limit(limit)
    ).all()
    total, first = session.exec(
        select(func.count(), func.min(Conversation.created_at)).where(
            Conversation.contact_id == contact.id
        )
    ).one()
    return ContactCard(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        company=contact.company,
        key=contact.key,
        # The contact row is created when their mail is first imported, which may be
        # long after they first wrote; their oldest conversation says when that was.
        first_seen=first or contact.created_at,
        conversations=[
            PastConversation(
                id=c.id,  # type: ignore[arg-type]
                subject=c.subject,
                status=c.status,
                channel=c.channel,
                last_activity_at=c.last_activity_at,
                message_count=c.message_count,
            )
            for c in rows
        ],
        total=int(total),
        attributes=attributes_of(session, contact.id),
    )


def contact_query(session: Session, conversation_id: int) -> str | None:
    """The search that lists this conversation's customer's conversations, or None when
    the conversation has no known customer: ``from:ADDRESS`` when the address reads back
    as one search term, else ``contact:ID`` (a quoted local part such as
    ``"ann lee"@x.com`` has spaces and quotes, and ``from:`` on it found nothing; a
    stored address with control characters is never put in the search box)."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise conversation_not_found(conversation_id)
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    if contact is None:
        return None
    who = contact.email or ""
    if who and _SEARCHABLE.fullmatch(who) and sanitize.one_line(who, 320) == who:
        return f"from:{who}"
    return f"contact:{contact.id}"

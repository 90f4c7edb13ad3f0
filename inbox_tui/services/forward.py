"""Forwarding a message or a whole conversation to any address (a supplier, a
colleague): one message goes attached whole as ``message/rfc822`` with its attachments,
or quoted; a conversation goes quoted, oldest first, notes never. The forward is kept
in the thread and recorded as a ``forwarded`` event, not a reply, so it is no response
to the customer in the stats. It waits out the undo delay like a reply."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session

from inbox_tui.errors import UserError
from inbox_tui.mail.outgoing import (
    OriginalMessage,
    ReplyParts,
    build_reply,
    forward_subject,
    new_message_id,
    quote_original,
    rebuild_original,
    with_signature,
)
from inbox_tui.models import FORWARD_SOURCE, Direction, EventKind, Message, utcnow
from inbox_tui.services import core
from inbox_tui.services.attachments import (
    carried_files,
    entries,
    read_attachments,
    stored_attachments,
)
from inbox_tui.services.drafts import delete_draft
from inbox_tui.services.replies import (
    Delivery,
    composed,
    queued_status,
    sending_account,
    signature,
    store_outgoing,
    thread_of,
)

if TYPE_CHECKING:
    from inbox_tui.config import Account, Config

# A recipient: "Ana Díaz <ana@example.com>" as typed, or (name, address).
Recipient = str | tuple[str, str]


def original_of(session: Session, m: Message) -> OriginalMessage:
    """What the store knows of a message, with the attachment bytes it kept."""
    return OriginalMessage(
        from_name=m.author_name,
        from_addr=m.author_email,
        to=[(str(n), str(a)) for n, a in json.loads(m.to_addrs or "[]")],
        cc=[(str(n), str(a)) for n, a in json.loads(m.cc_addrs or "[]")],
        subject=m.subject,
        date=m.sent_at,
        message_id=m.message_id,
        body=m.body,
        attachments=stored_attachments(session, m),
    )


def queue_forward(
    session: Session,
    actor: str,
    conversation_id: int,
    to: Sequence[Recipient],
    *,
    config: Config,
    note: str = "",
    message_row_id: int | None = None,
    attach_original: bool = True,
    attachments: Sequence[str | Path] = (),
    sign: bool = True,
    cc: Sequence[Recipient] = (),
    bcc: Sequence[Recipient] = (),
) -> int:
    """Forward one message (``message_row_id``: attached whole unless
    ``attach_original`` is False, then quoted) or the whole conversation (quoted) to
    ``to`` (and ``cc``; ``bcc`` unnamed). Each recipient is a (name, address) pair or
    text as typed (``Ana Díaz <ana@example.com>``); names are kept in the headers
    (RFC 2047 encoded when not ASCII) and in the thread. Returns the outbox row id.
    Raises UserError for no address, a bad one, a message not in the conversation, or
    no account to send from."""
    to_list, cc_list, hidden = (
        _pairs(x, what) for x, what in ((to, "To"), (cc, "Cc"), (bcc, "Bcc"))
    )
    recipients, copied = [a for _, a in to_list], [a for _, a in cc_list]
    if not recipients:
        raise UserError("Forwarding needs an address to send to.")
    conv = core.lock_conversation(session, conversation_id)
    agent = core.ensure_agent(session, actor)
    account = sending_account(config, conv)
    assert account.address is not None
    chosen = _chosen(thread_of(session, conv), conversation_id, message_row_id)
    attach_original = attach_original and message_row_id is not None
    sig = signature(session, actor, conversation_id, config=config) if sign else None
    text = _text(session, note, sig, None if attach_original else chosen)
    files = read_attachments(attachments, config.mail)
    if not attach_original:  # quoted: the messages' files go along, within the cap
        room = config.mail.max_message_attachment_bytes - sum(len(f.data) for f in files)
        files = carried_files(session, chosen, room)[0] + files
    now = utcnow()
    domain = account.address.rpartition("@")[2]
    message_id = new_message_id(domain)
    parts = ReplyParts(
        from_name=account.from_name or agent.name or None,
        from_addr=account.address,
        to=to_list,
        cc=cc_list,
        subject=forward_subject(chosen[-1].subject or conv.subject),
        body=text,
        in_reply_to=None,
        references=[],
        domain=domain,
        date=now,
        attachments=files,
        forwarded=rebuild_original(original_of(session, chosen[0])) if attach_original else None,
    )
    rcpts = list(dict.fromkeys(recipients + copied + [a for _, a in hidden]))
    delivery = _delivery(parts, message_id, rcpts, account, config)
    outbox, row = store_outgoing(session, conv, agent, delivery, text, now, FORWARD_SOURCE)
    data = {
        "message": row.id, "outbox": outbox.id, "to": recipients,
        "original": message_row_id, "attached": attach_original,
        "compose": composed(
            "forward", note, to_list, cc_list, hidden, sign, attachments,
            message_row_id=message_row_id, attach_original=attach_original,
        ),  # what the agent wrote and chose: undo send reopens the forward as it was
    }  # fmt: skip
    core.append_message(session, conv, agent, Direction.OUTBOUND, EventKind.FORWARDED, data, now)
    delete_draft(session, actor, conversation_id, kind="forward")  # sent: not a draft any more
    assert outbox.id is not None
    return outbox.id


def _delivery(
    parts: ReplyParts, message_id: str, rcpts: list[str], account: Account, config: Config
) -> Delivery:
    """The forward as it leaves: its bytes, envelope and when the undo delay ends."""
    return Delivery(
        message_id=message_id,
        raw=build_reply(parts, message_id).as_bytes(),
        mail_from=parts.from_addr,
        rcpts=rcpts,
        status=queued_status(config),
        account=account,
        send_at=parts.date + timedelta(seconds=config.mail.undo_seconds),
        to=parts.to,
        cc=parts.cc,
        files=parts.attachments,
        subject=parts.subject,
    )


def _text(session: Session, note: str, sig: str | None, quoted: list[Message] | None) -> str:
    """The forward's text: the agent's note, the signature, then ``quoted`` (the
    messages forwarded in the text rather than attached)."""
    text = note.replace("\r\n", "\n")
    if "\x00" in text:
        raise UserError("The note contains a NUL character; remove it and try again.")
    text = with_signature(text, sig)
    if quoted is not None:
        shown = "\n".join(quote_original(original_of(session, m)) for m in quoted)
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + shown
    return text


def _pairs(recipients: Sequence[Recipient], what: str) -> list[tuple[str, str]]:
    """Recipients as (name, address): pairs as given, text parsed and checked
    (``review.parse_addresses``: one sentence for a bad address)."""
    from inbox_tui.services.review import parse_addresses

    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for r in recipients:
        pairs = (parse_addresses(r, what) if r.strip() else []) if isinstance(r, str) else [r]
        for name, addr in pairs:
            if addr.strip() and addr.strip().lower() not in seen:
                seen.add(addr.strip().lower())
                out.append((name, addr.strip()))
    return out


def _chosen(
    thread: list[Message], conversation_id: int, message_row_id: int | None
) -> list[Message]:
    if message_row_id is not None:
        chosen = [m for m in thread if m.id == message_row_id]
        if not chosen:
            raise UserError(f"Message {message_row_id} is not in conversation {conversation_id}.")
        return chosen
    if not thread:
        raise UserError("This conversation has no messages to forward.")
    return thread


@dataclass
class ForwardChoice:
    """One message that can be forwarded on its own (attached whole)."""

    message_row_id: int
    author: str  # untrusted: sanitise before showing
    sent_at: datetime
    direction: str
    files: int  # attachments whose bytes are kept (they go with it)


def forward_choices(session: Session, conversation_id: int) -> list[ForwardChoice]:
    """The conversation's messages, newest first, for choosing one to forward."""
    conv = core.lock_conversation(session, conversation_id)
    return [
        ForwardChoice(
            int(m.id or 0),
            m.author_name or m.author_email or "",
            m.sent_at,
            m.direction,
            sum(1 for item in entries(m.attachments) if item.get("sha256")),
        )
        for m in reversed(thread_of(session, conv))
    ]

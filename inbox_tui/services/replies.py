"""Replying: the reply is stored, queued and counted in one transaction.

``queue_reply`` writes, together: the outgoing ``Message`` (its Message-ID as dedupe key,
so the copy that comes back over IMAP is a duplicate, not a second message), the
``Outbox`` row with the fully rendered bytes, the ``replied`` event (first-response
stats count from here), and the status change the agent chose. The process can die at
any moment after that and the reply is not lost: the outbox sender picks it up.

Before anything is written, the collision check (Help Scout's "Traffic Cop"): if another
agent replied or wrote a note since this agent opened the conversation, the reply is
held and the agent is told what changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from inbox_tui.errors import UserError
from inbox_tui.incoming import normalise_message_id
from inbox_tui.mail.outgoing import (
    ReplyParts,
    build_reply,
    check_header,
    new_message_id,
    reply_subject,
)
from inbox_tui.models import (
    Agent,
    Channel,
    Contact,
    Conversation,
    Direction,
    Event,
    EventKind,
    Message,
    Outbox,
    OutboxStatus,
    Status,
    ThreadRef,
    utcnow,
)
from inbox_tui.services import core, triage
from inbox_tui.services.drafts import delete_draft

if TYPE_CHECKING:
    from inbox_tui.config import Account, Config


class Collision(UserError):
    """Someone else replied or wrote a note since ``seen_version``."""

    def __init__(self, changes: list[str]) -> None:
        super().__init__(
            "Another agent acted on this conversation meanwhile: " + "; ".join(changes)
        )
        self.changes = changes


def account_for(config: Config, source: str) -> Account | None:
    """The account a conversation's mail came through, else the first that can send."""
    if source.startswith("imap:"):
        name = source[5:].split("/", 1)[0]
        if name in config.accounts:
            return config.accounts[name]
    for account in config.accounts.values():
        if account.smtp is not None:
            return account
    return None


def changes_since(session: Session, conversation_id: int, seen_version: int) -> list[str]:
    """Plain sentences for replies and notes by others after the agent's view. The
    version counter moves on every change; events after the one that made that version
    are found by counting back from the newest."""
    conv = core.lock_conversation(session, conversation_id)
    newer = conv.version - seen_version
    if newer <= 0:
        return []
    events = session.exec(
        select(Event, Agent.name, Agent.username)
        .outerjoin(Agent, col(Agent.id) == Event.agent_id)
        .where(Event.conversation_id == conversation_id)
        .order_by(col(Event.id).desc())
        .limit(newer)
    ).all()
    out = []
    for event, name, username in reversed(events):
        who = name or username or "The customer"
        when = event.at.strftime("%H:%M UTC")
        if event.kind == EventKind.REPLIED.value:
            out.append(f"{who} replied at {when}")
        elif event.kind == EventKind.NOTED.value:
            out.append(f"{who} added a note at {when}")
        elif event.kind == EventKind.RECEIVED.value:
            out.append(f"the customer wrote again at {when}")
    return out


def _recipients(
    session: Session,
    conv: Conversation,
    last_in: Message | None,
    config: Config,
    reply_all: bool,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """To and Cc of an email reply: the customer who wrote last (else the contact), and
    with ``reply_all`` the others on their message, never our own addresses."""
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    to_addr = (last_in.author_email if last_in else None) or (contact.email if contact else None)
    if not to_addr:
        raise UserError("This conversation has no customer address to reply to.")
    to_name = (last_in.author_name if last_in else "") or (contact.name if contact else "")
    cc: list[tuple[str, str]] = []
    ours = {a.address.lower() for a in config.accounts.values() if a.address} | {to_addr.lower()}
    if reply_all and last_in is not None:
        for field in (last_in.to_addrs, last_in.cc_addrs):
            for name, addr in json.loads(field or "[]"):
                if addr and addr.lower() not in ours:
                    cc.append((name, addr))
                    ours.add(addr.lower())
    return [(to_name, to_addr)], cc


def reply_headers(
    session: Session, conversation_id: int, *, config: Config, reply_all: bool = False
) -> list[tuple[str, str]]:
    """The headers a reply would go out with (To, Cc, Subject), for showing while it is
    written (the ``$EDITOR`` file). Nothing is checked or written."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise core.conversation_not_found(conversation_id)
    last_in = session.exec(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .where(Message.direction == Direction.INBOUND.value)
        .order_by(col(Message.sent_at).desc(), col(Message.id).desc())
        .limit(1)
    ).first()
    subject = reply_subject(last_in.subject if last_in and last_in.subject else conv.subject)
    if conv.channel == Channel.CHAT.value:
        who = last_in.author_name if last_in else ""
        return [("To", f"{who} (chat)".strip()), ("Subject", subject)]
    try:
        to, cc = _recipients(session, conv, last_in, config, reply_all)
    except UserError:
        to, cc = [("", "(no customer address)")], []
    headers = [("To", _addresses(to))]
    if cc:
        headers.append(("Cc", _addresses(cc)))
    headers.append(("Subject", subject))
    return headers


def _addresses(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} <{addr}>" if name else addr for name, addr in pairs)


def queue_reply(
    session: Session,
    actor: str,
    conversation_id: int,
    body: str,
    *,
    config: Config,
    reply_all: bool = False,
    then_status: str | None = "pending",
    seen_version: int | None = None,
    force: bool = False,
) -> int:
    """Queue a reply. Returns the outbox row id. Raises Collision (unless ``force``),
    UserError for an empty body, header injection, or no account to send from."""
    text = body.replace("\r\n", "\n")
    if not text.strip():
        raise UserError("The reply is empty; nothing was sent.")
    if "\x00" in text:
        raise UserError("The reply contains a NUL character; remove it and try again.")
    conv = core.lock_conversation(session, conversation_id)
    if seen_version is not None and not force:
        changes = changes_since(session, conversation_id, seen_version)
        if changes:
            raise Collision(changes)
    agent = core.ensure_agent(session, actor)
    now = utcnow()
    thread = session.exec(
        select(Message)
        .where(Message.conversation_id == conv.id)
        .where(Message.direction != Direction.NOTE.value)
        .order_by(col(Message.sent_at), col(Message.id))
    ).all()
    last_in = next((m for m in reversed(thread) if m.direction == Direction.INBOUND.value), None)
    account = account_for(config, conv.source) if conv.channel == Channel.EMAIL.value else None

    if conv.channel == Channel.CHAT.value:
        delivery = _Delivery(
            message_id=f"chat-{conv.id}-{now.timestamp():.6f}@inbox-tui",
            raw=text.encode("utf-8"),
            mail_from="",
            rcpts=[],
            status=OutboxStatus.LOGGED.value,
            account=account,
        )
    else:
        delivery = _email_delivery(
            session, conv, agent, account, thread, last_in, text, now, config, reply_all
        )
    return _store_reply(session, actor, conv, agent, delivery, text, now, then_status)


@dataclass
class _Delivery:
    """How a reply leaves: its Message-ID, bytes, envelope and first outbox status."""

    message_id: str
    raw: bytes
    mail_from: str
    rcpts: list[str]
    status: str
    account: Account | None


def _email_delivery(
    session: Session,
    conv: Conversation,
    agent: Agent,
    account: Account | None,
    thread: Sequence[Message],
    last_in: Message | None,
    text: str,
    now: datetime,
    config: Config,
    reply_all: bool,
) -> _Delivery:
    """The reply as an email: to the customer's last address (and, with ``reply_all``,
    everyone else on it), threaded under their message. Raises UserError when there is
    no account to send from or no address to send to."""
    if config.demo and account is None:
        from inbox_tui.config import Account

        account = Account(name="demo", host="localhost", address="support@northwind.example")
    if account is None or (account.smtp is None and not config.demo) or not account.address:
        raise UserError(
            "No account is set up to send email (add [accounts.NAME] with an address and [accounts.NAME.smtp] to the config)."
        )
    to, cc = _recipients(session, conv, last_in, config, reply_all)
    # RFC 5322: the parent's References followed by the parent's Message-ID.
    parent = last_in or (thread[-1] if thread else None)
    refs = (
        [*(parent.refs or "").split(), parent.message_id]
        if parent and parent.message_id
        else [m.message_id for m in thread if m.message_id]
    )
    refs = [r for r in dict.fromkeys(refs) if r][-20:]
    domain = account.address.rpartition("@")[2]
    message_id = new_message_id(domain)
    from_name = account.from_name or agent.name or None
    check_header("subject", conv.subject)
    msg = build_reply(
        ReplyParts(
            from_name=from_name,
            from_addr=account.address,
            to=to,
            cc=cc,
            subject=reply_subject(last_in.subject if last_in and last_in.subject else conv.subject),
            body=text,
            in_reply_to=(last_in.message_id if last_in else None) or (refs[-1] if refs else None),
            references=refs,
            domain=domain,
            date=now,
        ),
        message_id,
    )
    raw = msg.as_bytes()
    mail_from = account.address
    rcpts = [a for _, a in to + cc]
    status = OutboxStatus.LOGGED.value if config.demo else OutboxStatus.QUEUED.value
    return _Delivery(message_id, raw, mail_from, rcpts, status, account)


def _store_reply(
    session: Session,
    actor: str,
    conv: Conversation,
    agent: Agent,
    delivery: _Delivery,
    text: str,
    now: datetime,
    then_status: str | None,
) -> int:
    """The reply's message, outbox row and thread ref, in the conversation (one more
    message: ``core.append_message``), then the status the agent chose."""
    account = delivery.account
    mid = normalise_message_id(delivery.message_id) or delivery.message_id
    row = Message(
        conversation_id=conv.id,  # type: ignore[arg-type]
        dedupe_key=f"mid:{mid}",
        source="outbox",
        message_id=mid,
        direction=Direction.OUTBOUND.value,
        author_name=agent.name or agent.username,
        author_email=account.address if account else None,
        agent_id=agent.id,
        subject=conv.subject,
        sent_at=now,
        received_at=now,
        body=text,
    )
    session.add(row)
    session.flush()
    outbox = Outbox(
        conversation_id=conv.id,  # type: ignore[arg-type]
        message_row_id=row.id,
        agent_id=agent.id,
        account=account.name if account else "",
        channel=conv.channel,
        message_id=mid,
        mail_from=delivery.mail_from,
        rcpt_to=json.dumps(delivery.rcpts),
        raw=delivery.raw,
        status=delivery.status,
        next_attempt_at=now,
    )
    session.add(outbox)
    session.flush()
    if session.get(ThreadRef, mid[:1000]) is None:  # the customer's answer threads here
        session.add(ThreadRef(ref=mid[:1000], conversation_id=conv.id))  # type: ignore[arg-type]
    core.append_message(
        session,
        conv,
        agent,
        Direction.OUTBOUND,
        EventKind.REPLIED,
        {"message": row.id, "outbox": outbox.id, "channel": conv.channel},
        now,
    )
    assert conv.id is not None
    if then_status in ("pending", "closed"):
        triage.set_status(session, actor, conv.id, Status(then_status), at=now)
    # Sent: the draft goes in the same transaction (a reply that failed to queue keeps it).
    delete_draft(session, actor, conv.id)
    assert outbox.id is not None
    return outbox.id


def retry_outbox(session: Session, outbox_id: int, body: str | None = None) -> None:
    """Queue a failed reply again (optionally with edited text, rebuilt with the same
    Message-ID so the thread stays right)."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise UserError(f"There is no queued reply {outbox_id}.")
    if row.status not in (OutboxStatus.FAILED.value, OutboxStatus.HELD.value):
        raise UserError(
            f"Reply {outbox_id} is {row.status}; only failed or held replies can be resent."
        )
    if body is not None:
        import email

        msg = email.message_from_bytes(row.raw, policy=email.policy.SMTP)
        msg.set_content(body.replace("\r\n", "\n"), charset="utf-8")  # type: ignore[attr-defined]
        row.raw = msg.as_bytes()
        if row.message_row_id:
            m = session.get(Message, row.message_row_id)
            if m is not None:
                m.body = body
    row.status = OutboxStatus.QUEUED.value
    row.next_attempt_at = utcnow()
    row.last_error = None


def discard_outbox(session: Session, outbox_id: int) -> None:
    """Give up on a failed or held reply. Its message stays in the thread, marked."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise UserError(f"There is no queued reply {outbox_id}.")
    if row.status == OutboxStatus.SENT.value:
        raise UserError("That reply was already sent; it cannot be discarded.")
    row.status = OutboxStatus.DISCARDED.value

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
from inbox_tui.services import triage

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
    conv = triage.lock_conversation(session, conversation_id)
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
    conv = triage.lock_conversation(session, conversation_id)
    if seen_version is not None and not force:
        changes = changes_since(session, conversation_id, seen_version)
        if changes:
            raise Collision(changes)
    agent = triage.ensure_agent(session, actor)
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
        message_id = f"chat-{conv.id}-{now.timestamp():.6f}@inbox-tui"
        raw = text.encode("utf-8")
        mail_from, rcpts, status = "", [], OutboxStatus.LOGGED.value
    else:
        if config.demo and account is None:
            from inbox_tui.config import Account

            account = Account(name="demo", host="localhost", address="support@northwind.example")
        if account is None or (account.smtp is None and not config.demo) or not account.address:
            raise UserError(
                "No account is set up to send email (add [accounts.NAME] with an address and [accounts.NAME.smtp] to the config)."
            )
        contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
        to_addr = (last_in.author_email if last_in else None) or (
            contact.email if contact else None
        )
        if not to_addr:
            raise UserError("This conversation has no customer address to reply to.")
        to_name = (last_in.author_name if last_in else "") or (contact.name if contact else "")
        to = [(to_name, to_addr)]
        cc: list[tuple[str, str]] = []
        ours = {a.address.lower() for a in config.accounts.values() if a.address} | {
            to_addr.lower()
        }
        if reply_all and last_in is not None:
            for field in (last_in.to_addrs, last_in.cc_addrs):
                for name, addr in json.loads(field or "[]"):
                    if addr and addr.lower() not in ours:
                        cc.append((name, addr))
                        ours.add(addr.lower())
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
                subject=reply_subject(
                    last_in.subject if last_in and last_in.subject else conv.subject
                ),
                body=text,
                in_reply_to=(last_in.message_id if last_in else None)
                or (refs[-1] if refs else None),
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

    mid = normalise_message_id(message_id) or message_id
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
        mail_from=mail_from,
        rcpt_to=json.dumps(rcpts),
        raw=raw,
        status=status,
        next_attempt_at=now,
    )
    session.add(outbox)
    session.flush()
    if session.get(ThreadRef, mid[:1000]) is None:  # the customer's answer threads here
        session.add(ThreadRef(ref=mid[:1000], conversation_id=conv.id))  # type: ignore[arg-type]
    conv.message_count += 1
    conv.last_activity_at = max(conv.last_activity_at, now)
    triage.record(
        session,
        conv,
        agent,
        EventKind.REPLIED,
        {"message": row.id, "outbox": outbox.id, "channel": conv.channel},
        at=now,
    )
    if then_status in ("pending", "closed"):
        triage.set_status(session, actor, conversation_id, Status(then_status), at=now)
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

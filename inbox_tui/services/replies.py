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
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, col, select

from inbox_tui import sanitize
from inbox_tui.errors import UserError
from inbox_tui.incoming import normalise_message_id
from inbox_tui.mail.outgoing import (
    OriginalMessage,
    OutgoingAttachment,
    ReplyParts,
    build_reply,
    check_header,
    forward_subject,
    guess_type,
    new_message_id,
    quote_original,
    rebuild_original,
    reply_subject,
    with_signature,
)
from inbox_tui.models import (
    Agent,
    AttachmentStatus,
    Blob,
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
from inbox_tui.services import triage
from inbox_tui.store import blobs

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


@dataclass
class Addressing:
    """Who a reply goes to, for the review step (the agent may edit To and Cc)."""

    from_name: str | None
    from_addr: str | None
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]


def our_addresses(session: Session, config: Config) -> set[str]:
    """Addresses that are us, never to be copied on a reply-all: every account's address
    and login, this agent's and every known agent's email."""
    ours = {a.address.lower() for a in config.accounts.values() if a.address}
    ours |= {
        a.username.lower() for a in config.accounts.values() if a.username and "@" in a.username
    }
    if config.agent.email:
        ours.add(config.agent.email.lower())
    ours |= {
        e.lower()
        for e in session.exec(select(Agent.email).where(col(Agent.email).is_not(None))).all()
        if e
    }
    return ours


def _thread(session: Session, conv: Conversation) -> list[Message]:
    return list(
        session.exec(
            select(Message)
            .where(Message.conversation_id == conv.id)
            .where(Message.direction != Direction.NOTE.value)
            .order_by(col(Message.sent_at), col(Message.id))
        ).all()
    )


def _sending_account(config: Config, conv: Conversation) -> Account:
    account = account_for(config, conv.source)
    if config.demo and account is None:
        from inbox_tui.config import Account

        account = Account(name="demo", host="localhost", address="support@northwind.example")
    if account is None or (account.smtp is None and not config.demo) or not account.address:
        raise UserError(
            "No account is set up to send email (add [accounts.NAME] with an address and [accounts.NAME.smtp] to the config)."
        )
    return account


_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|mailer-daemon)([+._-]|$)", re.I)


def _no_reply(addr: str) -> bool:
    """An address that takes no answers (a web form's sender, a bounce daemon)."""
    return bool(_NO_REPLY.match(addr.rpartition("@")[0]))


def addressing(
    session: Session, actor: str, conversation_id: int, *, config: Config, reply_all: bool = False
) -> Addressing:
    """From, To and Cc of a reply. Reply goes to the customer who wrote last; reply-all
    also keeps everyone on that message's To and Cc, minus our own addresses."""
    conv = triage.lock_conversation(session, conversation_id)
    if conv.channel == Channel.CHAT.value:
        return Addressing(None, None, [], [])
    thread = _thread(session, conv)
    last_in = next((m for m in reversed(thread) if m.direction == Direction.INBOUND.value), None)
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    to_addr = (last_in.author_email if last_in else None) or (contact.email if contact else None)
    to_name = (last_in.author_name if last_in else "") or (contact.name if contact else "")
    taken = our_addresses(session, config)
    # Reply-To wins over From (a web form's no-reply sender, a list), unless it is us.
    asked = [
        (n, a)
        for n, a in json.loads((last_in.reply_to_addrs if last_in else None) or "[]")
        if a and "@" in a and a.lower() not in taken
    ]
    to = [(str(n), str(a)) for n, a in asked] or ([(to_name, to_addr)] if to_addr else [])
    if not to:
        raise UserError("This conversation has no customer address to reply to.")
    cc: list[tuple[str, str]] = []
    taken |= {a.lower() for _, a in to}
    if reply_all and last_in is not None:
        if asked and to_addr and to_addr.lower() not in taken and not _no_reply(to_addr):
            cc.append((to_name, to_addr))  # the sender too, when answers go elsewhere
            taken.add(to_addr.lower())
        for field in (last_in.to_addrs, last_in.cc_addrs):
            for name, addr in json.loads(field or "[]"):
                if addr and "@" in addr and addr.lower() not in taken and not _no_reply(addr):
                    cc.append((name, addr))
                    taken.add(addr.lower())
    account = account_for(config, conv.source)
    agent = session.exec(select(Agent).where(Agent.username == actor)).first()
    return Addressing(
        (account.from_name if account else None) or (agent.name if agent else None) or None,
        account.address if account else None,
        to,
        cc,
    )


def signature(session: Session, actor: str, conversation_id: int, *, config: Config) -> str | None:
    """This agent's signature for this conversation's mailbox, placeholders filled in
    (None when none is configured). Shown in the review step; never added to notes."""
    from inbox_tui.config import signature_for
    from inbox_tui.macros import template
    from inbox_tui.services.macros import values_for

    conv = triage.lock_conversation(session, conversation_id)
    account = account_for(config, conv.source)
    raw = signature_for(config, actor, account.name if account else None)
    if raw is None or not raw.strip():
        return None
    try:
        return template.render(template.parse(raw), values_for(session, actor, conversation_id))
    except template.MissingValues as exc:
        raise UserError(f"The signature needs a value it does not have: {exc}") from exc
    except template.TemplateError as exc:
        raise UserError(f"The signature is not valid: {exc}") from exc


def read_attachments(paths: list[str | Path], config: Config) -> list[OutgoingAttachment]:
    """Files the agent attaches, read whole, with the size caps of ``[mail]``."""
    out: list[OutgoingAttachment] = []
    total = 0
    cap = config.mail.max_attachment_bytes
    for raw_path in paths:
        path = Path(raw_path).expanduser()
        shown = sanitize.one_line(str(path), 300)
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise UserError(f"{shown} is not a file; nothing was sent.")
            if size > cap:
                raise UserError(
                    f"{shown} is {_mb(size)}, over the {_mb(cap)} limit for one attachment; nothing was sent."
                )
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise UserError(f"There is no file {shown}; nothing was sent.") from exc
        except PermissionError as exc:
            raise UserError(
                f"{shown} cannot be read (permission denied); nothing was sent."
            ) from exc
        total += len(data)
        if total > config.mail.max_message_attachment_bytes:
            raise UserError(
                f"The attachments add up to over {_mb(config.mail.max_message_attachment_bytes)}; nothing was sent."
            )
        out.append(OutgoingAttachment(path.name, guess_type(path.name), data))
    return out


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


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
    attachments: list[str | Path] | None = None,
    to: list[tuple[str, str]] | None = None,
    cc: list[tuple[str, str]] | None = None,
    sign: bool = True,
) -> int:
    """Queue a reply. Returns the outbox row id. ``to`` / ``cc`` replace the computed
    recipients (the review step's edits). The signature is added unless ``sign`` is
    False. The reply waits ``config.mail.undo_seconds`` before it may be sent.
    Raises Collision (unless ``force``), UserError for an empty body, header injection,
    an unreadable attachment, or no account to send from."""
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
    thread = _thread(session, conv)
    last_in = next((m for m in reversed(thread) if m.direction == Direction.INBOUND.value), None)
    if sign:
        text = with_signature(text, signature(session, actor, conversation_id, config=config))
    files = read_attachments(list(attachments or []), config)
    delay = timedelta(seconds=config.mail.undo_seconds)
    to_list: list[tuple[str, str]] = []
    cc_list: list[tuple[str, str]] = []

    if conv.channel == Channel.CHAT.value:
        if files:
            raise UserError(
                "Chat customers cannot receive attachments from here; send a link instead."
            )
        account = None
        message_id = f"chat-{conv.id}-{now.timestamp():.6f}@inbox-tui"
        mail_from, rcpts = "", []
        if config.chat_outgoing_log is not None and not config.demo:
            raw = _chat_line(session, conv, agent, last_in, text, message_id, now)
            status = OutboxStatus.QUEUED.value
        else:
            raw = text.encode("utf-8")
            status, delay = OutboxStatus.LOGGED.value, timedelta(0)
    else:
        account = _sending_account(config, conv)
        addr = addressing(session, actor, conversation_id, config=config, reply_all=reply_all)
        to_list = list(to) if to is not None else addr.to
        cc_list = list(cc) if cc is not None else addr.cc
        # RFC 5322: the parent's References followed by the parent's Message-ID.
        parent = last_in or (thread[-1] if thread else None)
        refs = (
            [*(parent.refs or "").split(), parent.message_id]
            if parent and parent.message_id
            else [m.message_id for m in thread if m.message_id]
        )
        refs = [r for r in dict.fromkeys(refs) if r][-20:]
        assert account.address is not None
        domain = account.address.rpartition("@")[2]
        message_id = new_message_id(domain)
        check_header("subject", conv.subject)
        msg = build_reply(
            ReplyParts(
                from_name=account.from_name or agent.name or None,
                from_addr=account.address,
                to=to_list,
                cc=cc_list,
                subject=reply_subject(
                    last_in.subject if last_in and last_in.subject else conv.subject
                ),
                body=text,
                in_reply_to=(last_in.message_id if last_in else None)
                or (refs[-1] if refs else None),
                references=refs,
                domain=domain,
                date=now,
                attachments=files,
            ),
            message_id,
        )
        raw = msg.as_bytes()
        mail_from = account.address
        rcpts = list(dict.fromkeys(a for _, a in to_list + cc_list))
        status = OutboxStatus.LOGGED.value if config.demo else OutboxStatus.QUEUED.value

    outbox, row = _store_outgoing(
        session,
        conv,
        agent,
        account,
        message_id=message_id,
        text=text,
        raw=raw,
        mail_from=mail_from,
        rcpts=rcpts,
        status=status,
        send_at=now + delay,
        now=now,
        to=to_list,
        cc=cc_list,
        files=files,
    )
    # The reply's event comes before the status change it causes (the stats read a
    # reply, then a close); it remembers the status so undo send can put it back.
    status_before = conv.status
    changes_status = then_status in ("pending", "closed") and conv.status != then_status
    triage.record(
        session,
        conv,
        agent,
        EventKind.REPLIED,
        {
            "message": row.id,
            "outbox": outbox.id,
            "channel": conv.channel,
            **({"status_before": status_before} if changes_status else {}),
        },
        at=now,
    )
    if then_status in ("pending", "closed"):
        triage.set_status(session, actor, conversation_id, Status(then_status), at=now)
    assert outbox.id is not None
    return outbox.id


def _store_outgoing(
    session: Session,
    conv: Conversation,
    agent: Agent,
    account: Account | None,
    *,
    message_id: str,
    text: str,
    raw: bytes,
    mail_from: str,
    rcpts: list[str],
    status: str,
    send_at: datetime,
    now: datetime,
    to: list[tuple[str, str]],
    cc: list[tuple[str, str]],
    files: list[OutgoingAttachment],
    subject: str | None = None,
) -> tuple[Outbox, Message]:
    """The outgoing message in the thread, its outbox row and its thread reference."""
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
        subject=subject if subject is not None else conv.subject,
        sent_at=now,
        received_at=now,
        body=text,
        to_addrs=json.dumps(to) if to else None,
        cc_addrs=json.dumps(cc) if cc else None,
        attachments=json.dumps(
            [
                {
                    "name": sanitize.one_line(f.filename, 300),
                    "type": f.content_type,
                    "size": len(f.data),
                    "sha256": blobs.put(session.connection(), f.data),
                    "status": AttachmentStatus.STORED.value,
                }
                for f in files
            ],
            ensure_ascii=False,
        )
        if files
        else None,
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
        next_attempt_at=send_at,
        created_at=now,
    )
    session.add(outbox)
    session.flush()
    if session.get(ThreadRef, mid[:1000]) is None:  # the customer's answer threads here
        session.add(ThreadRef(ref=mid[:1000], conversation_id=conv.id))  # type: ignore[arg-type]
    conv.message_count += 1
    conv.last_activity_at = max(conv.last_activity_at, now)
    return outbox, row


def _chat_line(
    session: Session,
    conv: Conversation,
    agent: Agent,
    last_in: Message | None,
    text: str,
    message_id: str,
    now: datetime,
) -> bytes:
    """One JSON line in the chat import's format, for the bridge that delivers it."""
    key = session.exec(
        select(ThreadRef.ref)
        .where(ThreadRef.conversation_id == conv.id)
        .where(col(ThreadRef.ref).startswith("key:"))
    ).first()
    thread_key = key.split(":", 1)[1].removeprefix(f"{conv.source}:") if key else None
    channel = conv.source.removeprefix("chat:")
    parent = (last_in.external_id or "") if last_in else ""
    record = {
        "conversation": thread_key,
        "author": agent.name or agent.username,
        "email": agent.email,
        "ts": now.isoformat(),
        "text": text,
        "id": message_id,
        "in_reply_to": parent.removeprefix(f"{channel}:") or None,
        "channel": channel,
        "inbox_conversation": conv.id,
    }
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def _original(session: Session, m: Message) -> OriginalMessage:
    return OriginalMessage(
        from_name=m.author_name,
        from_addr=m.author_email,
        to=[tuple(p) for p in json.loads(m.to_addrs or "[]")],  # type: ignore[misc]
        cc=[tuple(p) for p in json.loads(m.cc_addrs or "[]")],  # type: ignore[misc]
        subject=m.subject,
        date=m.sent_at,
        message_id=m.message_id,
        body=m.body,
        attachments=stored_attachments(session, m),
    )


def stored_attachments(session: Session, m: Message) -> list[OutgoingAttachment]:
    """The attachments of a stored message whose bytes the store kept, for a forward."""
    from inbox_tui.services.attachments import entries

    out = []
    for item in entries(m.attachments):
        sha = item.get("sha256")
        blob = session.get(Blob, str(sha)) if sha else None
        if blob is not None:
            out.append(
                OutgoingAttachment(
                    str(item.get("name") or "attachment"),
                    str(item.get("type") or "application/octet-stream"),
                    blob.data,
                )
            )
    return out


def queue_forward(
    session: Session,
    actor: str,
    conversation_id: int,
    to: list[str],
    *,
    config: Config,
    note: str = "",
    message_row_id: int | None = None,
    attach_original: bool = True,
    attachments: list[str | Path] | None = None,
    sign: bool = True,
) -> int:
    """Forward one message (``message_row_id``) or the whole conversation to any
    address. One message goes attached whole (``message/rfc822``, with its attachments)
    or quoted; a conversation goes quoted, oldest first, notes never included. The
    forward is kept in the thread and recorded as a ``forwarded`` event (not a reply:
    it does not count as a response to the customer). Returns the outbox row id."""
    recipients = [a.strip() for a in to if a.strip()]
    if not recipients:
        raise UserError("Forwarding needs an address to send to.")
    conv = triage.lock_conversation(session, conversation_id)
    agent = triage.ensure_agent(session, actor)
    account = _sending_account(config, conv)
    now = utcnow()
    thread = _thread(session, conv)
    if message_row_id is not None:
        chosen = [m for m in thread if m.id == message_row_id]
        if not chosen:
            raise UserError(f"Message {message_row_id} is not in conversation {conversation_id}.")
    else:
        chosen = thread
        attach_original = False
    if not chosen:
        raise UserError("This conversation has no messages to forward.")
    text = note.replace("\r\n", "\n")
    if "\x00" in text:
        raise UserError("The note contains a NUL character; remove it and try again.")
    if sign:
        text = with_signature(text, signature(session, actor, conversation_id, config=config))
    forwarded = None
    if attach_original:
        forwarded = rebuild_original(_original(session, chosen[0]))
    else:
        quoted = "\n".join(quote_original(_original(session, m)) for m in chosen)
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + quoted
    files = read_attachments(list(attachments or []), config)
    assert account.address is not None
    domain = account.address.rpartition("@")[2]
    message_id = new_message_id(domain)
    to_list = [("", a) for a in recipients]
    subject = forward_subject(chosen[-1].subject or conv.subject)
    msg = build_reply(
        ReplyParts(
            from_name=account.from_name or agent.name or None,
            from_addr=account.address,
            to=to_list,
            cc=[],
            subject=subject,
            body=text,
            in_reply_to=None,
            references=[],
            domain=domain,
            date=now,
            attachments=files,
            forwarded=forwarded,
        ),
        message_id,
    )
    outbox, row = _store_outgoing(
        session,
        conv,
        agent,
        account,
        message_id=message_id,
        text=text,
        raw=msg.as_bytes(),
        mail_from=account.address,
        rcpts=recipients,
        status=OutboxStatus.LOGGED.value if config.demo else OutboxStatus.QUEUED.value,
        send_at=now + timedelta(seconds=config.mail.undo_seconds),
        now=now,
        to=to_list,
        cc=[],
        files=files,
        subject=subject,
    )
    triage.record(
        session,
        conv,
        agent,
        EventKind.FORWARDED,
        {
            "message": row.id,
            "outbox": outbox.id,
            "to": recipients,
            "original": message_row_id,
            "attached": attach_original,
        },
        at=now,
    )
    assert outbox.id is not None
    return outbox.id


def last_cancellable(
    session: Session, actor: str, conversation_id: int | None = None
) -> int | None:
    """The outbox id of this agent's newest reply or forward that can still be taken
    back (queued, never attempted), in one conversation or any; None when there is none."""
    agent = session.exec(select(Agent).where(Agent.username == actor)).first()
    if agent is None:
        return None
    stmt = (
        select(Outbox.id)
        .where(Outbox.agent_id == agent.id)
        .where(Outbox.status == OutboxStatus.QUEUED.value)
        .where(Outbox.attempts == 0)
        .order_by(col(Outbox.id).desc())
        .limit(1)
    )
    if conversation_id is not None:
        stmt = stmt.where(Outbox.conversation_id == conversation_id)
    return session.exec(stmt).first()


def cancel_outbox(session: Session, actor: str, outbox_id: int) -> str:
    """Undo send: take a reply or forward back before it went out. Returns its text
    for the composer. Only a row nobody has started sending can be taken back; the
    check and the change are one conditional UPDATE, so a sender that claims the row
    at the same moment wins or loses cleanly, never both."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        raise UserError(f"There is no queued reply {outbox_id}.")
    taken = session.execute(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id)
        .where(col(Outbox.status) == OutboxStatus.QUEUED.value)
        .where(col(Outbox.attempts) == 0)
        .values(status=OutboxStatus.CANCELLED.value, message_row_id=None)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        if row.status == OutboxStatus.CANCELLED.value:
            raise UserError(f"Reply {outbox_id} was already taken back.")
        raise UserError(
            f"Reply {outbox_id} is {row.status}"
            + (
                " (sending was already tried)"
                if row.status == OutboxStatus.QUEUED.value and row.attempts
                else ""
            )
            + "; it can no longer be taken back."
        )
    session.refresh(row)
    conv = triage.lock_conversation(session, row.conversation_id)
    agent = triage.ensure_agent(session, actor)
    message = session.exec(
        select(Message)
        .where(Message.message_id == row.message_id)
        .where(Message.source == "outbox")
    ).first()
    text = message.body if message is not None else ""
    replied = [
        e
        for e in session.exec(
            select(Event)
            .where(Event.conversation_id == conv.id)
            .where(col(Event.kind).in_([EventKind.REPLIED.value, EventKind.FORWARDED.value]))
        ).all()
        if json.loads(e.data or "{}").get("outbox") == outbox_id
    ]
    if message is not None:
        ref = session.get(ThreadRef, row.message_id[:1000])
        if ref is not None and ref.conversation_id == conv.id:
            session.delete(ref)
        session.delete(message)
        conv.message_count = max(0, conv.message_count - 1)
    triage.record(
        session,
        conv,
        agent,
        EventKind.REPLY_CANCELLED,
        {"outbox": outbox_id, "replied_event": replied[0].id if replied else None},
    )
    before = json.loads(replied[0].data or "{}").get("status_before") if replied else None
    if before and before != conv.status and before in (s.value for s in Status):
        if before == Status.SNOOZED.value:
            before = Status.OPEN.value  # the snooze time is gone; open is the safe place
        triage.set_status(session, actor, conv.id, Status(before))  # type: ignore[arg-type]
    return text


def delivery_sentence(status: str, channel: str, config: Config) -> str:
    """What the agent is told once a reply is queued: plainly, where it goes."""
    if status == OutboxStatus.LOGGED.value:
        if config.demo:
            return "Reply recorded. This is the demo inbox, so nothing was sent."
        if channel == Channel.CHAT.value:
            return (
                "Chat customers cannot receive email, and no chat bridge is set up "
                "([chat] outgoing_log): the reply is recorded in the conversation only."
            )
    delay = config.mail.undo_seconds
    where = (
        "written to the chat outgoing log for the bridge"
        if channel == Channel.CHAT.value
        else "sent in the background"
    )
    if delay > 0:
        return f"Reply queued; it is {where} in {delay:.0f} s (undo until then)."
    return f"Reply queued; it is {where}."


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
        # With attachments the text is the first text/plain part; the files stay.
        text_part = msg.get_body(("plain",)) if msg.is_multipart() else msg  # type: ignore[attr-defined]
        if text_part is None:
            raise UserError(f"Reply {outbox_id} has no text part to edit.")
        text_part.set_content(body.replace("\r\n", "\n"), charset="utf-8")
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

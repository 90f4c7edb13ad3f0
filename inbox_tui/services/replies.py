"""Replying: the reply is stored, queued and counted in one transaction.

``queue_reply`` writes, together: the outgoing ``Message`` (its Message-ID as dedupe key,
so the copy that comes back over IMAP is a duplicate, not a second message), the
``Outbox`` row with the fully rendered bytes, the ``replied`` event (first-response
stats count from here), and the status change the agent chose. The process can die at
any moment after that and the reply is not lost: the outbox sender picks it up. The
row is due ``[mail] undo_seconds`` later, and until then ``services.undo_send`` can
take it back.

Who it goes to (``addressing``): the customer's Reply-To, else their address; with
reply-all also everyone on their To and Cc, minus our own addresses and no-reply ones.
The agent's signature for the mailbox is added below ``-- ``; files attach with the
``[mail]`` size caps. A chat reply goes to the ``[chat] outgoing_log`` for a bridge, or
is recorded only, and ``delivery_sentence`` says which.

Before anything is written, the collision check (Help Scout's "Traffic Cop"): if another
agent replied or wrote a note since this agent opened the conversation, the reply is
held and the agent is told what changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from inbox_tui.errors import UserError
from inbox_tui.incoming import normalise_message_id
from inbox_tui.mail.outgoing import (
    OutgoingAttachment,
    ReplyParts,
    build_reply,
    check_header,
    new_message_id,
    reply_subject,
    with_signature,
)
from inbox_tui.models import (
    FORWARD_SOURCE,
    REPLY_SOURCE,
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
from inbox_tui.services.agent_clock import agent_time, agent_zone
from inbox_tui.services.attachments import files_json, read_attachments
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


def changes_since(
    session: Session, conversation_id: int, seen_version: int, zone: str = "UTC", me: str = ""
) -> list[str]:
    """Plain sentences for replies and notes by others after the agent's view. The
    version counter moves on every change; events after the one that made that version
    are found by counting back from the newest. Never the agent's own (``me``: walk10,
    their reply taken back and sent again), nor a reply taken back (never sent)."""
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
    cancelled = [e.data for e, _, _ in events if e.kind == EventKind.REPLY_CANCELLED.value]
    taken_back = {json.loads(d or "{}").get("replied_event") for d in cancelled}
    out = []
    for event, name, username in reversed(events):
        if (me and username == me) or event.id in taken_back:
            continue
        who = name or username or "The customer"
        when = agent_time(event.at, zone, "%H:%M")  # on the agent's clock (walk6)
        if event.kind == EventKind.REPLIED.value:
            out.append(f"{who} replied at {when}")
        elif event.kind == EventKind.NOTED.value:
            out.append(f"{who} added a note at {when}")
        elif event.kind == EventKind.RECEIVED.value:
            out.append(f"the customer wrote again at {when}")
    return out


# -- who a reply goes to -------------------------------------------------------------


@dataclass
class Addressing:
    """Who a reply goes to, for the review step (the agent may edit To and Cc)."""

    from_name: str | None
    from_addr: str | None
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]


def config_addresses(config: Config) -> set[str]:
    """Our addresses the config knows: every account's address and login, this agent's
    email, and the demo inbox's team address in the demo."""
    ours = {a.address.lower() for a in config.accounts.values() if a.address}
    ours |= {
        a.username.lower() for a in config.accounts.values() if a.username and "@" in a.username
    }
    if config.agent.email:
        ours.add(config.agent.email.lower())
    if config.demo:
        ours.add(DEMO_ADDRESS)
    return ours


def our_addresses(session: Session, config: Config) -> set[str]:
    """Addresses that are us, never to be copied on a reply-all: every account's address
    and login, this agent's and every known agent's email."""
    ours = config_addresses(config)
    emails = session.exec(select(Agent.email).where(col(Agent.email).is_not(None))).all()
    return ours | {e.lower() for e in emails if e}


def last_customer(thread: Sequence[Message], ours: set[str]) -> Message | None:
    """The newest message the customer wrote: inbound and not from one of our own
    addresses (the team's mail imported from files can arrive as inbound)."""
    return next(
        (
            m
            for m in reversed(thread)
            if m.direction == Direction.INBOUND.value
            and (m.author_email or "").strip().lower() not in ours
        ),
        None,
    )


def answered_message(
    thread: Sequence[Message], ours: set[str], message_row_id: int | None = None
) -> Message | None:
    """The customer's message a reply answers: ``message_row_id`` (the one the review
    showed, so mail arriving meanwhile does not change who it goes to), else the newest
    the customer wrote. Its author is who the reply goes to, its subject the reply's.
    Raises UserError when the chosen message is no longer in the thread."""
    if message_row_id is None:
        return last_customer(thread, ours)
    chosen = next((m for m in thread if m.id == message_row_id), None)
    if chosen is None or chosen.direction != Direction.INBOUND.value:
        raise UserError(
            f"The message this reply answers ({message_row_id}) is no longer in the "
            "conversation; nothing was sent. Press r again to see who it goes to."
        )
    return chosen


def customers_of(thread: Sequence[Message], ours: set[str]) -> list[str]:
    """The different customers who wrote in a thread (a hand merge can join two), each
    named once, oldest first."""
    seen: dict[str, str] = {}
    for m in thread:
        addr = (m.author_email or "").strip().lower()
        if m.direction == Direction.INBOUND.value and addr and addr not in ours:
            seen.setdefault(addr, m.author_name or m.author_email or addr)
    return list(seen.values())


#: The demo inbox's team address (its mail is ``support@`` the demo's domain).
DEMO_ADDRESS = "support@northwind.example"

_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|mailer-daemon)([+._-]|$)", re.I)


def _no_reply(addr: str) -> bool:
    """An address that takes no answers (a web form's sender, a bounce daemon)."""
    return bool(_NO_REPLY.match(addr.rpartition("@")[0]))


def thread_of(session: Session, conv: Conversation) -> list[Message]:
    """The conversation's messages without notes, oldest first."""
    return list(
        session.exec(
            select(Message)
            .where(Message.conversation_id == conv.id)
            .where(Message.direction != Direction.NOTE.value)
            .order_by(col(Message.sent_at), col(Message.id))
        ).all()
    )


def customer_side(thread: Sequence[Message]) -> list[Message]:
    """The thread as the customer knows it: the customer's mail and our replies, without
    our forwards and the mail answering them (a supplier's answer threads in through the
    forward's Message-ID, and a reply or reply-all must not go to, or copy, the people a
    forward went to). Notes are never in ``thread``."""
    aside = {m.message_id for m in thread if m.source == FORWARD_SOURCE and m.message_id}
    out: list[Message] = []
    for m in thread:
        named = {m.in_reply_to or "", *(m.refs or "").split()}
        if m.source == FORWARD_SOURCE or (m.direction == Direction.INBOUND.value and named & aside):
            if m.message_id:
                aside.add(m.message_id)  # an answer to that answer is aside too
            continue
        out.append(m)
    return out


def reply_thread(session: Session, conv: Conversation) -> list[Message]:
    """The messages a reply is addressed and threaded from (``customer_side``)."""
    return customer_side(thread_of(session, conv))


def sending_account(config: Config, conv: Conversation) -> Account:
    """The account to send from. Raises UserError when none can send."""
    account = account_for(config, conv.source)
    if config.demo and account is None:
        from inbox_tui.config import Account

        account = Account(name="demo", host="localhost", address=DEMO_ADDRESS)
    if account is None or (account.smtp is None and not config.demo) or not account.address:
        raise UserError(
            "No account is set up to send email (add [accounts.NAME] with an address and [accounts.NAME.smtp] to the config)."
        )
    return account


def addressing(
    session: Session,
    actor: str,
    conversation_id: int,
    *,
    config: Config,
    reply_all: bool = False,
    answering: int | None = None,
) -> Addressing:
    """From, To and Cc of a reply. Reply goes to the customer who wrote last (their
    Reply-To when they set one), never to us: mail from our own addresses is skipped
    when finding who wrote last. Reply-all also keeps everyone on the To and Cc of that
    message and of every later one (our own replies may have copied someone in), minus
    our own addresses and addresses that take no answers. ``answering``: the customer's
    message the reply answers (``answered_message``), when not the newest."""
    conv = core.lock_conversation(session, conversation_id)
    if conv.channel == Channel.CHAT.value:
        return Addressing(None, None, [], [])
    thread = reply_thread(session, conv)
    taken = our_addresses(session, config)
    last_in = answered_message(thread, taken, answering)
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    candidates = [
        (last_in.author_name or "", last_in.author_email) if last_in else ("", None),
        (contact.name or "", contact.email) if contact else ("", None),
    ]
    if thread:  # only our own mail: the customer we wrote to
        candidates += [(str(n), str(a)) for n, a in json.loads(thread[-1].to_addrs or "[]")]
    to_name, to_addr = next(
        ((n, a) for n, a in candidates if a and "@" in a and a.lower() not in taken), ("", None)
    )
    # Reply-To wins over From (a web form's no-reply sender, a list), unless it is us.
    asked = [
        (str(n), str(a))
        for n, a in json.loads((last_in.reply_to_addrs if last_in else None) or "[]")
        if a and "@" in a and a.lower() not in taken
    ]
    to = asked or ([(to_name, to_addr)] if to_addr else [])
    if not to:
        raise UserError("This conversation has no customer address to reply to.")
    taken |= {a.lower() for _, a in to}
    cc: list[tuple[str, str]] = []
    if reply_all:
        others = [(to_name, to_addr or "")] if asked else []
        since = thread[thread.index(last_in) :] if last_in is not None else thread[-1:]
        for m in since:
            for raw in (m.to_addrs, m.cc_addrs):
                others += [(str(n), str(a)) for n, a in json.loads(raw or "[]")]
        for name, addr in others:
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


def reply_headers(
    session: Session, conversation_id: int, *, config: Config, reply_all: bool = False
) -> list[tuple[str, str]]:
    """The headers a reply would go out with (To, Cc, Subject), for showing while it is
    written (the ``$EDITOR`` file): the same ``addressing`` queue_reply uses. Nothing is
    written."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise core.conversation_not_found(conversation_id)
    thread = reply_thread(session, conv)
    last_in = last_customer(thread, our_addresses(session, config))
    subject = reply_subject(last_in.subject if last_in and last_in.subject else conv.subject)
    if conv.channel == Channel.CHAT.value:  # a chat line has no subject
        who = last_in.author_name if last_in else ""
        return [("To", f"{who} (chat)".strip())]
    try:
        to = addressing(
            session, config.agent.username, conversation_id, config=config, reply_all=reply_all
        )
    except UserError:
        to = Addressing(None, None, [("", "(no customer address)")], [])
    headers = [("To", _address_list(to.to))]
    if to.cc:
        headers.append(("Cc", _address_list(to.cc)))
    headers.append(("Subject", subject))
    return headers


def _address_list(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} <{addr}>" if name else addr for name, addr in pairs)


# -- what goes with it: signature, files -----------------------------------------------


def signature(session: Session, actor: str, conversation_id: int, *, config: Config) -> str | None:
    """This agent's signature for this conversation's mailbox, placeholders filled in
    (None when none is configured). Shown in the review step; never added to notes, nor
    to a chat reply: a signature is an email's, and under every line of a live chat
    it is noise (the bridge names the agent with each line: ``chat_line``'s author)."""
    from inbox_tui.config import signature_for
    from inbox_tui.macros import template
    from inbox_tui.services.placeholders import values_for

    conv = core.lock_conversation(session, conversation_id)
    if conv.channel == Channel.CHAT.value:
        return None
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


# -- queueing ------------------------------------------------------------------------


@dataclass
class Delivery:
    """How a message leaves: its Message-ID, bytes, envelope, first outbox status and
    when it is due; and what the thread shows of it."""

    message_id: str
    raw: bytes
    mail_from: str
    rcpts: list[str]
    status: str
    account: Account | None
    send_at: datetime
    to: list[tuple[str, str]] = field(default_factory=list)
    cc: list[tuple[str, str]] = field(default_factory=list)
    files: list[OutgoingAttachment] = field(default_factory=list)
    subject: str | None = None  # None: the conversation's


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
    attachments: Sequence[str | Path] = (),
    to: list[tuple[str, str]] | None = None,
    cc: list[tuple[str, str]] | None = None,
    sign: bool = True,
    bcc: list[tuple[str, str]] | None = None,
    category: str | None = None,
    send_at: datetime | None = None,
    answering: int | None = None,
    keep_draft: bool = False,
) -> int:
    """Queue a reply to the customer's message ``answering`` (else their newest).
    The agent's draft goes with it, unless ``keep_draft`` (a macro's reply sent in bulk
    was never the draft: walk7 lost one confirming an incident).
    Returns the outbox row id. ``send_at``: held in the outbox until then, and dated
    then (``services/schedule``; email only). ``then_status`` "closed" (send and close)
    first tags ``category`` where one is needed (``categories.before_close``; without
    one, refused under ``[insight] category_on_close = "require"``). ``to`` / ``cc`` replace the computed
    recipients (the review step's edits); ``bcc`` get it too without being named in
    it; the signature is added unless ``sign`` is False. Raises Collision (unless ``force``), UserError for an empty body, header
    injection, an unreadable or too large file, or no account to send from."""
    text = _reply_text(body)
    conv = core.lock_conversation(session, conversation_id)
    if seen_version is not None and not force:
        zone = agent_zone(config.agent.timezone)
        changes = changes_since(session, conversation_id, seen_version, zone, me=actor)
        if changes:
            raise Collision(changes)
    agent = core.ensure_agent(session, actor)
    if then_status == Status.CLOSED.value:
        from inbox_tui.services.category_guard import before_close

        before_close(session, actor, [conversation_id], category, config.category_on_close)
    now = utcnow()
    from inbox_tui.services.schedule import BadSendTime, due

    hold = due(send_at, now, config.mail.undo_seconds)
    if hold is not None and conv.channel == Channel.CHAT.value:
        raise BadSendTime("A chat reply cannot be scheduled; send it now or later by hand.")
    if hold is not None and then_status == Status.PENDING.value:
        then_status = None  # not answered yet: it stays open, its response clock running
    thread = reply_thread(session, conv)
    last_in = answered_message(thread, our_addresses(session, config), answering)
    if sign:
        text = with_signature(text, signature(session, actor, conversation_id, config=config))
    files = read_attachments(attachments, config.mail)
    if conv.channel == Channel.CHAT.value:
        delivery = _chat_delivery(session, conv, agent, last_in, text, now, config, files)
    else:
        recipients = addressing(
            session, actor, conversation_id, config=config, reply_all=reply_all,
            answering=answering,
        )  # fmt: skip
        if to is not None:
            recipients.to = list(to)
        if cc is not None:
            recipients.cc = list(cc)
        delivery = _email_delivery(
            conv, agent, thread, last_in, text, now, config, recipients, files, bcc or [], hold
        )
    # What the agent wrote and chose, so undo send reopens the reply exactly as it was.
    compose = composed(
        "reply", body, delivery.to, delivery.cc, bcc or [], sign, attachments,
        reply_all=reply_all, answering=last_in.id if last_in else None,
        send_at=hold.isoformat() if hold is not None else None,
    )  # fmt: skip
    return _store_reply(
        session, actor, conv, agent, delivery, text, now, then_status, compose, hold,
        keep_draft,
    )  # fmt: skip


def composed(
    kind: str,
    text: str,
    to: Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]],
    bcc: Sequence[tuple[str, str]],
    sign: bool,
    files: Sequence[str | Path],
    **more: object,
) -> dict[str, object]:
    """What the agent wrote and chose for a reply or forward, kept in its event so undo
    send reopens it as it was (``review.review_again``): the text before the signature,
    the recipients, the signature choice, the files (and ``more``: mode, message)."""
    return {
        "kind": kind, "text": text, "to": list(to), "cc": list(cc), "bcc": list(bcc),
        "sign": sign, "files": [str(p) for p in files], **more,
    }  # fmt: skip


_BLANK_LINES_FIRST = re.compile(r"\A(?:[ \t]*\n)+")


def _reply_text(body: str) -> str:
    """The reply's text with plain line ends, without blank lines before or after it (an
    article inserted into an empty composer left two at the top of the sent mail); an
    empty one or one with a NUL is refused."""
    text = _BLANK_LINES_FIRST.sub("", body.replace("\r\n", "\n").rstrip())
    if not text.strip():
        raise UserError("The reply is empty; nothing was sent.")
    if "\x00" in text:
        raise UserError("The reply contains a NUL character; remove it and try again.")
    return text


def _chat_delivery(
    session: Session,
    conv: Conversation,
    agent: Agent,
    last_in: Message | None,
    text: str,
    now: datetime,
    config: Config,
    files: list[OutgoingAttachment],
) -> Delivery:
    """A chat reply: a line in the outgoing log for the bridge, or (no bridge) recorded."""
    if files:
        raise UserError("Chat customers cannot receive attachments from here; send a link instead.")
    message_id = f"chat-{conv.id}-{now.timestamp():.6f}@inbox-tui"
    if config.chat_outgoing_log is not None and not config.demo:
        raw = chat_line(session, conv, agent, last_in, text, message_id, now)
        delay = timedelta(seconds=config.mail.undo_seconds)
        return Delivery(message_id, raw, "", [], OutboxStatus.QUEUED.value, None, now + delay)
    status = queued_status(config) if config.demo else OutboxStatus.LOGGED.value
    send_at = now + timedelta(seconds=config.mail.undo_seconds)
    return Delivery(message_id, text.encode("utf-8"), "", [], status, None, send_at)


def queued_status(config: Config) -> str:
    """The outbox status a new reply or forward starts in. The demo sends nothing, but
    its replies wait out ``[mail] undo_seconds`` like a real account's (undo send works
    there too); ``flush_outbox`` then records them as ``logged``. With no delay they
    are logged at once."""
    if config.demo and config.mail.undo_seconds <= 0:
        return OutboxStatus.LOGGED.value
    return OutboxStatus.QUEUED.value


def _email_delivery(
    conv: Conversation,
    agent: Agent,
    thread: Sequence[Message],
    last_in: Message | None,
    text: str,
    now: datetime,
    config: Config,
    recipients: Addressing,
    files: list[OutgoingAttachment],
    bcc: list[tuple[str, str]],
    hold: datetime | None = None,
) -> Delivery:
    """The reply as an email to ``recipients`` (and, unnamed, ``bcc``), threaded under the customer's message.
    Raises UserError when there is no account to send from."""
    account = sending_account(config, conv)
    assert account.address is not None
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
    check_header("subject", conv.subject)
    parts = ReplyParts(
        from_name=account.from_name or agent.name or None,
        from_addr=account.address,
        to=recipients.to,
        cc=recipients.cc,
        subject=reply_subject(last_in.subject if last_in and last_in.subject else conv.subject),
        body=text,
        in_reply_to=(last_in.message_id if last_in else None) or (refs[-1] if refs else None),
        references=refs,
        domain=domain,
        date=hold or now,  # a scheduled reply is dated when it goes
        attachments=files,
    )
    return Delivery(
        message_id=message_id,
        raw=build_reply(parts, message_id).as_bytes(),
        mail_from=account.address,
        rcpts=list(dict.fromkeys(a for _, a in recipients.to + recipients.cc + bcc)),
        status=queued_status(config),
        account=account,
        send_at=hold or now + timedelta(seconds=config.mail.undo_seconds),
        to=recipients.to,
        cc=recipients.cc,
        files=files,
    )


def _store_reply(
    session: Session,
    actor: str,
    conv: Conversation,
    agent: Agent,
    delivery: Delivery,
    text: str,
    now: datetime,
    then_status: str | None,
    compose: dict[str, object] | None = None,
    hold: datetime | None = None,
    keep_draft: bool = False,
) -> int:
    """The reply in the thread and the outbox, its ``replied`` event (which remembers
    the status it changes and, ``compose``, what the agent wrote and chose, for undo
    send, and when a scheduled one goes), then the status the agent chose."""
    outbox, row = store_outgoing(session, conv, agent, delivery, text, now, dated=hold)
    status_before = conv.status
    changes_status = then_status in ("pending", "closed") and conv.status != then_status
    data: dict[str, object] = {"message": row.id, "outbox": outbox.id, "channel": conv.channel}
    if compose is not None:
        data["compose"] = compose
    if changes_status:
        data["status_before"] = status_before
    if hold is not None:
        data["send_at"] = hold.isoformat()
    if outbox.status == OutboxStatus.QUEUED.value:
        data["on_send"] = True  # the stats count it when it goes (its ``sent`` event)
    core.append_message(session, conv, agent, Direction.OUTBOUND, EventKind.REPLIED, data, now)
    assert conv.id is not None
    if then_status in ("pending", "closed"):
        triage.set_status(
            session, actor, conv.id, Status(then_status), at=now, cause="reply", outbox=outbox.id
        )
    # Sent: the draft goes in the same transaction (a reply that failed to queue keeps
    # it); a reply not written from it (``keep_draft``) leaves it.
    if not keep_draft:
        delete_draft(session, actor, conv.id)
    assert outbox.id is not None
    return outbox.id


def store_outgoing(
    session: Session,
    conv: Conversation,
    agent: Agent,
    delivery: Delivery,
    text: str,
    now: datetime,
    source: str = REPLY_SOURCE,
    dated: datetime | None = None,
) -> tuple[Outbox, Message]:
    """The outgoing message in the thread (with its To/Cc and files, the files' bytes
    kept like an import's), its outbox row and its thread reference. The caller adds
    the event (``core.append_message``), which counts the message. ``source`` says
    whether it answers the customer (a reply) or goes elsewhere (a forward)."""
    account = delivery.account
    mid = normalise_message_id(delivery.message_id) or delivery.message_id
    row = Message(
        conversation_id=conv.id,  # type: ignore[arg-type]
        dedupe_key=f"mid:{mid}",
        source=source,
        message_id=mid,
        direction=Direction.OUTBOUND.value,
        author_name=agent.name or agent.username,
        author_email=account.address if account else None,
        agent_id=agent.id,
        subject=delivery.subject if delivery.subject is not None else conv.subject,
        sent_at=dated or now,  # a scheduled reply is dated when it goes, as its Date says
        received_at=now,
        body=text,
        to_addrs=json.dumps(delivery.to) if delivery.to else None,
        cc_addrs=json.dumps(delivery.cc) if delivery.cc else None,
        attachments=files_json(session, delivery.files),
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
        next_attempt_at=delivery.send_at,
        created_at=now,
    )
    session.add(outbox)
    session.flush()
    if session.get(ThreadRef, mid[:1000]) is None:  # the customer's answer threads here
        session.add(ThreadRef(ref=mid[:1000], conversation_id=conv.id))  # type: ignore[arg-type]
    return outbox, row


def chat_line(
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
    if config.demo:
        return (
            f"Reply recorded in {delay:.0f} s (undo until then). "
            "This is the demo inbox, so nothing is sent."
        )
    where = (
        "written to the chat outgoing log for the bridge"
        if channel == Channel.CHAT.value
        else "sent in the background"
    )
    if delay > 0:
        return f"Reply queued; it is {where} in {delay:.0f} s (undo until then)."
    return f"Reply queued; it is {where}."

"""Sending the outbox over SMTP (aiosmtplib), exactly once where at all possible.

A row is claimed atomically (queued → sending, attempts + 1) before any byte goes out, so
two agents' apps never send the same reply. Outcomes:
- accepted: ``sent``;
- temporary failure (4xx, connection refused, timeout before DATA): back to ``queued``
  with exponential backoff;
- permanent failure (5xx): ``failed`` with the server's reason, shown in the conversation;
- unknown (connection lost after the final dot, or a row left ``sending`` by a killed
  process): before sending again, the account's Sent mailbox is searched for the
  Message-ID over IMAP when one is configured; found means ``sent``.

Undo send: a row is due at ``next_attempt_at``, which a new reply sets ``[mail]
undo_seconds`` ahead; until a sender claims it, ``undo_send.cancel_outbox`` can take it
back. Chat replies go to the ``[chat] outgoing_log`` file instead of SMTP.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from inbox_tui.errors import UserError
from inbox_tui.models import (
    FORWARD_SOURCE,
    Agent,
    Channel,
    Conversation,
    Message,
    Outbox,
    OutboxStatus,
    utcnow,
)
from inbox_tui.sanitize import one_line
from inbox_tui.store import Store, note_core_writes

if TYPE_CHECKING:
    from inbox_tui.config import Config, SmtpSettings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
STALE_SENDING = timedelta(minutes=10)


@dataclass
class FlushReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    logged: int = 0  # the demo: recorded once its undo delay is over, never sent
    last_error: str | None = None
    forwards: dict[str, int] = field(default_factory=dict)  # of each outcome, how many forwarded
    # With ``flush_outbox(me=...)``: what went of other agents' (any app delivers any
    # agent's row), by the agent's name; the counts above are then ``me``'s only, so an
    # app announces its own agent's deliveries (walk10: mei's read "5 replies recorded"
    # for sam's).
    others: dict[str, FlushReport] = field(default_factory=dict)

    def what(self, outcome: str) -> str:
        """The messages of an outcome ("sent", "logged", ...) counted by what they are:
        "1 reply", "1 forward", "2 replies and 1 forward" (a forward is no reply)."""
        from inbox_tui.words import count

        forwards = self.forwards.get(outcome, 0)
        replies = int(getattr(self, outcome)) - forwards
        parts = [count(n, noun) for n, noun in ((replies, "reply"), (forwards, "forward")) if n]
        return " and ".join(parts) or count(0, "reply")

    def others_failed(self) -> str:
        """Other agents' replies that could not be sent, named as theirs ("Sam Carter's
        reply could not be sent: …"), or "": the failure shows in their conversation,
        and whoever's app tried tells its agent whose it was."""
        failed = [(name, r) for name, r in self.others.items() if r.failed]
        if not failed:
            return ""
        whose = " and ".join(
            f"{one_line(name, 60)}'s {_one(r.what('failed'))}" for name, r in failed
        )
        return f"{whose} could not be sent: {failed[-1][1].last_error}"


def _one(counted: str) -> str:
    """ "1 reply" as "reply" (Sam Carter's reply), other counts as they are."""
    return counted[2:] if counted.startswith("1 ") and " and " not in counted else counted


class SmtpOutcome(Exception):
    def __init__(self, kind: str, reason: str) -> None:  # kind: temporary | permanent | unknown
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _claim(
    session: Session, limit: int | None, now: datetime | None = None
) -> list[tuple[int, str, str, list[str], bytes, int, str, bool, tuple[str, str]]]:
    now = now or utcnow()
    stale = session.exec(
        select(Outbox)
        .where(Outbox.status == OutboxStatus.SENDING.value)
        .where(col(Outbox.next_attempt_at) <= now - STALE_SENDING)
        .with_for_update()
    ).all()
    for row in stale:  # a sender died mid-flight: the outcome is unknown
        row.status = OutboxStatus.QUEUED.value
        row.last_error = "sending was interrupted; checked before resending"
    rows = session.exec(
        select(Outbox)
        .where(Outbox.status == OutboxStatus.QUEUED.value)
        .where(col(Outbox.next_attempt_at) <= now)
        .order_by(col(Outbox.id))
        .limit(limit or 50)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        row.status = OutboxStatus.SENDING.value
        row.attempts += 1
        row.next_attempt_at = now
        assert row.id is not None
        claimed.append(
            (
                row.id,
                row.account,
                row.mail_from,
                json.loads(row.rcpt_to),
                row.raw,
                row.attempts,
                row.channel,
                _is_forward(session, row),
                _owner(session, row),
            )
        )
    return claimed  # type: ignore[return-value]


def _owner(session: Session, row: Outbox) -> tuple[str, str]:
    """Whose reply or forward a row is: (username, name), ("", "") when unknown."""
    agent = session.get(Agent, row.agent_id) if row.agent_id is not None else None
    return (agent.username, agent.name or agent.username) if agent is not None else ("", "")


def _is_forward(session: Session, row: Outbox) -> bool:
    """Whether an outbox row is a forward (its message in the thread says so)."""
    if row.message_row_id is None:
        return False
    source = session.exec(select(Message.source).where(Message.id == row.message_row_id)).first()
    return source == FORWARD_SOURCE


def _finish(
    session: Session,
    outbox_id: int,
    status: str,
    error: str | None,
    attempts: int,
    now: datetime | None = None,
) -> None:
    row = session.get(Outbox, outbox_id)
    if row is None:
        return
    row.status = status
    # Server replies are untrusted text: the one place the error is stored cleans it.
    row.last_error = one_line(error, 2000) if error else None
    now = now or utcnow()
    if status in (OutboxStatus.SENT.value, OutboxStatus.LOGGED.value):
        if status == OutboxStatus.SENT.value:
            row.sent_at = now
        # A scheduled reply answers the customer once it has gone: the stored waiting
        # time (store/waiting.py) is recomputed at this commit, and other agents told.
        note_core_writes(session, [row.conversation_id])
        _record_sent(session, row, now)
    elif status == OutboxStatus.QUEUED.value:
        row.next_attempt_at = now + timedelta(seconds=min(3600, 15 * 2 ** (attempts - 1)))


# Rows whose reply has not reached anyone (yet, or ever): the stats, the response
# targets and "who last helped" leave their messages out. Few at any time, and found
# through the status index.
NOT_GONE = tuple(s.value for s in OutboxStatus if s not in (OutboxStatus.SENT, OutboxStatus.LOGGED))


def not_gone(session: Session) -> set[int]:
    """The message ids of replies and forwards that have not gone out (``NOT_GONE``)."""
    rows = session.exec(select(Outbox.message_row_id).where(col(Outbox.status).in_(NOT_GONE))).all()
    return {int(r) for r in rows if r is not None}


def still_to_go(session: Session, outbox_id: int | None) -> int | None:
    """``outbox_id`` when that row still waits to go out (what is sent with it, a help
    article, counts when it goes), else None."""
    row = session.get(Outbox, outbox_id) if outbox_id is not None else None
    return outbox_id if row is not None and row.status == OutboxStatus.QUEUED.value else None


def went_out(session: Session, conversations: list[int] | None = None) -> dict[int, datetime]:
    """When each outbox row went out (its ``sent`` event), by outbox id, in these
    conversations or all: what was sent with a reply (a help article) was sent then;
    with one taken back or not gone, never."""
    from inbox_tui.models import Event, EventKind

    stmt = select(Event.at, Event.data).where(Event.kind == EventKind.SENT.value)
    if conversations is not None:
        stmt = stmt.where(col(Event.conversation_id).in_(conversations))
    return {int(json.loads(d or "{}").get("outbox") or 0): at for at, d in session.exec(stmt)}


def _record_sent(session: Session, row: Outbox, now: datetime) -> None:
    """The ``sent`` event: a reply counts in the stats from the time it went out
    (``store.aggregates``), not from when it was queued."""
    from inbox_tui.models import EventKind, Message
    from inbox_tui.services import core

    # In the conversation its message (and reply event) is in now: a merge moves those.
    message = session.get(Message, row.message_row_id) if row.message_row_id else None
    conv = session.get(Conversation, message.conversation_id if message else row.conversation_id)
    if conv is None:  # merged away meanwhile: its events moved with it
        return
    # No agent: the sender did this, not the agent (an agent's events are batches that
    # the undo key looks back through, and every reply that goes would be one).
    core.record(session, conv, None, EventKind.SENT, {"outbox": row.id}, at=now)


async def flush_outbox(
    store: Store,
    config: Config,
    *,
    limit: int | None = None,
    clock: Callable[[], datetime] | None = None,
    me: str | None = None,
) -> FlushReport:
    """Send what is due at ``clock()`` (default: now; a scheduled reply is due at its
    time), whoever's it is. Returns counts; never raises for a delivery failure. With
    ``me`` (an agent's app), the counts are that agent's rows, and other agents' rows
    are counted apart by name (``FlushReport.others``)."""
    report = FlushReport()
    # One row at a time: a sender killed mid-send leaves only the reply in flight
    # claimed (unknown outcome, resolved once the claim is stale); the rest stay queued
    # for the next flush or another agent's app.
    for _ in range(limit or 50):
        now = clock() if clock is not None else None
        claimed = await asyncio.to_thread(store.run, _claim, 1, now)
        if not claimed:
            break
        (outbox_id, account_name, mail_from, rcpts, raw, attempts, channel, forward, owner) = (
            claimed[0]
        )
        account = config.accounts.get(account_name)
        if config.demo:  # nothing leaves the demo inbox: the wait is over, record it
            status, error = OutboxStatus.LOGGED.value, None
        elif channel == Channel.CHAT.value:
            status, error = await asyncio.to_thread(deliver_chat_line, config, raw, attempts)
            if status == OutboxStatus.QUEUED.value and attempts >= MAX_ATTEMPTS:
                status = OutboxStatus.FAILED.value
        elif account is None or account.smtp is None:
            status, error = (
                OutboxStatus.FAILED.value,
                f"the account {account_name!r} has no SMTP settings in the config",
            )
        else:
            try:
                if attempts > 1 and await _already_in_sent(config, account_name, raw):
                    status, error = OutboxStatus.SENT.value, None
                else:
                    await send_raw(account.smtp, mail_from, rcpts, raw)
                    status, error = OutboxStatus.SENT.value, None
            except SmtpOutcome as exc:
                error = exc.reason
                if exc.kind == "permanent" or attempts >= MAX_ATTEMPTS:
                    status = OutboxStatus.FAILED.value
                else:
                    status = OutboxStatus.QUEUED.value
            except UserError as exc:
                status, error = OutboxStatus.FAILED.value, str(exc)
        await asyncio.to_thread(store.run, _finish, outbox_id, status, error, attempts, now)
        outcomes = {OutboxStatus.SENT.value: "sent", OutboxStatus.LOGGED.value: "logged"}
        outcomes[OutboxStatus.FAILED.value] = "failed"
        done = outcomes.get(status, "retrying")  # still queued: tried again later
        mine = me is None or owner[0] == me
        counted = report if mine else report.others.setdefault(owner[1], FlushReport())
        setattr(counted, done, getattr(counted, done) + 1)
        if forward:
            counted.forwards[done] = counted.forwards.get(done, 0) + 1
        if done in ("failed", "retrying"):
            counted.last_error = error
    return report


def deliver_chat_line(config: Config, line: bytes, attempts: int) -> tuple[str, str | None]:
    """Append a chat reply to the outgoing log for the bridge, exactly once: a retry
    (the previous attempt died between writing and recording it) first looks for the
    line's id in the log."""
    path = config.chat_outgoing_log
    if path is None:
        return (
            OutboxStatus.FAILED.value,
            "no [chat] outgoing_log is configured, so chat replies cannot be delivered",
        )
    try:
        reply_id = json.loads(line).get("id")
    except ValueError:
        return OutboxStatus.FAILED.value, "the queued chat reply is not a JSON line"
    try:
        if attempts > 1 and reply_id and path.exists():
            needle = json.dumps(reply_id)
            with path.open("rb") as fh:
                for existing in fh:
                    if needle.encode() in existing:
                        try:
                            if json.loads(existing).get("id") == reply_id:
                                return OutboxStatus.SENT.value, None
                        except ValueError:
                            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o660)
        try:
            os.write(fd, line if line.endswith(b"\n") else line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return (
            OutboxStatus.QUEUED.value,
            f"the chat outgoing log {path} cannot be written ({one_line(exc.strerror or str(exc), 200)})",
        )
    return OutboxStatus.SENT.value, None


def _tls_context(cafile: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    return ctx


async def send_raw(smtp: SmtpSettings, mail_from: str, rcpts: list[str], raw: bytes) -> None:
    """One SMTP transaction. Raises SmtpOutcome(kind, reason)."""
    import aiosmtplib

    from inbox_tui.config import is_loopback

    if smtp.security == "plain" and not (is_loopback(smtp.host) or smtp.allow_plain):
        raise UserError(
            f'Refusing to send in plain text to {smtp.host}; use security = "tls" or "starttls".'
        )
    password = await smtp.resolve_password_async(f"SMTP {smtp.host}")
    client = aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        timeout=smtp.timeout,
        use_tls=smtp.security == "tls",
        start_tls=smtp.security == "starttls",
        tls_context=_tls_context(smtp.tls_ca_file) if smtp.security != "plain" else None,
    )
    data_started = False
    try:
        await client.connect()
        if smtp.username and password is not None:
            await client.login(smtp.username, password)
        await client.mail(mail_from)
        for rcpt in rcpts:
            await client.rcpt(rcpt)
        data_started = True
        await client.data(raw)
    except aiosmtplib.SMTPResponseException as exc:
        kind = "permanent" if 500 <= exc.code < 600 else "temporary"
        # The server's text is a stranger's: stored and shown as plain, bounded text.
        reason = one_line(str(exc.message), 500)
        raise SmtpOutcome(kind, f"the server answered {exc.code} {reason}") from exc
    except (
        aiosmtplib.SMTPServerDisconnected,
        aiosmtplib.SMTPTimeoutError,
        ConnectionError,
        TimeoutError,
        OSError,
    ) as exc:
        kind = "unknown" if data_started else "temporary"
        raise SmtpOutcome(
            kind,
            f"the connection to {smtp.host}:{smtp.port} failed ({exc.__class__.__name__}: {one_line(str(exc), 300)})",
        ) from exc
    except aiosmtplib.SMTPException as exc:
        raise SmtpOutcome("temporary", f"SMTP error: {one_line(str(exc), 500)}") from exc
    finally:
        try:
            if client.is_connected:
                await asyncio.wait_for(client.quit(), timeout=5)
        except Exception:
            client.close()


async def _already_in_sent(config: Config, account_name: str, raw: bytes) -> bool:
    """After an unknown outcome: is the Message-ID already in the account's Sent folder?
    False when there is no IMAP Sent folder to ask (the reply is then sent again)."""
    import email

    account = config.accounts.get(account_name)
    if account is None or not account.sent_mailbox:
        return False
    mid = email.message_from_bytes(raw).get("Message-ID", "")
    if not mid:
        return False
    try:
        from inbox_tui.sources.imap_client import message_id_in_mailbox
    except ImportError:
        return False
    try:
        return await message_id_in_mailbox(account, account.sent_mailbox, mid)
    except Exception as exc:
        log.info("could not check Sent for %s: %s", mid, exc)
        return False


def list_outbox(session: Session, statuses: list[str] | None = None) -> list[Outbox]:
    stmt = select(Outbox).order_by(col(Outbox.id).desc()).limit(200)
    if statuses:
        stmt = stmt.where(col(Outbox.status).in_(statuses))
    return list(session.exec(stmt).all())


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

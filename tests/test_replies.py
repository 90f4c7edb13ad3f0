"""Replies through real SMTP (aiosmtpd) and back through real IMAP (Dovecot): threaded,
sent exactly once, failures visible, never silently gone."""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import json
from datetime import timedelta

import pytest
from sqlmodel import func, select

from inbox_tui.config import Account, AgentIdentity, Config
from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Conversation, Event, Message, Outbox, utcnow
from inbox_tui.services import outbox, replies, triage
from inbox_tui.services.mailsync import sync
from inbox_tui.services.outbox import flush_outbox


def customer_mail(
    store, subject="Re: Re: Invoice missing", name="Zoë Brennan", addr="zoe@acme.example"
):
    msg = IncomingMessage(
        source="imap:support/INBOX",
        external_id="c1",
        message_id="<c1@acme.example>",
        references=["<older@acme.example>"],
        subject=subject,
        author_name=name,
        author_email=addr,
        to=[("Support", "support@example.com")],
        cc=[("Bob", "bob@acme.example"), ("Support", "support@example.com")],
        sent_at=utcnow() - timedelta(hours=1),
        body="Where is my invoice?",
    )

    def work(s):
        triage.ensure_agent(s, "sam", "Sam Carter")
        return Ingestor(s).add(msg).conversation_id

    return store.run(work)


def config(smtp_settings, imap_account: Account | None = None, **acc) -> Config:
    account = imap_account or Account(
        name="support",
        host="127.0.0.1",
        port=1,
        security="plain",
        username="agent",
        password="secret",
        address="support@example.com",
    )
    account.smtp = smtp_settings
    for k, v in acc.items():
        setattr(account, k, v)
    return Config(
        path=None,
        db_url=None,
        agent=AgentIdentity("sam", "Sam Carter"),
        accounts={"support": account},
    )


def outbox_rows(store):
    with store.read() as s:
        return s.exec(select(Outbox).order_by(Outbox.id)).all()


def test_reply_is_threaded_and_sent_once(smtp_server, sqlite_store):
    cid = customer_mail(sqlite_store)
    cfg = config(smtp_server.settings())
    oid = sqlite_store.run(
        replies.queue_reply,
        "sam",
        cid,
        "Hi Zoë,\n\nHere it is.\n" + "x" * 1200,
        config=cfg,
        reply_all=True,
    )
    with sqlite_store.read() as s:
        conv = s.get(Conversation, cid)
        assert conv.status == "pending"
        kinds = [
            e.kind
            for e in s.exec(select(Event).where(Event.conversation_id == cid).order_by(Event.id))
        ]
        assert kinds[-2:] == ["replied", "status_changed"]  # counted the moment it is queued
    report = asyncio.run(flush_outbox(sqlite_store, cfg))
    assert report.sent == 1
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 0
    assert len(smtp_server.messages) == 1
    mail_from, rcpts, raw = smtp_server.messages[0]
    assert mail_from == "support@example.com" and rcpts == ["zoe@acme.example", "bob@acme.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Re: Invoice missing"
    assert msg["In-Reply-To"] == "<c1@acme.example>"
    assert "<older@acme.example>" in msg["References"] and "<c1@acme.example>" in msg["References"]
    assert msg["From"].addresses[0].display_name == "Sam Carter"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert "x" * 1200 in msg.get_content()
    assert outbox_rows(sqlite_store)[0].status == "sent" and oid == outbox_rows(sqlite_store)[0].id


def test_round_trip_through_smtp_and_imap(smtp_server, dovecot_server, sqlite_store):
    account = dovecot_server.account()
    cfg = config(smtp_server.settings(), imap_account=account)
    smtp_server.deliver_to = dovecot_server.maildir()
    dovecot_server.add(
        b"From: Zoe <zoe@acme.example>\r\nTo: support@example.com\r\nSubject: Invoice\r\nMessage-ID: <first@acme.example>\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n\r\nWhere is it?\r\n"
    )
    asyncio.run(sync(cfg, sqlite_store))
    with sqlite_store.read() as s:
        cid = s.exec(select(Conversation.id)).one()
    sqlite_store.run(triage.ensure_agent, "sam", "Sam Carter")
    sqlite_store.run(replies.queue_reply, "sam", cid, "Attached now.", config=cfg)
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    ours = email.message_from_bytes(smtp_server.messages[0][2])["Message-ID"]
    # the customer answers our reply
    dovecot_server.add(
        f"From: Zoe <zoe@acme.example>\r\nTo: support@example.com\r\nSubject: Re: Invoice\r\nMessage-ID: <second@acme.example>\r\nIn-Reply-To: {ours}\r\nReferences: <first@acme.example> {ours}\r\nDate: {email.utils.format_datetime(utcnow() + timedelta(minutes=1))}\r\n\r\nThanks!\r\n".encode()
    )
    report = asyncio.run(sync(cfg, sqlite_store))
    box = report.mailboxes[0]
    assert (
        box.counts.imported == 1 and box.counts.duplicates == 1
    )  # our own reply came back: not a second message
    with sqlite_store.read() as s:
        assert s.exec(select(func.count()).select_from(Conversation)).one() == 1
        assert [m.direction for m in s.exec(select(Message).order_by(Message.sent_at)).all()] == [
            "in",
            "out",
            "in",
        ]


def test_temporary_failure_retries_then_sends_once(smtp_server, sqlite_store):
    cid = customer_mail(sqlite_store)
    cfg = config(smtp_server.settings())
    smtp_server.replies = ["451 4.3.0 try again later"]
    sqlite_store.run(replies.queue_reply, "sam", cid, "hello", config=cfg)
    first = asyncio.run(flush_outbox(sqlite_store, cfg))
    assert first.retrying == 1 and "451" in first.last_error
    row = outbox_rows(sqlite_store)[0]
    assert row.status == "queued" and row.attempts == 1 and row.next_attempt_at > utcnow()
    _due_now(sqlite_store)
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    assert len(smtp_server.messages) == 1


def test_permanent_failure_is_visible_and_can_be_resent_or_discarded(smtp_server, sqlite_store):
    cid = customer_mail(sqlite_store)
    cfg = config(smtp_server.settings())
    smtp_server.replies = ["550 5.1.1 mailbox unavailable"]
    oid = sqlite_store.run(replies.queue_reply, "sam", cid, "hello", config=cfg)
    report = asyncio.run(flush_outbox(sqlite_store, cfg))
    assert report.failed == 1
    row = outbox_rows(sqlite_store)[0]
    assert row.status == "failed" and "550 5.1.1 mailbox unavailable" in row.last_error
    sqlite_store.run(outbox.retry_outbox, oid, "edited text")
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    assert b"edited text" in smtp_server.messages[0][2]
    with pytest.raises(UserError, match="already sent"):
        sqlite_store.run(outbox.discard_outbox, oid)


@pytest.mark.parametrize("point", ["greeting", "mail", "rcpt", "data"])
def test_connection_dropped_before_the_end_retries_and_delivers_once(
    faulty_smtp, sqlite_store, point
):
    cid = customer_mail(sqlite_store)
    cfg = config(faulty_smtp.settings())
    faulty_smtp.fail = point
    sqlite_store.run(replies.queue_reply, "sam", cid, "hello " * 40, config=cfg)
    first = asyncio.run(flush_outbox(sqlite_store, cfg))
    assert first.retrying == 1 and first.sent == 0
    assert faulty_smtp.accepted == []
    faulty_smtp.fail = None
    _due_now(sqlite_store)
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    assert len(faulty_smtp.accepted) == 1


def test_unknown_outcome_checks_sent_folder_before_resending(
    faulty_smtp, dovecot_server, sqlite_store
):
    account = dovecot_server.account()
    cfg = config(faulty_smtp.settings(), imap_account=account)
    cid = customer_mail(sqlite_store)
    faulty_smtp.fail = "dot"
    sqlite_store.run(replies.queue_reply, "sam", cid, "did it arrive?", config=cfg)
    first = asyncio.run(flush_outbox(sqlite_store, cfg))
    assert first.retrying == 1 and len(faulty_smtp.received_dot) == 1
    # the server did deliver it, and our provider filed a copy in Sent
    dovecot_server.add(faulty_smtp.received_dot[0].replace(b"\r\n", b"\n"), "Sent")
    faulty_smtp.fail = None
    _due_now(sqlite_store)
    second = asyncio.run(flush_outbox(sqlite_store, cfg))
    assert second.sent == 1 and faulty_smtp.accepted == []  # found in Sent: not sent twice


def test_server_down_keeps_the_reply_queued(sqlite_store):
    from inbox_tui.config import SmtpSettings
    from tests.servers.postgres import free_port

    cid = customer_mail(sqlite_store)
    cfg = config(SmtpSettings(host="127.0.0.1", port=free_port(), security="plain", timeout=2))
    sqlite_store.run(replies.queue_reply, "sam", cid, "hello", config=cfg)
    report = asyncio.run(flush_outbox(sqlite_store, cfg))
    assert report.retrying == 1 and "failed" in report.last_error
    assert outbox_rows(sqlite_store)[0].status == "queued"


def test_killed_while_sending_resumes(smtp_server, sqlite_store):
    cid = customer_mail(sqlite_store)
    cfg = config(smtp_server.settings())
    sqlite_store.run(replies.queue_reply, "sam", cid, "hello", config=cfg)

    def claimed_then_killed(s):
        row = s.exec(select(Outbox)).one()
        row.status = "sending"
        row.next_attempt_at = utcnow() - timedelta(hours=1)

    sqlite_store.run(claimed_then_killed)
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Invoice\r\nBcc: evil@example.com"),
        ("name", "Zoë\nBcc: evil@example.com"),
        ("addr", "zoe@acme.example\r\nBcc: evil@example.com"),
    ],
)
def test_header_injection_is_refused(smtp_server, sqlite_store, field, value):
    kwargs = {"subject": "Invoice", "name": "Zoë", "addr": "zoe@acme.example"}
    kwargs[field] = value
    cfg = config(smtp_server.settings())
    cid = customer_mail(sqlite_store, **kwargs)
    with sqlite_store.read() as s:
        stored = s.exec(select(Message)).one()
    # ingest already strips control characters; a raw CR/LF can only come from an agent's input
    assert "\r" not in stored.subject and "\n" not in stored.author_name
    sqlite_store.run(replies.queue_reply, "sam", cid, "ok", config=cfg)
    asyncio.run(flush_outbox(sqlite_store, cfg))
    raw = smtp_server.messages[0][2]
    assert b"\nBcc:" not in raw and b"\nbcc:" not in raw.lower()
    assert all("evil" not in rcpt for rcpt in smtp_server.messages[0][1])
    from inbox_tui.mail.outgoing import HeaderInjection, check_header

    with pytest.raises(HeaderInjection):
        check_header("subject", "a\r\nBcc: x@y")


def test_collision_check_holds_the_reply(smtp_server, sqlite_store):
    cid = customer_mail(sqlite_store)
    cfg = config(smtp_server.settings())
    with sqlite_store.read() as s:
        seen = s.get(Conversation, cid).version
    sqlite_store.run(triage.ensure_agent, "ann", "Ann Lee")
    sqlite_store.run(triage.add_note, "ann", cid, "I'm on it")
    with pytest.raises(replies.Collision) as exc:
        sqlite_store.run(replies.queue_reply, "sam", cid, "hello", config=cfg, seen_version=seen)
    assert exc.value.changes and exc.value.changes[0].startswith("Ann Lee added a note")
    assert outbox_rows(sqlite_store) == []
    sqlite_store.run(
        replies.queue_reply, "sam", cid, "hello", config=cfg, seen_version=seen, force=True
    )
    assert len(outbox_rows(sqlite_store)) == 1


def test_chat_replies_are_logged_not_sent(sqlite_store, smtp_server):
    msg = IncomingMessage(
        source="chat:widget",
        external_id="1",
        thread_key="v1",
        author_handle="widget:z",
        author_name="Z",
        sent_at=utcnow(),
        body="hi",
        subject="hi",
    )
    from inbox_tui.models import Channel

    msg.channel = Channel.CHAT
    cid = sqlite_store.run(lambda s: Ingestor(s).add(msg)).conversation_id
    sqlite_store.run(triage.ensure_agent, "sam")
    sqlite_store.run(
        replies.queue_reply, "sam", cid, "hello!", config=config(smtp_server.settings())
    )
    row = outbox_rows(sqlite_store)[0]
    assert row.status == "logged" and json.loads(row.rcpt_to) == []
    assert asyncio.run(flush_outbox(sqlite_store, config(smtp_server.settings()))).sent == 0


def _due_now(store) -> None:
    def work(s):
        for row in s.exec(select(Outbox)).all():
            row.next_attempt_at = utcnow() - timedelta(seconds=1)

    store.run(work)


def test_macro_reply_round_trip_through_smtp_and_imap(smtp_server, dovecot_server, sqlite_store):
    """Applying a macro renders it for the customer, queues the reply with its actions,
    and the sent reply comes back over IMAP into the same conversation."""
    from inbox_tui.macros.files import MacroSpec
    from inbox_tui.services.macros import apply_macro, import_specs

    cfg = config(smtp_server.settings(), imap_account=dovecot_server.account())
    smtp_server.deliver_to = dovecot_server.maildir()
    dovecot_server.add(
        b"From: =?utf-8?q?Zo=C3=AB?= Brennan <zoe@acme.example>\r\nTo: support@example.com\r\nSubject: Order?\r\nMessage-ID: <o1@acme.example>\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n\r\nWhere is it?\r\n"
    )
    asyncio.run(sync(cfg, sqlite_store))
    with sqlite_store.read() as s:
        cid = s.exec(select(Conversation.id)).one()
    spec = MacroSpec(
        slug="order",
        name="Order status",
        body='Hi {{contact.first_name | fallback: "there"}}, order {{ask: order number}} ships today.\n{{agent.first_name}}',
        actions={"add_tags": ["shipping"], "status": "closed"},
    )
    sqlite_store.run(import_specs, [spec])
    sqlite_store.run(triage.ensure_agent, "sam", "Sam Carter")
    applied = sqlite_store.run(
        apply_macro, "sam", cid, "order", config=cfg, answers={"order number": "A-17"}
    )
    assert applied.outbox_id is not None and applied.changed == ["tagged shipping"]
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    body = email.message_from_bytes(
        smtp_server.messages[0][2], policy=email.policy.default
    ).get_content()
    assert body.replace("\r\n", "\n").startswith("Hi Zoë, order A-17 ships today.\nSam")
    report = asyncio.run(sync(cfg, sqlite_store))
    assert report.mailboxes[0].counts.duplicates == 1  # our reply, back from the server
    with sqlite_store.read() as s:
        conv = s.get(Conversation, cid)
        assert conv.status == "closed" and conv.message_count == 2
        assert s.exec(select(Event).where(Event.kind == "macro_applied")).one()


def test_blank_lines_around_a_reply_do_not_go_out(smtp_server, sqlite_store):
    """An article inserted into an empty composer starts the text with two blank lines;
    the customer's mail starts with the first line the agent wrote."""
    cid = customer_mail(sqlite_store)
    cfg = config(smtp_server.settings())
    sqlite_store.run(
        replies.queue_reply, "sam", cid, "\n \n\nPayment failed\n  indented line\n\n\n", config=cfg
    )
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    msg = email.message_from_bytes(smtp_server.messages[0][2], policy=email.policy.default)
    assert msg.get_content().replace("\r\n", "\n") == "Payment failed\n  indented line\n"
    with sqlite_store.read() as s:
        body = s.exec(select(Message.body).where(Message.conversation_id == cid)).all()[-1]
    assert body == "Payment failed\n  indented line"

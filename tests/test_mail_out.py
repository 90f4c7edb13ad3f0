"""Outgoing mail through the real aiosmtpd server: reply-all with attachments and a
signature, forward (attached or quoted), undo send, and chat replies that reach a
bridge through the outgoing log."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from inbox_tui.config import Account, AgentIdentity, Config, Signature, load_config
from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import (
    Channel,
    Conversation,
    Event,
    Message,
    Outbox,
    StatConversation,
    utcnow,
)
from inbox_tui.services import forward, outbox, replies, triage, undo_send
from inbox_tui.services.outbox import flush_outbox
from inbox_tui.store import Store, sqlite_url

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def seed(store: Store, *, cc=None, to=None, channel=Channel.EMAIL) -> int:
    msg = IncomingMessage(
        source="imap:support/INBOX" if channel == Channel.EMAIL else "chat:jsonl:widget",
        external_id="c1" if channel == Channel.EMAIL else "jsonl:widget:c1",
        message_id="<c1@acme.example>" if channel == Channel.EMAIL else None,
        references=["<older@acme.example>"] if channel == Channel.EMAIL else [],
        thread_key="ticket-42" if channel == Channel.CHAT else None,
        channel=channel,
        subject="Re: Invoice missing",
        author_name="Zoë Brennan",
        author_email="zoe@acme.example",
        to=to if to is not None else [("Support", "support@example.com")],
        cc=cc
        if cc is not None
        else [
            ("Bob", "bob@acme.example"),
            ("Support", "SUPPORT@example.com"),
            ("Sam", "sam@example.com"),
            ("Carol", "carol@acme.example"),
        ],
        sent_at=utcnow() - timedelta(hours=1),
        body="Where is my invoice? See the attached table.",
    )

    def work(s):
        triage.ensure_agent(s, "sam", "Sam Carter", "sam@example.com")
        return Ingestor(s).add(msg).conversation_id

    return store.run(work)


def make_config(smtp, *, undo: float = 0.0, **kw) -> Config:
    account = Account(
        name="support",
        host="127.0.0.1",
        port=1,
        security="plain",
        address="support@example.com",
        smtp=smtp.settings() if smtp is not None else None,
        sent_mailbox=None,
    )
    cfg = Config(
        path=None,
        db_url=None,
        agent=AgentIdentity("sam", "Sam Carter", "sam@example.com"),
        accounts={"support": account},
        **kw,
    )
    cfg.mail.undo_seconds = undo
    return cfg


def flush(store: Store, cfg: Config) -> int:
    return asyncio.run(flush_outbox(store, cfg)).sent


def test_reply_all_keeps_ccd_customers_drops_ours_with_attachment_and_threading(
    smtp_server, sqlite_store, tmp_path
):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    pdf = tmp_path / "Rechnung März.pdf"
    pdf.write_bytes(PDF)
    review = sqlite_store.run(replies.addressing, "sam", cid, config=cfg, reply_all=True)
    assert review.to == [("Zoë Brennan", "zoe@acme.example")]
    assert review.cc == [("Bob", "bob@acme.example"), ("Carol", "carol@acme.example")]
    sqlite_store.run(
        replies.queue_reply,
        "sam",
        cid,
        "Here it is.",
        config=cfg,
        reply_all=True,
        attachments=[pdf],
    )
    assert flush(sqlite_store, cfg) == 1
    _, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["zoe@acme.example", "bob@acme.example", "carol@acme.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert [a.addr_spec for a in msg["To"].addresses] == ["zoe@acme.example"]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["bob@acme.example", "carol@acme.example"]
    assert msg["In-Reply-To"] == "<c1@acme.example>"
    assert msg["References"].split() == ["<older@acme.example>", "<c1@acme.example>"]
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == "Rechnung März.pdf"
    assert b"filename*=utf-8''Rechnung%20M%C3%A4rz.pdf" in raw  # RFC 2231
    assert att.get_content_type() == "application/pdf"
    assert hashlib.sha256(att.get_content()).digest() == hashlib.sha256(PDF).digest()
    with sqlite_store.read() as s:
        out = s.exec(select(Message).where(Message.direction == "out")).one()
        assert json.loads(out.cc_addrs) == [
            ["Bob", "bob@acme.example"],
            ["Carol", "carol@acme.example"],
        ]
        assert json.loads(out.attachments)[0]["name"] == "Rechnung März.pdf"


def test_plain_reply_goes_to_the_customer_only(smtp_server, sqlite_store):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    sqlite_store.run(replies.queue_reply, "sam", cid, "Hi", config=cfg)
    assert flush(sqlite_store, cfg) == 1
    assert smtp_server.messages[0][1] == ["zoe@acme.example"]
    assert "Cc" not in email.message_from_bytes(smtp_server.messages[0][2])


def test_attachment_problems_are_one_sentence_and_nothing_is_queued(
    smtp_server, sqlite_store, tmp_path
):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    cfg.mail.max_attachment_bytes = 1000
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 1001)
    for path, words in ((tmp_path / "nope.pdf", "There is no file"), (big, "over the")):
        with pytest.raises(UserError, match=words):
            sqlite_store.run(
                replies.queue_reply, "sam", cid, "see file", config=cfg, attachments=[path]
            )
    with sqlite_store.read() as s:
        assert s.exec(select(Outbox)).all() == []


def test_signature_per_agent_and_mailbox_from_the_config(smtp_server, sqlite_store, tmp_path):
    cid = seed(sqlite_store)
    sig_file = tmp_path / "sig.txt"
    sig_file.write_text("{{agent.first_name}} from Support\nAcme support desk\n")
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text(
        f"""
[agent]
username = "sam"
name = "Sam Carter"
signature = "Sam, everywhere"

[accounts.support]
host = "127.0.0.1"
security = "plain"
address = "support@example.com"
signature = "The support team"

[accounts.support.signatures]
sam = {{ signature_file = "{sig_file}" }}

[accounts.support.smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "plain"

[mail]
undo_seconds = 0
"""
    )
    cfg = load_config(cfg_path)
    assert sqlite_store.run(replies.signature, "sam", cid, config=cfg) == (
        "Sam from Support\nAcme support desk\n"
    )
    sqlite_store.run(replies.queue_reply, "sam", cid, "Hello Zoë", config=cfg)
    assert flush(sqlite_store, cfg) == 1
    body = email.message_from_bytes(smtp_server.messages[0][2], policy=email.policy.default)
    assert (
        body.get_content().replace("\r\n", "\n")
        == "Hello Zoë\n\n-- \nSam from Support\nAcme support desk\n"
    )
    # the agent's own signature when the mailbox has none for them, then the mailbox's
    cfg.accounts["support"].agent_signatures = {}
    assert sqlite_store.run(replies.signature, "sam", cid, config=cfg) == "Sam, everywhere"
    cfg.agent.signature = None
    assert sqlite_store.run(replies.signature, "sam", cid, config=cfg) == "The support team"
    # never on notes
    sqlite_store.run(triage.add_note, "sam", cid, "internal")
    with sqlite_store.read() as s:
        note = s.exec(select(Message).where(Message.direction == "note")).one()
        assert note.body == "internal"


def test_a_broken_signature_is_refused_when_the_config_loads(tmp_path):
    from inbox_tui.config import ConfigError

    path = tmp_path / "c.toml"
    path.write_text('[agent]\nsignature = "{{agent.nickname}}"\n')
    with pytest.raises(ConfigError, match="signature is not valid"):
        load_config(path)
    path.write_text('[agent]\nsignature = "{{ask: mood}}"\n')
    with pytest.raises(ConfigError, match="cannot use ask"):
        load_config(path)


def test_forward_one_message_attached_whole(smtp_server, sqlite_store):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    cfg.agent.signature = Signature(text="Sam")
    with sqlite_store.read() as s:
        mid = s.exec(select(Message.id).where(Message.direction == "in")).one()
    sqlite_store.run(
        forward.queue_forward,
        "sam",
        cid,
        ["billing@supplier.example"],
        config=cfg,
        note="Can you check this invoice?",
        message_row_id=mid,
    )
    assert flush(sqlite_store, cfg) == 1
    _, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["billing@supplier.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Fwd: Invoice missing"
    assert "In-Reply-To" not in msg  # a new thread for the supplier
    assert (
        msg.get_body(("plain",))
        .get_content()
        .replace("\r\n", "\n")
        .startswith("Can you check this invoice?\n\n-- \nSam")
    )
    (att,) = list(msg.iter_attachments())
    assert att.get_content_type() == "message/rfc822"
    original = att.get_content()
    assert original["Message-ID"] == "<c1@acme.example>"
    assert "Where is my invoice?" in original.get_body(("plain",)).get_content()
    assert "bob@acme.example" in original["Cc"]
    with sqlite_store.read() as s:
        kinds = [e.kind for e in s.exec(select(Event).where(Event.conversation_id == cid))]
        assert kinds.count("forwarded") == 1 and "replied" not in kinds
        stat = s.get(StatConversation, cid)
        assert stat.first_response_us is None  # a forward is not a response


def test_forward_the_conversation_quoted(smtp_server, sqlite_store):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    sqlite_store.run(replies.queue_reply, "sam", cid, "We are on it.", config=cfg)
    sqlite_store.run(triage.add_note, "sam", cid, "secret internal note")
    sqlite_store.run(
        forward.queue_forward, "sam", cid, ["boss@example.org"], config=cfg, note="FYI"
    )
    assert flush(sqlite_store, cfg) == 2
    msg = email.message_from_bytes(smtp_server.messages[1][2], policy=email.policy.default)
    text = msg.get_content().replace("\r\n", "\n")
    assert text.startswith("FYI\n\n---------- Forwarded message ----------\nFrom: ")
    assert "From: Zoë Brennan <zoe@acme.example>" in text
    assert text.index("Where is my invoice?") < text.index("We are on it.")
    assert "secret internal note" not in text
    assert list(msg.iter_attachments()) == []


def test_undo_within_the_delay_sends_nothing(smtp_server, sqlite_store):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server, undo=30)
    with sqlite_store.read() as s:
        status_before = s.get(Conversation, cid).status
    oid = sqlite_store.run(
        replies.queue_reply, "sam", cid, "Oops, wrong customer", config=cfg, then_status="closed"
    )
    assert flush(sqlite_store, cfg) == 0  # still in its delay
    text = sqlite_store.run(undo_send.cancel_outbox, "sam", oid)
    assert text == "Oops, wrong customer"
    assert flush(sqlite_store, cfg) == 0
    with sqlite_store.read() as s:
        row = s.get(Outbox, oid)
        assert row.status == "cancelled"
        conv = s.get(Conversation, cid)
        assert conv.status == status_before
        assert [
            m.direction for m in s.exec(select(Message).where(Message.conversation_id == cid))
        ] == ["in"]
        assert conv.message_count == 1
        assert s.get(StatConversation, cid).first_response_us is None
    # even once the delay has passed, a taken-back reply is never sent
    sqlite_store.run(lambda s: setattr(s.get(Outbox, oid), "next_attempt_at", utcnow()))
    assert flush(sqlite_store, cfg) == 0
    assert smtp_server.messages == []
    with pytest.raises(UserError, match="already taken back"):
        sqlite_store.run(undo_send.cancel_outbox, "sam", oid)


def test_after_the_delay_it_is_sent_once_and_can_no_longer_be_taken_back(smtp_server, sqlite_store):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server, undo=1)
    oid = sqlite_store.run(replies.queue_reply, "sam", cid, "Answer", config=cfg)
    assert flush(sqlite_store, cfg) == 0
    time.sleep(1.2)
    assert flush(sqlite_store, cfg) == 1
    assert flush(sqlite_store, cfg) == 0
    assert len(smtp_server.messages) == 1
    with pytest.raises(UserError, match="is sent; it can no longer be taken back"):
        sqlite_store.run(undo_send.cancel_outbox, "sam", oid)
    with sqlite_store.read() as s:
        assert s.get(StatConversation, cid).first_response_us is not None


KILLED_QUEUER = """
import sys, time
from inbox_tui.config import load_config
from inbox_tui.services import replies
from inbox_tui.store import Store
store = Store(sys.argv[1])
oid = store.run(replies.queue_reply, "sam", int(sys.argv[3]), "Sent despite the crash", config=load_config(sys.argv[2]))
print(oid, flush=True)
time.sleep(600)
"""


def test_kill_9_during_the_delay_still_sends_exactly_once(smtp_server, tmp_path):
    db = sqlite_url(tmp_path / "inbox.db")
    store = Store(db)
    cid = seed(store)
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text(
        f"""[agent]\nusername = "sam"\n[accounts.support]\nhost = "127.0.0.1"\nsecurity = "plain"
address = "support@example.com"\nsent_mailbox = ""\n[accounts.support.smtp]\nhost = "127.0.0.1"
port = {smtp_server.port}\nsecurity = "plain"\n[mail]\nundo_seconds = 2\n"""
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_QUEUER, db, str(cfg_path), str(cid)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        oid = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)  # the app dies during the undo delay
    finally:
        proc.wait(30)
    cfg = load_config(cfg_path)
    assert flush(store, cfg) == 0
    time.sleep(2.2)
    assert flush(store, cfg) == 1
    assert flush(store, cfg) == 0
    assert len(smtp_server.messages) == 1
    with store.read() as s:
        assert s.get(Outbox, oid).status == "sent"
    store.close()


def test_outbox_cancel_on_the_command_line(smtp_server, tmp_path):
    db = sqlite_url(tmp_path / "inbox.db")
    store = Store(db)
    cid = seed(store)
    cfg = make_config(smtp_server, undo=60)
    oid = store.run(replies.queue_reply, "sam", cid, "Take me back\x1b[31m", config=cfg)
    store.close()
    run = [sys.executable, "-m", "inbox_tui", "--db", db, "outbox"]
    listed = subprocess.run([*run, "list"], capture_output=True, text=True, timeout=60)
    assert f"outbox cancel {oid} takes it back" in listed.stdout
    done = subprocess.run([*run, "cancel", str(oid)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "taken back; nothing was sent" in done.stderr
    assert "Take me back" in done.stdout and "\x1b" not in done.stdout
    again = subprocess.run([*run, "cancel", str(oid)], capture_output=True, text=True, timeout=60)
    assert again.returncode != 0
    assert again.stderr.strip().endswith("already taken back.")
    assert "Traceback" not in again.stderr


def test_default_undo_delay_is_ten_seconds_and_zero_disables(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[agent]\nusername = 'sam'\n")
    assert load_config(path).mail.undo_seconds == 10
    path.write_text("[mail]\nundo_seconds = 0\n")
    assert load_config(path).mail.undo_seconds == 0


def test_chat_reply_goes_to_the_outgoing_log_exactly_once(sqlite_store, tmp_path):
    from inbox_tui.services.outbox import deliver_chat_line

    cid = seed(sqlite_store, channel=Channel.CHAT)
    log = tmp_path / "out" / "chat-outgoing.jsonl"
    cfg = make_config(None, chat_outgoing_log=log)
    oid = sqlite_store.run(replies.queue_reply, "sam", cid, "Try version 2.1", config=cfg)
    assert flush(sqlite_store, cfg) == 1
    assert flush(sqlite_store, cfg) == 0
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["text"] == "Try version 2.1" and line["author"] == "Sam Carter"
    assert line["conversation"] == "ticket-42" and line["in_reply_to"] == "c1"
    with sqlite_store.read() as s:
        row = s.get(Outbox, oid)
        assert row.status == "sent"
    # a retry after a crash between writing and recording finds its line: no duplicate
    assert deliver_chat_line(cfg, row.raw, attempts=2) == ("sent", None)
    assert len(log.read_text().splitlines()) == 1
    # the line is in the chat import's own format
    from inbox_tui.sources.chat import ChatLine, jsonl

    (parsed,) = list(jsonl.parse(log))
    assert isinstance(parsed, ChatLine)
    assert parsed.text == "Try version 2.1" and parsed.thread == "ticket-42"
    assert parsed.reply_to == "jsonl:widget:c1"  # the customer's line it answers


def test_outbox_list_says_a_chat_reply_went_to_the_log(sqlite_store, tmp_path, capsys):
    """#18: "the outbox shows it as delivered to the log" (it said "sent", as for mail)."""
    from inbox_tui import cli

    cid = seed(sqlite_store, channel=Channel.CHAT)
    log = tmp_path / "chat-outgoing.jsonl"
    cfg = make_config(None, chat_outgoing_log=log)
    oid = sqlite_store.run(replies.queue_reply, "sam", cid, "Try version 2.1", config=cfg)
    assert flush(sqlite_store, cfg) == 1
    assert cli.main(["--db", sqlite_store.url, "outbox", "list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert " ".join(line.split()) == (
        f"{oid} #{cid} sent attempts 1 (written to the chat outgoing log for the bridge)"
    )
    assert cli.main(["--db", sqlite_store.url, "outbox", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["status"] == "sent" and row["delivered_to"] == "chat outgoing log"


def test_chat_reply_without_a_bridge_is_recorded_and_says_so(sqlite_store):
    cid = seed(sqlite_store, channel=Channel.CHAT)
    cfg = make_config(None)
    oid = sqlite_store.run(replies.queue_reply, "sam", cid, "Hello", config=cfg)
    with sqlite_store.read() as s:
        assert s.get(Outbox, oid).status == "logged"
    assert "cannot receive email" in replies.delivery_sentence("logged", Channel.CHAT, cfg)


def test_retry_with_edited_text_keeps_the_attachment(smtp_server, sqlite_store, tmp_path):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(PDF)
    smtp_server.replies = ["550 5.7.1 rejected"]
    oid = sqlite_store.run(
        replies.queue_reply, "sam", cid, "first text", config=cfg, attachments=[pdf]
    )
    assert flush(sqlite_store, cfg) == 0
    sqlite_store.run(outbox.retry_outbox, oid, "second text")
    assert flush(sqlite_store, cfg) == 1
    msg = email.message_from_bytes(smtp_server.messages[0][2], policy=email.policy.default)
    assert msg.get_body(("plain",)).get_content().strip() == "second text"
    (att,) = list(msg.iter_attachments())
    assert att.get_content() == PDF and att.get_filename() == "invoice.pdf"


def test_undo_the_newest_reply_on_both_databases(smtp_server, store):
    """What the TUI's undo key does: the agent's newest reply still in its delay is
    taken back (SQLite and PostgreSQL: the conditional UPDATE, the deletes, the fold)."""
    cid = seed(store)
    cfg = make_config(smtp_server, undo=30)
    first = store.run(replies.queue_reply, "sam", cid, "first", config=cfg)
    second = store.run(replies.queue_reply, "sam", cid, "second", config=cfg)
    assert store.run(undo_send.last_cancellable, "sam", cid) == second
    assert store.run(undo_send.last_cancellable, "ann", cid) is None
    assert store.run(undo_send.cancel_outbox, "sam", second) == "second"
    assert store.run(undo_send.last_cancellable, "sam", cid) == first
    with store.read() as s:
        bodies = [m.body for m in s.exec(select(Message).where(Message.direction == "out")).all()]
        assert bodies == ["first"]
        # "first" still waits out its delay: it counts when it goes, at that time.
        assert s.get(StatConversation, cid).first_response_us is None
    assert flush(store, cfg) == 0
    from inbox_tui.store.aggregates import to_us

    went = utcnow() + timedelta(seconds=31)
    assert asyncio.run(flush_outbox(store, cfg, clock=lambda: went)).sent == 1
    with store.read() as s:  # "first" counts; "second", taken back, never
        assert s.get(StatConversation, cid).first_response_us == to_us(went)


def test_reply_goes_to_reply_to_when_the_sender_asked(smtp_server, sqlite_store):
    from inbox_tui.mail.parse import parse_message

    raw = (
        b"From: Acme web form <no-reply@forms.example>\r\n"
        b"Reply-To: Dana Customer <dana@customer.example>\r\n"
        b"To: support@example.com\r\nCc: eve@customer.example\r\n"
        b"Subject: Contact form\r\nMessage-ID: <form-1@forms.example>\r\n\r\nPlease call me.\r\n"
    )
    msg = parse_message(raw, source="imap:support/INBOX", external_id="f1")
    assert msg.reply_to == [("Dana Customer", "dana@customer.example")]

    def work(s):
        from inbox_tui.ingest import Ingestor

        triage.ensure_agent(s, "sam", "Sam Carter", "sam@example.com")
        return Ingestor(s).add(msg).conversation_id

    cid = sqlite_store.run(work)
    cfg = make_config(smtp_server)
    plain = sqlite_store.run(replies.addressing, "sam", cid, config=cfg)
    assert plain.to == [("Dana Customer", "dana@customer.example")] and plain.cc == []
    everyone = sqlite_store.run(replies.addressing, "sam", cid, config=cfg, reply_all=True)
    assert everyone.cc == [("", "eve@customer.example")]  # no-reply@ takes no answers
    sqlite_store.run(replies.queue_reply, "sam", cid, "Calling you now", config=cfg)
    assert flush(sqlite_store, cfg) == 1
    assert smtp_server.messages[0][1] == ["dana@customer.example"]


def test_forward_to_typed_names_keeps_them_and_a_bad_address_is_one_sentence(
    smtp_server, sqlite_store
):
    from inbox_tui.services.review import BadAddress

    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    with pytest.raises(BadAddress, match="“Ana <ana@vendor>” in To is not an email address"):
        sqlite_store.run(forward.queue_forward, "sam", cid, ["Ana <ana@vendor>"], config=cfg)
    sqlite_store.run(
        forward.queue_forward,
        "sam",
        cid,
        ["Ana Díaz <ana@vendor.example>, ANA@vendor.example", ("Bob", "bob@vendor.example")],
        config=cfg,
        bcc=["Boss <boss@example.org>"],
    )
    assert flush(sqlite_store, cfg) == 1
    _, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["ana@vendor.example", "bob@vendor.example", "boss@example.org"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Ana Díaz", "ana@vendor.example"),
        ("Bob", "bob@vendor.example"),
    ]
    assert "Boss" not in raw.decode("utf-8", "replace")


def test_a_forward_taken_back_keeps_its_recipients_names(smtp_server, sqlite_store):
    """Undo send reopens a forward with To, Cc and Bcc as they were, names included (the
    record once wrapped each (name, address) pair as another pair's address)."""
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server, undo=30)
    sqlite_store.run(
        forward.queue_forward,
        "sam",
        cid,
        ["Ana Díaz <ana@vendor.example>"],
        config=cfg,
        note="FYI",
        cc=[("Bob", "bob@vendor.example")],
        bcc=["Boss <boss@example.org>"],
    )
    back = sqlite_store.run(lambda s: undo_send.take_back(s, "sam", config=cfg))
    assert back.forwarded and back.review is not None
    assert back.review.to == [("Ana Díaz", "ana@vendor.example")]
    assert back.review.cc == [("Bob", "bob@vendor.example")]
    assert back.review.bcc == [("Boss", "boss@example.org")]
    assert flush(sqlite_store, cfg) == 0  # taken back: nothing goes


def test_a_forward_is_no_answer_to_the_customer(smtp_server, sqlite_store):
    """walk2: forwarding a late conversation took its overdue mark away (the response
    targets counted the forward as a reply). Undo send still finds a forward."""
    from inbox_tui.services import sla

    cid = seed(sqlite_store)
    cfg = make_config(smtp_server, undo=30)
    policy = sla.SlaPolicy.from_config({"first_response": "1h"})

    def waiting_ids() -> set[int]:
        with sqlite_store.read() as s:
            return {d.conversation_id for d in sla.waiting(s, policy)}

    assert cid in waiting_ids()
    oid = sqlite_store.run(
        forward.queue_forward, "sam", cid, ["boss@example.org"], config=cfg, note="FYI"
    )
    assert cid in waiting_ids()  # still waiting for an answer
    assert sqlite_store.run(undo_send.cancel_outbox, "sam", oid).startswith("FYI")
    sqlite_store.run(replies.queue_reply, "sam", cid, "We are on it.", config=cfg)
    assert cid not in waiting_ids()  # a reply answers

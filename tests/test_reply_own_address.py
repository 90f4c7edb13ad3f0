"""#18 from a new user: an imported mbox thread whose newest mail is our own (from the
team address, with the boss on Cc). Reply must go to the customer, reply-all must keep
the boss and never address us, and the team's own mail counts as outbound."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from sqlmodel import select

from inbox_tui.config import Account, AgentIdentity, Config
from inbox_tui.models import Conversation, Direction, Message
from inbox_tui.services import replies
from inbox_tui.services.mailimport import import_mail
from inbox_tui.services.outbox import flush_outbox
from inbox_tui.store import Store

TEAM = "support@northwind.example"
CUSTOMER = "dana@customer.example"
BOSS = "boss.person@customer.example"


def write_thread(path: Path, count: int = 70) -> Path:
    """An mbox of one thread, alternating customer and team; the newest is ours and
    copies the customer's boss."""
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    lines = []
    for i in range(count):
        ours = i % 2 == 1
        msg = EmailMessage()
        msg["From"] = f"Northwind Support <{TEAM}>" if ours else f"Dana Smith <{CUSTOMER}>"
        msg["To"] = f"Dana Smith <{CUSTOMER}>" if ours else f"Northwind Support <{TEAM}>"
        if i == count - 1:
            msg["Cc"] = f"Boss Person <{BOSS}>"
        msg["Subject"] = "Order 1234 arrived broken" if i == 0 else "Re: Order 1234 arrived broken"
        msg["Message-ID"] = f"<m{i}@thread.example>"
        if i:
            msg["In-Reply-To"] = f"<m{i - 1}@thread.example>"
            msg["References"] = " ".join(f"<m{j}@thread.example>" for j in range(i))
        msg["Date"] = format_datetime(start + timedelta(minutes=10 * i))
        msg.set_content(f"Message {i} of the thread.\n")
        lines.append(b"From MAILER-DAEMON Mon Nov  2 09:00:00 2026\n" + msg.as_bytes() + b"\n")
    path.write_bytes(b"".join(lines))
    return path


def demo_config() -> Config:
    cfg = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam Carter"), accounts={})
    cfg.demo = True
    return cfg


def imported(store: Store, tmp_path: Path) -> int:
    report = import_mail(store, [write_thread(tmp_path / "thread.mbox")])
    assert report.counts.imported == 70
    with store.read() as s:
        convs = s.exec(select(Conversation)).all()
    assert len(convs) == 1
    assert convs[0].id is not None
    return convs[0].id


def test_demo_reply_and_reply_all_go_to_the_customer_and_keep_the_boss(sqlite_store, tmp_path):
    cid = imported(sqlite_store, tmp_path)
    cfg = demo_config()
    plain = sqlite_store.run(replies.addressing, "sam", cid, config=cfg)
    assert [a for _, a in plain.to] == [CUSTOMER] and plain.cc == []
    everyone = sqlite_store.run(replies.addressing, "sam", cid, config=cfg, reply_all=True)
    assert [a for _, a in everyone.to] == [CUSTOMER]
    assert [a for _, a in everyone.cc] == [BOSS]
    assert (everyone.from_addr or TEAM) == TEAM


def test_reply_all_through_smtp_never_addresses_us(smtp_server, sqlite_store, tmp_path):
    cid = imported(sqlite_store, tmp_path)
    account = Account(
        name="support",
        host="127.0.0.1",
        port=1,
        security="plain",
        address=TEAM,
        smtp=smtp_server.settings(),
        sent_mailbox=None,
    )
    cfg = Config(
        path=None,
        db_url=None,
        agent=AgentIdentity("sam", "Sam Carter"),
        accounts={"support": account},
    )
    cfg.mail.undo_seconds = 0
    sqlite_store.run(replies.queue_reply, "sam", cid, "All sorted.", config=cfg, reply_all=True)
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).sent == 1
    mail_from, rcpts, raw = smtp_server.messages[0]
    assert mail_from == TEAM and rcpts == [CUSTOMER, BOSS]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert [a.addr_spec for a in msg["To"].addresses] == [CUSTOMER]
    assert [a.addr_spec for a in msg["Cc"].addresses] == [BOSS]
    assert msg["In-Reply-To"] == "<m68@thread.example>"  # the customer's last mail


def test_team_mail_imported_from_files_counts_as_outbound(sqlite_store, tmp_path):
    path = write_thread(tmp_path / "thread.mbox", 4)
    import_mail(sqlite_store, [path], own_addresses=frozenset({TEAM}))
    with sqlite_store.read() as s:
        rows = s.exec(select(Message).order_by(Message.sent_at)).all()
    assert [m.direction for m in rows] == [
        Direction.INBOUND.value,
        Direction.OUTBOUND.value,
    ] * 2


# -- undo send in the demo (#18) -------------------------------------------------------


def _due_now(store: Store) -> None:
    from inbox_tui.models import Outbox, utcnow

    def work(s):
        for row in s.exec(select(Outbox)).all():
            row.next_attempt_at = utcnow() - timedelta(seconds=1)

    store.run(work)


def test_demo_reply_waits_out_the_undo_delay_and_can_be_taken_back(sqlite_store, tmp_path):
    from inbox_tui.services import undo_send
    from inbox_tui.services.compose import send_reply

    cid = imported(sqlite_store, tmp_path)
    cfg = demo_config()
    cfg.mail.undo_seconds = 10
    sent = sqlite_store.run(send_reply, "sam", cid, "First try.", config=cfg)
    assert not sent.logged and sent.undo_seconds == 10
    assert "undo" in sent.sentence and "nothing is sent" in sent.sentence
    # Nothing is due yet: the demo's flush records nothing before the delay is over.
    assert asyncio.run(flush_outbox(sqlite_store, cfg)).logged == 0
    back = sqlite_store.run(undo_send.take_back, "sam")
    assert back.conversation_id == cid and back.text.startswith("First try.")
    assert f"#{cid}" in back.sentence and "Order 1234" in back.sentence
    sqlite_store.run(send_reply, "sam", cid, "Second try.", config=cfg)
    _due_now(sqlite_store)
    report = asyncio.run(flush_outbox(sqlite_store, cfg))
    assert (report.logged, report.sent, report.failed, report.retrying) == (1, 0, 0, 0)
    from inbox_tui.errors import UserError

    try:
        sqlite_store.run(undo_send.take_back, "sam")
    except UserError as exc:
        assert "no reply of yours here still waiting" in str(exc)
    else:
        raise AssertionError("a recorded reply was taken back")
    from inbox_tui.models import Outbox

    with sqlite_store.read() as s:
        assert [r.status for r in s.exec(select(Outbox).order_by(Outbox.id))] == [
            "cancelled",
            "logged",
        ]


def test_undo_takes_back_the_newest_reply_wherever_the_cursor_is(sqlite_store, tmp_path):
    from inbox_tui.incoming import IncomingMessage
    from inbox_tui.ingest import Ingestor
    from inbox_tui.models import utcnow
    from inbox_tui.services import undo_send

    cid = imported(sqlite_store, tmp_path)
    other = IncomingMessage(
        source="mail:import",
        external_id="x1",
        message_id="<x1@else.example>",
        subject="Another question",
        author_name="Eve",
        author_email="eve@else.example",
        to=[("", TEAM)],
        sent_at=utcnow(),
        body="Hello?",
    )
    oid = sqlite_store.run(lambda s: Ingestor(s).add(other).conversation_id)
    cfg = demo_config()
    cfg.mail.undo_seconds = 10
    sqlite_store.run(replies.queue_reply, "sam", oid, "To Eve.", config=cfg)
    sqlite_store.run(replies.queue_reply, "sam", cid, "To Dana.", config=cfg)
    back = sqlite_store.run(undo_send.take_back, "sam")
    assert back.conversation_id == cid and back.text.startswith("To Dana.")
    back = sqlite_store.run(undo_send.take_back, "sam")
    assert back.conversation_id == oid and "Another question" in back.sentence


def test_cli_import_mail_counts_the_configs_address_as_ours(tmp_path):
    import os
    import subprocess
    import sys

    from inbox_tui.store import sqlite_url

    path = write_thread(tmp_path / "thread.mbox", 4)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[agent]\nusername = "sam"\n\n[accounts.support]\nhost = "127.0.0.1"\naddress = "{TEAM}"\n'
    )
    cfg.chmod(0o600)
    db = sqlite_url(tmp_path / "inbox.db")
    args = ["--config", str(cfg), "--db", db, "import", "mail", str(path)]
    done = subprocess.run(
        [sys.executable, "-m", "inbox_tui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    store = Store(db)
    with store.read() as s:
        rows = s.exec(select(Message).order_by(Message.sent_at)).all()
    assert [m.direction for m in rows] == ["in", "out", "in", "out"]

"""``inbox-tui outbox flush`` killed with SIGKILL while sending, as a real process,
against a real, slowed aiosmtpd server on 127.0.0.1, with the outbox on SQLite and on
PostgreSQL; then flushed again.

The server announces each step (RCPT received, final dot received, message accepted)
and then takes its time, so the test kills the sender at a known point of a known
reply:

- ``rcpt``: before DATA. Nothing was delivered; the reply is sent on resume.
- ``data``: the final dot arrived but the server had not committed the message when the
  client vanished; like a real MTA it drops the transaction. Sent on resume.
- ``accepted``: the server accepted the message (and filed a copy in Sent, as most
  providers do) but the client died before reading the 250. SMTP cannot be exactly-once
  here: the sender cannot know. The outbox checks the account's Sent folder over IMAP
  (real Dovecot) before sending a reply whose outcome is unknown, so it is not sent
  twice; with no Sent folder configured it is sent a second time (tested too, so the
  limit stays documented).

Replies not yet started when the sender died are sent by the next flush at once; only
the one in flight waits for the claim to go stale (``STALE_SENDING``), which the test
lets pass by ageing that row."""

from __future__ import annotations

import asyncio
import email
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui.config import load_config
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Outbox, utcnow
from inbox_tui.services import replies, triage
from inbox_tui.services.outbox import STALE_SENDING
from inbox_tui.store import Store, sqlite_url
from tests.reliability.crashkit import Target, cli, env
from tests.servers.postgres import free_port

REPLIES = 4


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """The store the outbox lives in: a SQLite file, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return Target(sqlite_url(tmp_path / "out.db"), tmp_path / "out.db")
    return Target(request.getfixturevalue("postgres_url_factory")())


class SlowSmtp:
    """aiosmtpd with AUTH (any login), that pauses at ``pause`` for reply ``target``."""

    def __init__(self, sent_folder=None) -> None:  # type: ignore[no-untyped-def]
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.port = free_port()
        self.delivered: list[bytes] = []
        self.pause: str | None = None
        self.target: str | None = None  # Message-ID of the reply to pause on
        self.target_index = -1  # its place in the queue (RCPT comes before the message)
        self.reached = threading.Event()
        self.sent_folder = sent_folder  # callable(raw) filing a copy in Sent, or None
        owner = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, options):
                envelope.rcpt_tos.append(address)
                if owner.pause == "rcpt" and owner._is_target_next():
                    owner.reached.set()
                    await asyncio.sleep(120)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                raw = envelope.original_content or envelope.content
                mid = _mid(raw)
                if owner.pause == "data" and mid == owner.target:
                    owner.reached.set()
                    await asyncio.sleep(120)  # cancelled when the client vanishes
                owner.delivered.append(raw)
                if owner.sent_folder is not None:
                    owner.sent_folder(raw)
                if owner.pause == "accepted" and mid == owner.target:
                    owner.reached.set()
                    await asyncio.sleep(120)
                return "250 2.0.0 queued"

        self.controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=lambda *a: AuthResult(success=True),
            auth_require_tls=False,
        )

    def _is_target_next(self) -> bool:
        return len(self.delivered) == self.target_index

    def count(self, mid: str) -> int:
        return sum(1 for raw in self.delivered if _mid(raw) == mid)


def _mid(raw: bytes) -> str:
    return str(email.message_from_bytes(raw)["Message-ID"]).strip().strip("<>")


def write_config(tmp_path: Path, smtp_port: int, imap_port: int, sent: bool) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[agent]
username = "sam"
name = "Sam Carter"

[accounts.support]
host = "127.0.0.1"
port = {imap_port}
security = "plain"
username = "agent"
password_env = "CRASH_PW"
address = "support@example.com"
sent_mailbox = "{"Sent" if sent else ""}"

[accounts.support.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "plain"
timeout = 60

[mail]
undo_seconds = 0   # the crashes under test happen while sending, not during the delay
"""
    )
    return path


def queue(store: Store, cfg_path: Path) -> list[str]:
    cfg = load_config(cfg_path)

    def work(s):
        triage.ensure_agent(s, "sam", "Sam Carter")
        ing = Ingestor(s)
        cids = []
        for i in range(REPLIES):
            cids.append(
                ing.add(
                    IncomingMessage(
                        source="t",
                        external_id=str(i),
                        message_id=f"<q{i}@acme.example>",
                        subject=f"Question {i}",
                        author_name=f"Customer {i}",
                        author_email=f"c{i}@acme.example",
                        sent_at=utcnow() - timedelta(hours=1),
                        body="help",
                    )
                ).conversation_id
            )
        return cids

    for cid in store.run(work):
        store.run(replies.queue_reply, "sam", cid, f"Answer for {cid}", config=cfg)
    with store.read() as s:
        return [r.message_id for r in s.exec(select(Outbox).order_by(Outbox.id))]


def rows(db: Target) -> list[tuple]:  # type: ignore[type-arg]
    return db.rows("SELECT message_id, status, attempts FROM outbox ORDER BY id")


def age_in_flight(db: Target) -> None:
    """Let the in-flight claim go stale, as STALE_SENDING of wall time would."""
    store = Store(db.url)

    def work(s):  # type: ignore[no-untyped-def]
        for row in s.exec(select(Outbox).where(Outbox.status == "sending")).all():
            row.next_attempt_at = utcnow() - STALE_SENDING - timedelta(minutes=1)

    store.run(work)
    store.close()


def flush(cfg: Path, db: Target) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli("--config", str(cfg), "--db", db.url, "outbox", "flush"),
        env={**env(), "CRASH_PW": "secret"},
        capture_output=True,
        text=True,
        timeout=180,
    )


def run_case(
    tmp_path: Path, db: Target, smtp: SlowSmtp, imap_port: int, point: str, sent: bool
) -> None:
    cfg = write_config(tmp_path, smtp.port, imap_port, sent)
    store = Store(db.url)
    mids = queue(store, cfg)
    store.close()
    victim = 1  # the second reply is in flight when the sender dies
    smtp.target, smtp.target_index = mids[victim], victim
    smtp.pause = point
    proc = subprocess.Popen(
        cli("--config", str(cfg), "--db", db.url, "outbox", "flush"),
        env={**env(), "CRASH_PW": "secret"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert smtp.reached.wait(120), f"the sender never reached {point}"
    finally:
        proc.kill()
        proc.wait()
    smtp.pause = None
    assert db.integrity() == "ok"
    state = {mid: (status, attempts) for mid, status, attempts in rows(db)}
    assert state[mids[0]] == ("sent", 1)
    assert state[mids[victim]] == ("sending", 1)
    # replies the dead sender had not started are not held by its claim
    assert all(state[m] == ("queued", 0) for m in mids[victim + 1 :]), state

    first = flush(cfg, db)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    state = {mid: (status, attempts) for mid, status, attempts in rows(db)}
    assert state[mids[victim]] == ("sending", 1)  # still claimed until it goes stale
    assert all(state[m] == ("sent", 1) for m in mids if m != mids[victim]), state

    age_in_flight(db)
    second = flush(cfg, db)
    assert second.returncode == 0, second.stderr
    state = {mid: (status, attempts) for mid, status, attempts in rows(db)}
    assert all(status == "sent" for status, _ in state.values()), state
    assert state[mids[victim]][1] == 2

    for mid in mids:
        expected = 2 if (mid == mids[victim] and point == "accepted" and not sent) else 1
        assert smtp.count(mid) == expected, (mid, point, smtp.count(mid))
    # a further flush sends nothing
    third = flush(cfg, db)
    assert third.returncode == 0 and third.stdout.startswith("0 sent")
    assert len(smtp.delivered) == REPLIES + (1 if point == "accepted" and not sent else 0)


@pytest.mark.parametrize("point", ["rcpt", "data", "accepted"])
def test_flush_killed_mid_send_with_sent_folder_delivers_each_reply_once(
    tmp_path, target, dovecot_server, point
):
    dovecot_server.maildir("Sent")
    smtp = SlowSmtp(sent_folder=lambda raw: dovecot_server.add(raw, "Sent"))
    smtp.controller.start()
    try:
        run_case(tmp_path, target, smtp, dovecot_server.port, point, sent=True)
    finally:
        smtp.controller.stop()


def test_flush_killed_after_the_server_accepted_without_sent_folder_sends_twice(tmp_path, target):
    """The documented limit: with no Sent folder to ask, a reply whose 250 was lost is
    sent again (the customer may get it twice); nothing is lost."""
    smtp = SlowSmtp()
    smtp.controller.start()
    try:
        run_case(tmp_path, target, smtp, free_port(), "accepted", sent=False)
    finally:
        smtp.controller.stop()

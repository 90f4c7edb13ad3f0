"""IMAP sync against a real Dovecot on 127.0.0.1."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import func, select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.errors import UserError
from inbox_tui.models import Conversation, Message, SyncState
from inbox_tui.services.mailimport import import_mail
from inbox_tui.services.mailsync import sync, watch
from tests.conftest import corpus


def make_mail(i: int, subject: str | None = None, **headers: str) -> bytes:
    m = EmailMessage()
    m["From"] = f"Customer {i} <c{i}@example.com>"
    m["To"] = "support@example.com"
    m["Subject"] = subject or f"Question {i}"
    m["Message-ID"] = f"<q{i}@example.com>"
    m["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(f"body {i}")
    return m.as_bytes()


def config_for(server, **overrides) -> Config:
    return Config(
        path=None,
        db_url=None,
        agent=AgentIdentity("tester", "Tester"),
        accounts={"support": server.account(**overrides)},
    )


def count(store, model=Message) -> int:
    with store.read() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_initial_and_incremental_sync(dovecot_server, sqlite_store):
    for i in range(5):
        dovecot_server.add(make_mail(i))
    dovecot_server.add(make_mail(99, subject='Broken (paren "quote'))
    cfg = config_for(dovecot_server)
    report = asyncio.run(sync(cfg, sqlite_store))
    assert report.errors == []
    box = report.mailboxes[0]
    assert (box.fetched, box.counts.imported) == (6, 6)
    with sqlite_store.read() as s:
        assert s.exec(select(Message).where(Message.subject == 'Broken (paren "quote')).first()
        state = s.exec(select(SyncState)).one()
        assert state.source == "imap:support/INBOX" and state.last_uid == 6 and state.uidvalidity
    again = asyncio.run(sync(cfg, sqlite_store))
    assert again.mailboxes[0].fetched == 0
    dovecot_server.add(make_mail(7))
    third = asyncio.run(sync(cfg, sqlite_store))
    assert third.mailboxes[0].counts.imported == 1 and count(sqlite_store) == 7


def test_large_mailbox_spans_many_fetch_batches(dovecot_server, sqlite_store):
    md = dovecot_server.maildir()
    for i in range(3000):
        md.add(make_mail(i))
    dovecot_server.add(make_mail(5000))
    report = asyncio.run(sync(config_for(dovecot_server), sqlite_store))
    assert report.mailboxes[0].counts.imported == 3001 and count(sqlite_store) == 3001


def test_uidvalidity_reset_and_expunge_lose_and_duplicate_nothing(dovecot_server, sqlite_store):
    for i in range(4):
        dovecot_server.add(make_mail(i))
    no_id = EmailMessage()
    no_id["From"] = "x@example.com"
    no_id["Subject"] = "no message id"
    no_id.set_content("hi")
    dovecot_server.add(no_id.as_bytes())
    cfg = config_for(dovecot_server)
    asyncio.run(sync(cfg, sqlite_store))
    assert count(sqlite_store) == 5
    dovecot_server.stop()
    dovecot_server.recreate()
    md = dovecot_server.maildir()
    first_key = sorted(md.keys())[0]
    md.remove(first_key)  # expunged on the server: stays in the store
    dovecot_server.add(make_mail(10))
    dovecot_server.start()
    report = asyncio.run(sync(cfg, sqlite_store))
    box = report.mailboxes[0]
    assert box.uidvalidity_changed
    assert box.counts.imported == 1 and box.counts.duplicates == 4
    assert count(sqlite_store) == 6


def test_without_condstore(dovecot_server, sqlite_store):
    dovecot_server.restart(capabilities="IMAP4rev1 IDLE")
    dovecot_server.add(make_mail(1))
    report = asyncio.run(sync(config_for(dovecot_server), sqlite_store))
    assert report.mailboxes[0].counts.imported == 1
    with sqlite_store.read() as s:
        assert s.exec(select(SyncState)).one().highestmodseq is None


def test_new_mail_shows_up_while_watching(dovecot_server, sqlite_store):
    cfg = config_for(dovecot_server)
    reports = []

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(
            watch(cfg, sqlite_store, reports.append, stop, idle_seconds=20, poll_seconds=1)
        )
        for _ in range(50):
            if reports:
                break
            await asyncio.sleep(0.1)
        await asyncio.to_thread(dovecot_server.add, make_mail(42))
        for _ in range(100):
            if count(sqlite_store) == 1:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 30)

    asyncio.run(scenario())
    assert count(sqlite_store) == 1


def test_tls_needs_the_ca(dovecot_server, sqlite_store):
    dovecot_server.restart(tls=True)
    dovecot_server.add(make_mail(1))
    without = asyncio.run(sync(config_for(dovecot_server, tls_ca_file=None), sqlite_store))
    assert without.errors and "certificate" in without.errors[0]
    with_ca = asyncio.run(sync(config_for(dovecot_server), sqlite_store))
    assert with_ca.errors == [] and with_ca.mailboxes[0].counts.imported == 1


def test_wrong_password_and_unreachable_host_are_sentences(dovecot_server, sqlite_store):
    bad = asyncio.run(sync(config_for(dovecot_server, password="nope"), sqlite_store))
    assert bad.errors == [
        "support: The IMAP server 127.0.0.1 refused the login for agent: wrong user name or password."
    ]
    dovecot_server.stop()
    down = asyncio.run(sync(config_for(dovecot_server), sqlite_store))
    assert "connection was refused" in down.errors[0]
    with pytest.raises(UserError, match="no account called"):
        asyncio.run(sync(config_for(dovecot_server), sqlite_store, account="nope"))


def test_plain_to_a_remote_host_is_refused(dovecot_server, sqlite_store):
    report = asyncio.run(sync(config_for(dovecot_server, host="imap.example.com"), sqlite_store))
    assert "unencrypted" in report.errors[0]


def test_corpus_through_imap_equals_importing_files(dovecot_server, sqlite_store, tmp_path):
    lkml = corpus("mail", "notmuch", "lkml")
    md = dovecot_server.maildir()
    for path in sorted(p for p in lkml.rglob("*") if p.is_file()):
        md.add(path.read_bytes())
    report = asyncio.run(sync(config_for(dovecot_server), sqlite_store))
    assert report.errors == []
    from inbox_tui.store import Store, sqlite_url

    files = Store(sqlite_url(tmp_path / "files.db"))
    import_mail(files, [lkml])
    with sqlite_store.read() as a, files.read() as b:
        subjects_a = sorted(s for s in a.exec(select(Conversation.subject)).all())
        subjects_b = sorted(s for s in b.exec(select(Conversation.subject)).all())
        mids_a = sorted(a.exec(select(Message.message_id)).all())
        mids_b = sorted(b.exec(select(Message.message_id)).all())
    assert subjects_a == subjects_b and len(subjects_a) == 7
    assert mids_a == mids_b and len(mids_a) == 176


def test_sync_cli_errors_are_one_sentence(dovecot_server, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[accounts.support]\nhost = "127.0.0.1"\nport = {dovecot_server.port}\nsecurity = "plain"\nusername = "agent"\npassword_env = "NOPE_NOT_SET"\n'
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "inbox_tui",
            "--config",
            str(cfg),
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
            "sync",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "NOPE_NOT_SET" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.fixture(autouse=True)
def _no_stray_path(monkeypatch):
    monkeypatch.chdir(Path(__file__).parent)


def test_large_mail_is_fetched_and_written_by_bytes_not_count(
    dovecot_server, sqlite_store, monkeypatch
):
    """A run of large messages is fetched a few at a time (by the sizes the server
    gives), and written in transactions of about WRITE_BYTES whose sync state names
    only committed messages: memory stays flat whatever the mail's size."""
    from inbox_tui.services import mailsync
    from inbox_tui.sources.imap_client import ImapSession

    monkeypatch.setattr(mailsync, "FETCH_BYTES", 300_000)
    monkeypatch.setattr(mailsync, "WRITE_BYTES", 90_000)
    md = dovecot_server.maildir()
    for i in range(12):
        md.add(make_mail(i, subject=f"Large {i}") + b"x" * 100_000)
    for i in range(12, 40):
        md.add(make_mail(i))
    asked: list[int] = []
    fetch = ImapSession.fetch

    async def counting_fetch(self, uids):
        asked.append(len(uids))
        return await fetch(self, uids)

    monkeypatch.setattr(ImapSession, "fetch", counting_fetch)
    states: list[int] = []
    ingest = mailsync._ingest_batch

    def recording_ingest(session, key, source, items, last_uid, box, rules=()):
        counts = ingest(session, key, source, items, last_uid, box, rules)
        uids = [int(item.where.rsplit(" ", 1)[1]) for item, _ in items]
        assert all(u <= last_uid for u in uids)  # the state covers what it commits
        states.append(last_uid)
        return counts

    monkeypatch.setattr(mailsync, "_ingest_batch", recording_ingest)
    report = asyncio.run(sync(config_for(dovecot_server), sqlite_store))
    assert report.errors == [] and report.mailboxes[0].counts.imported == 40
    # ~100 KB each: two per 300 KB FETCH; the last two with the small ones
    assert asked == [2, 2, 2, 2, 2, 30]
    assert states == sorted(states) and states[-1] == 40
    assert states[:4] == [1, 2, 3, 4]  # one ~100 KB message per transaction
    with sqlite_store.read() as s:
        assert s.exec(select(SyncState)).one().last_uid == 40


def test_feed_in_slices_hands_the_parser_bounded_slices():
    from inbox_tui.sources.imap_client import feed_in_slices

    class Proto:
        def __init__(self) -> None:
            self.got: list[bytes] = []

        def data_received(self, data: bytes) -> None:
            self.got.append(data)

    p = Proto()
    feed_in_slices(p, size=10)
    p.data_received(b"a" * 25)
    p.data_received(b"short")
    assert [len(d) for d in p.got] == [10, 10, 5, 5]
    assert b"".join(p.got) == b"a" * 25 + b"short"


def test_a_future_dated_mail_counts_from_the_servers_arrival_time(
    dovecot_server, sqlite_store, tmp_path
):
    """A Date days ahead is not believed (#18); it counted from the wall clock at sync,
    so the same mail synced into two stores (two agents, a re-sync) got two dates. It
    counts from the server's INTERNALDATE, the same wherever and whenever it is synced."""
    import email
    import email.policy
    import time
    from datetime import UTC, datetime, timedelta

    from inbox_tui.store import Store, sqlite_url

    arrived = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    ahead = (arrived + timedelta(days=3)).strftime("%a, %d %b %Y %H:%M:%S +0000")

    def dated(i: int, date: str) -> bytes:
        msg = email.message_from_bytes(make_mail(i), policy=email.policy.default)
        msg.replace_header("Date", date)
        return msg.as_bytes()

    dovecot_server.add(dated(1, ahead), received=arrived)
    honest = arrived - timedelta(minutes=5)
    on_time = honest.strftime("%a, %d %b %Y %H:%M:%S +0000")
    dovecot_server.add(dated(2, on_time), received=arrived)  # its Date is believed
    cfg = config_for(dovecot_server)
    dates = []
    for n, store in enumerate((sqlite_store, Store(sqlite_url(tmp_path / "second.db")))):
        if n:
            time.sleep(1.1)  # the wall clock has moved on: the date must not
        assert asyncio.run(sync(cfg, store)).mailboxes[0].counts.imported == 2
        with store.read() as s:
            rows = s.exec(select(Message.message_id, Message.sent_at).order_by(Message.id)).all()
        dates.append({mid: at.replace(tzinfo=UTC) if at.tzinfo is None else at for mid, at in rows})
    assert dates[0] == dates[1]
    assert dates[0]["q1@example.com"] == arrived
    assert dates[0]["q2@example.com"] == honest


def test_internaldate_is_read_from_a_fetch_line():
    from datetime import UTC, datetime

    from inbox_tui.sources.imap_client import internaldate

    line = b'* 1 FETCH (UID 5 INTERNALDATE " 6-Dec-2026 21:05:09 +0100" BODY[] {12}'
    assert internaldate(line) == datetime(2026, 12, 6, 20, 5, 9, tzinfo=UTC)
    assert internaldate(b'* 1 FETCH (UID 5 INTERNALDATE "32-Dec-2026 99:00:00 +0000")') is None
    assert internaldate(b"* 1 FETCH (UID 5 BODY[] {12}") is None


def test_a_maildir_import_dates_a_future_mail_as_imap_does(dovecot_server, sqlite_store, tmp_path):
    """A Maildir file's mtime is when it was delivered (Dovecot's INTERNALDATE for the same
    file): importing the Maildir and syncing it over IMAP give a future-dated mail one date."""
    import email
    import email.policy
    import mailbox
    import os
    from datetime import UTC, datetime, timedelta

    from inbox_tui.store import Store, sqlite_url

    arrived = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    msg = email.message_from_bytes(make_mail(1), policy=email.policy.default)
    msg.replace_header(
        "Date", (arrived + timedelta(days=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    )
    md = mailbox.Maildir(str(tmp_path / "md"), create=True)
    key = md.add(msg.as_bytes())
    os.utime(tmp_path / "md" / md._lookup(key), (arrived.timestamp(), arrived.timestamp()))
    files = Store(sqlite_url(tmp_path / "files.db"))
    assert import_mail(files, [tmp_path / "md"]).counts.imported == 1
    dovecot_server.add(msg.as_bytes(), received=arrived)
    assert (
        asyncio.run(sync(config_for(dovecot_server), sqlite_store)).mailboxes[0].counts.imported
        == 1
    )
    dates = []
    for store in (files, sqlite_store):
        with store.read() as s:
            at = s.exec(select(Message.sent_at)).one()
        dates.append(at.replace(tzinfo=UTC) if at.tzinfo is None else at)
    assert dates == [arrived, arrived]


def test_incremental_fetch_waits_exactly_when_aioimaplibs_fetch_does():
    """The FETCH command that scans only new response lines answers ``wait_data`` as
    aioimaplib's (which rescans the whole batch at every line) does, line by line, over
    random responses: literals with unbalanced parentheses, FETCH lines with and without
    their closing parenthesis, the date before or after the literal."""
    import asyncio
    import random

    from aioimaplib.aioimaplib import FetchCommand

    from inbox_tui.sources.imap_client import fetch_command

    rng = random.Random(9)
    pieces = [
        b'%d FETCH (UID %d INTERNALDATE "06-Dec-2026 21:05:09 +0000" BODY[] {12}',
        b"%d FETCH (UID %d BODY[HEADER.FIELDS (SUBJECT)] {7}",
        b'%d FETCH (UID %d BODY[] {9} INTERNALDATE "0(6-Dec"',
        b")",
        b' INTERNALDATE "06-Dec-2026 21:05:09 +0000")',
        b"* %d EXISTS",
        b"(",
    ]
    literals = [bytearray(b"Subject: (a"), bytearray(b"))x"), bytearray(b"plain")]
    loop = asyncio.new_event_loop()
    try:
        answers = set()
        for trial in range(40):
            ours = fetch_command()("A1", "1:*", "(UID)", prefix="UID", loop=loop)
            theirs = FetchCommand("A1", "1:*", "(UID)", prefix="UID", loop=loop)
            for n in range(rng.randint(1, 60)):
                if rng.random() < 0.3:
                    line: bytes | bytearray = rng.choice(literals)
                else:
                    line = rng.choice(pieces)
                    if b"%d" in line:
                        line = line % ((n, n + 1) if line.count(b"%d") == 2 else (n,))
                for cmd in (ours, theirs):
                    cmd.append_to_resp(line)
                assert ours.wait_data() == theirs.wait_data(), (trial, n)
                answers.add(theirs.wait_data())
        assert answers == {True, False}
    finally:
        loop.close()

"""The customer's clock (services/clock.py) on SQLite and PostgreSQL: the offset of the
customer's newest message that had one (mail Date header, JSONL chat timestamp), across
their conversations; unknown (-0000) and impossible (+23:00, +99:00) offsets are ignored
with a note; night between 22:00 and 07:00 their time."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import select

from inbox_tui.ingest import Ingestor
from inbox_tui.mail.parse import parse_message
from inbox_tui.models import Message
from inbox_tui.services.chatimport import import_chat
from inbox_tui.services.clock import clock_at, customer_clock

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


def mail(s, n: int, date: str, who: str = "ann@acme.example", refs: str = "") -> int:
    raw = (
        f"From: Ann <{who}>\r\nTo: support@example.com\r\nSubject: Export {n}\r\n"
        f"Date: {date}\r\nMessage-ID: <m{n}@acme.example>\r\n{refs}\r\nHello\r\n"
    ).encode()
    return Ingestor(s).add(parse_message(raw, source="t", external_id=str(n))).conversation_id


def test_newest_offset_of_the_customer_wins(store):
    def setup(s):
        old = mail(s, 1, "Mon, 16 Nov 2026 09:00:00 +0900")
        new = mail(s, 2, "Tue, 17 Nov 2026 09:00:00 +0200")  # another conversation, later
        mail(s, 3, "Wed, 18 Nov 2026 09:00:00 -0000")  # unknown zone: does not count
        other = mail(s, 4, "Wed, 18 Nov 2026 09:00:00 -0530", who="bob@b.example")
        none = mail(s, 5, "Wed, 18 Nov 2026 09:00:00 -0000", who="cy@c.example")
        return old, new, other, none

    old, new, other, none = store.run(setup)
    with store.read() as s:
        a = customer_clock(s, old, NOW)  # the customer's newest offset, not this thread's
        assert a is not None and a.offset == "UTC+02:00" and f"{a.local:%H:%M}" == "17:30"
        assert customer_clock(s, new, NOW) == a
        b = customer_clock(s, other, NOW)
        assert b is not None and b.describe() == "their time 10:00 (UTC-05:30)"
        assert customer_clock(s, none, NOW) is None


def test_impossible_offsets_are_ignored_with_a_note(store):
    def setup(s):
        return (
            mail(s, 11, "Tue, 17 Nov 2026 23:10:00 +2300", who="x@x.example"),
            mail(s, 12, "Tue, 17 Nov 2026 23:10:00 +9900", who="y@y.example"),
        )

    a, b = store.run(setup)
    with store.read() as s:
        assert customer_clock(s, a, NOW) is None and customer_clock(s, b, NOW) is None
        notes = {
            m.conversation_id: m.parse_warnings
            for m in s.exec(select(Message).where(Message.conversation_id.in_([a, b])))
        }
        sent = s.exec(select(Message.sent_at).where(Message.conversation_id == b)).one()
    assert "offset +23:00 is not a real one" in notes[a]
    assert "offset +99:00 is not a real one" in notes[b]
    assert sent == datetime(2026, 11, 17, 23, 10, tzinfo=UTC)  # the time is kept


def test_night_for_them():
    assert clock_at(60, datetime(2026, 11, 18, 22, 30, tzinfo=UTC)).night  # 23:30
    assert clock_at(60, datetime(2026, 11, 18, 5, 30, tzinfo=UTC)).night  # 06:30
    day = clock_at(60, datetime(2026, 11, 18, 6, 0, tzinfo=UTC))  # 07:00
    assert not day.night and "night" not in day.describe()
    assert clock_at(-480, NOW).describe() == "their time 07:30 (UTC-08:00)"
    assert clock_at(-600, NOW).describe() == "their time 05:30 (UTC-10:00), night there"


def test_chat_offset_from_the_log(store, tmp_path):
    log = tmp_path / "widget.jsonl"
    lines = [
        {"conversation": "t1", "author": "Ann", "email": "ann@chat.example",
         "ts": "2026-11-18T08:00:00+09:00", "text": "Hi", "id": "1"},
        {"conversation": "t2", "author": "Bo", "email": "bo@chat.example",
         "ts": "2026-11-18T08:00:00Z", "text": "Hi", "id": "2"},
    ]  # fmt: skip
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    import_chat(store, [log])
    with store.read() as s:
        ids = {
            m.author_email: m.conversation_id
            for m in s.exec(select(Message).where(Message.direction == "in"))
        }
        ann = customer_clock(s, ids["ann@chat.example"], NOW)
        assert ann is not None and ann.describe() == "their time 00:30 (UTC+09:00), night there"
        assert customer_clock(s, ids["bo@chat.example"], NOW) is None  # "Z": a server's clock


def test_import_mail_keeps_the_offset(store, tmp_path):
    """Through ``inbox-tui import mail`` (the ingest pipeline), not only Ingestor.add."""
    import subprocess
    import sys

    eml = tmp_path / "a.eml"
    eml.write_bytes(
        b"From: Kim <kim@far.example>\r\nTo: support@example.com\r\nSubject: Hello\r\n"
        b"Date: Wed, 18 Nov 2026 09:00:00 -0800\r\nMessage-ID: <kim-1@far.example>\r\n\r\nHi\r\n"
    )
    subprocess.run(
        [sys.executable, "-m", "inbox_tui", "--db", store.url, "import", "mail", str(eml)],
        check=True,
        capture_output=True,
    )
    with store.read() as s:
        cid = s.exec(select(Message.conversation_id)).one()
        clock = customer_clock(s, cid, NOW)
    assert clock is not None and clock.describe() == "their time 07:30 (UTC-08:00)"


def test_the_note_about_an_impossible_offset_is_shown_with_the_message(store, capsys):
    """The note was kept (``parse_warnings``) but shown nowhere: the thread (TUI) and
    `conv show` now say it under the message, cleaned; a sound date says nothing."""
    from inbox_tui import cli
    from inbox_tui.services.conversations import get_thread
    from inbox_tui.tui.widgets.thread_view import message_text

    def setup(s):
        return (
            mail(s, 21, "Tue, 17 Nov 2026 23:10:00 +9900", who="y@y.example"),
            mail(s, 22, "Tue, 17 Nov 2026 23:10:00 +0100", who="z@z.example"),
        )

    odd, fine = store.run(setup)
    with store.read() as s:
        (m,) = get_thread(s, odd).messages
        (sound,) = get_thread(s, fine).messages
    note = "time-zone offset +99:00 is not a real one; the time is taken as UTC"
    assert m.clock_notes == [note] and sound.clock_notes == []
    assert f"ⓘ {note}" in message_text(m, False, NOW).plain
    assert "ⓘ" not in message_text(sound, False, NOW).plain
    assert cli.main(["--db", store.url, "conv", "show", str(odd)]) == 0
    assert f"Note: {note}." in capsys.readouterr().out
    assert cli.main(["--db", store.url, "conv", "show", str(fine)]) == 0
    assert "Note:" not in capsys.readouterr().out

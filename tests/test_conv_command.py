"""``inbox-tui conv``: every triage action from the command line, through the same
services as the TUI (same events, same undo), on SQLite and PostgreSQL; bad input is
one sentence with a documented exit code and changes nothing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from inbox_tui import cli
from inbox_tui.models import Conversation, Event, TagKind
from inbox_tui.services import core, undo
from inbox_tui.store import Store
from tests.mail_history import mail

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add(store: Store, key: str, subject: str, body: str, email: str = "ann@acme.example") -> int:
    return store.run(mail, key, T0, subject=subject, email=email, name="Ann", body=body, domain="x")


@pytest.fixture
def setup(store, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[agent]\nusername = "sam"\nname = "Sam"\n')
    cid = add(store, "a", "Printer jams", "My printer jams.")
    store.run(core.ensure_agent, "ann", "Ann Lee")
    return store, cid, ["--config", str(config), "--db", store.url]


def conv(capsys, base, *args: str) -> tuple[int, str, str]:
    code = cli.main([*base, "conv", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "Something went wrong" not in err, err
    return code, out, err


def kinds(store: Store, cid: int) -> list[str]:
    with store.read() as s:
        return [
            e.kind
            for e in s.exec(select(Event).where(Event.conversation_id == cid).order_by(Event.id))
        ]


def test_each_action_changes_the_conversation_and_records_its_event(setup, capsys):
    store, cid, base = setup
    code, out, _ = conv(capsys, base, "tag", str(cid), "billing", "urgent", "--json")
    record = json.loads(out)
    assert code == 0 and record["changed"] is True and record["tags"] == ["billing", "urgent"]
    assert record["conversation"]["tags"] == ["billing", "urgent"]
    code, out, _ = conv(capsys, base, "tag", str(cid), "billing")
    assert code == 0 and out == f"#{cid} already had those tags.\n"
    assert conv(capsys, base, "untag", str(cid), "urgent")[0] == 0
    code, out, _ = conv(capsys, base, "assign", str(cid), "ann", "--json")
    assert json.loads(out)["conversation"]["assignee"] == "ann"
    assert conv(capsys, base, "status", str(cid), "pending")[1] == f"#{cid} is now pending.\n"
    code, out, _ = conv(capsys, base, "snooze", str(cid), "2d", "--json")
    assert json.loads(out)["conversation"]["status"] == "snoozed"
    code, out, _ = conv(capsys, base, "note", str(cid), "called", "the", "customer")
    assert code == 0 and out == f"Noted on #{cid}.\n"
    with store.read() as s:
        row = s.get(Conversation, cid)
        assert row is not None and row.status == "snoozed" and row.message_count == 2
    assert kinds(store, cid) == [
        "received",
        "tagged",
        "tagged",
        "untagged",
        "assigned",
        "status_changed",
        "snoozed",
        "status_changed",
        "noted",
    ]
    # The same undo as the TUI's: sam's last action (the note is not a triage change;
    # the snooze is) is taken back.
    done = store.run(undo.undo_last, "sam", window=timedelta(days=3650))
    assert [c for c, _ in done.conversations] == [cid]
    with store.read() as s:
        row = s.get(Conversation, cid)
        assert row is not None and row.status == "pending"


def test_show_prints_the_thread_or_the_export_object(setup, capsys):
    _store, cid, base = setup
    code, out, _ = conv(capsys, base, "show", str(cid))
    assert code == 0 and out.startswith(f"#{cid}  Printer jams\nopen · unassigned · email")
    assert "My printer jams." in out
    code, out, _ = conv(capsys, base, "show", f"#{cid}", "--json")
    record = json.loads(out)
    assert record["id"] == cid and record["messages"][0]["body"] == "My printer jams."


def test_hostile_text_reaches_the_output_only_sanitised(store, capsys):
    cid = add(store, "h", "Hello", "body")

    def poison(s):  # the database is untrusted too: text written by another program
        conv_row = s.get(Conversation, cid)
        conv_row.subject = "\x1b[31mRED\x1b[0m\u202eevil"
        s.add(conv_row)

    store.run(poison)
    base = ["--db", store.url]
    for extra in ([], ["--json"]):
        code, out, _ = conv(capsys, base, "show", str(cid), *extra)
        assert code == 0 and "RED" in out
        assert "\x1b" not in out and "\u202e" not in out
    code, out, _ = conv(capsys, base, "tag", str(cid), "x", "--json")
    assert "\x1b" not in out and "RED" in json.loads(out)["conversation"]["subject"]


def test_note_from_standard_input(setup, capsys, monkeypatch):
    store, cid, base = setup
    monkeypatch.setattr("sys.stdin", io.StringIO("line one\nline two\n"))
    code, out, _ = conv(capsys, base, "note", str(cid), "-", "--json")
    assert code == 0
    with store.read() as s:
        from inbox_tui.services.conversations import get_thread

        assert get_thread(s, cid).messages[-1].body == "line one\nline two"
    assert json.loads(out)["message"] > 0


def test_reply_from_the_command_line_reaches_the_customer_and_closes(setup, capsys, smtp_server):
    store, cid, base = setup
    config = base[1]
    with open(config, "a") as f:
        f.write(
            '[accounts.support]\nhost = "127.0.0.1"\nsecurity = "plain"\n'
            'address = "support@example.com"\nsent_mailbox = ""\n'
            f'[accounts.support.smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'
            'security = "plain"\n[mail]\nundo_seconds = 0\n'
        )
    code, out, err = conv(
        capsys, base, "reply", str(cid), "Try", "turning", "it", "off", "--close", "--json"
    )
    assert code == 0, err
    record = json.loads(out)
    assert record["conversation"]["status"] == "closed" and record["outbox"] > 0
    assert cli.main([*base, "outbox", "flush"]) == 0
    capsys.readouterr()
    [(_, rcpt, raw)] = smtp_server.messages
    assert rcpt == ["ann@acme.example"] and b"Try turning it off" in raw
    assert "replied" in kinds(store, cid)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["tag", "abc", "x"], 2, "“abc” is not a conversation number"),
        (["tag", "0", "x"], 2, "is not a conversation number"),
        (["tag", "99999", "x"], 3, "Conversation 99999 does not exist"),
        (["assign", "{cid}", "nobody-here"], 3, "There is no agent called 'nobody-here'"),
        (["status", "{cid}", "snoozed"], 2, "is not a status; use open, pending or closed"),
        (["snooze", "{cid}", "yesterday"], 2, "is not a snooze time"),
        (["snooze", "{cid}", "2020-01-01"], 2, "in the past"),
        (["note", "{cid}", "   "], 2, "The note is empty"),
        (["tag", "{cid}", " "], 2, "A tag needs a name"),
        (["reply", "{cid}", ""], 2, "The reply is empty"),
    ],
)
def test_bad_input_is_one_sentence_and_changes_nothing(setup, capsys, args, code, needle):
    store, cid, base = setup
    before = kinds(store, cid)
    got, out, err = conv(capsys, base, *[a.format(cid=cid) for a in args])
    assert got == code, err
    assert out == "" and err.startswith("inbox-tui: ") and len(err.strip().splitlines()) == 1
    assert needle in err, err
    assert kinds(store, cid) == before


def test_too_long_text_on_standard_input_is_refused(setup, capsys, monkeypatch):
    from inbox_tui.commands.conv import MAX_TEXT_CHARS

    store, cid, base = setup
    monkeypatch.setattr("sys.stdin", io.StringIO("x" * (MAX_TEXT_CHARS + 1)))
    code, _, err = conv(capsys, base, "note", str(cid), "-")
    assert code == 2 and "longer than" in err
    assert kinds(store, cid) == ["received"]


def test_closing_under_require_needs_a_category(setup, capsys):
    """[insight] category_on_close = "require": closing from the command line without a
    category is one sentence naming the category tags, and changes nothing;
    ``--category`` tags it in the transaction that closes it."""
    from inbox_tui.models import TagKind
    from inbox_tui.services import triage

    store, cid, base = setup
    with open(base[1], "a") as f:
        f.write('[insight]\ncategory_on_close = "require"\n')
    store.run(triage.ensure_tag, "bug", TagKind.CATEGORY)
    before = kinds(store, cid)
    code, out, err = conv(capsys, base, "status", str(cid), "closed")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert f"#{cid} has no category tag" in err and "one of: bug" in err
    assert "give one with --category TAG" in err  # how, on the command line
    code, _, err = conv(capsys, base, "reply", str(cid), "Done", "--close")
    assert code == 2 and "category_on_close" in err and "--category TAG" in err
    code, _, err = conv(capsys, base, "status", str(cid), "open", "--category", "bug")
    assert code == 2 and "--category goes with closing" in err
    assert kinds(store, cid) == before
    code, out, err = conv(capsys, base, "status", str(cid), "closed", "--category", "bug", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["conversation"]["status"] == "closed" and record["conversation"]["tags"] == [
        "bug"
    ]


def test_reply_send_at_from_the_command_line(setup, capsys, smtp_server):
    """``conv reply --send-at``: held in the outbox until then; ``morning`` needs the
    customer's zone (this one never said it); a time that does not read is refused."""
    from inbox_tui.models import Outbox, utcnow

    store, cid, base = setup
    with open(base[1], "a") as f:
        f.write(
            '[accounts.support]\nhost = "127.0.0.1"\nsecurity = "plain"\n'
            'address = "support@example.com"\nsent_mailbox = ""\n'
            f'[accounts.support.smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'
            'security = "plain"\n'
        )
    for when, needle in (("morning", "never said their time zone"), ("someday", "send time")):
        code, out, err = conv(capsys, base, "reply", str(cid), "Hi", "--send-at", when)
        assert code == 2 and out == "" and needle in err, err
    before = utcnow()
    code, out, err = conv(capsys, base, "reply", str(cid), "Later", "--send-at", "3h", "--json")
    assert code == 0, err
    record = json.loads(out)
    with store.read() as s:
        row = s.get(Outbox, record["outbox"])
        due = row.next_attempt_at.replace(tzinfo=UTC)
    assert before + timedelta(hours=3) <= due <= utcnow() + timedelta(hours=3)
    assert cli.main([*base, "outbox", "flush"]) == 0
    capsys.readouterr()
    assert smtp_server.messages == []  # not before its time


def test_closing_under_ask_says_it_has_no_category(setup, capsys, smtp_server):
    """[insight] category_on_close = "ask" (the default): the TUI asks for a category when
    closing; `conv status ID closed` closed without a word. It still closes (ask may be
    skipped), and says the conversation has no category and how to give one; with a
    category, or under "off", nothing is said."""
    from inbox_tui.services import triage

    store, cid, base = setup
    # The team's categories (a tag made on the fly is a modifier).
    store.run(triage.ensure_tag, "bug", TagKind.CATEGORY)
    store.run(triage.ensure_tag, "billing", TagKind.CATEGORY)
    code, out, err = conv(capsys, base, "status", str(cid), "closed")
    assert code == 0, err
    assert out == (
        f"#{cid} is now closed, with no category tag; conv tag {cid} NAME gives it one "
        "(one of: billing, bug).\n"
    )
    other = add(store, "b", "Invoice twice", "Charged twice.")
    code, out, _ = conv(capsys, base, "status", str(other), "closed", "--category", "billing")
    assert code == 0 and out == f"#{other} is now closed.\n"
    with open(base[1], "a") as f:
        f.write(
            '[accounts.support]\nhost = "127.0.0.1"\nsecurity = "plain"\n'
            'address = "support@example.com"\nsent_mailbox = ""\n'
            f'[accounts.support.smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\n'
            'security = "plain"\n'
        )
    fourth = add(store, "d", "Thanks", "All good.")
    code, out, err = conv(capsys, base, "reply", str(fourth), "Glad to hear it.", "--close")
    assert code == 0, err
    # The only category used so far (on #other) is the likely one now.
    assert out.endswith(
        f" It is closed with no category tag; conv tag {fourth} NAME gives it one "
        "(likely: billing).\n"
    )
    with open(base[1], "a") as f:
        f.write('[insight]\ncategory_on_close = "off"\n')
    third = add(store, "c", "Hello", "Hi.")
    code, out, _ = conv(capsys, base, "status", str(third), "closed")
    assert code == 0 and out == f"#{third} is now closed.\n"

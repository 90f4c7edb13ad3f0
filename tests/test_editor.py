"""Replies written in $EDITOR (services/editor.py) with a real editor process (a script),
the headers a reply shows (replies.reply_headers), and the [compose] / [undo] config."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from inbox_tui.config import AgentIdentity, Config, ConfigError, load_config
from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import utcnow
from inbox_tui.services import editor, replies

HEADERS = [("To", "Zoë Brennan <zoe@acme.example>"), ("Subject", "Re: Invoice missing")]


def fake_editor(tmp_path: Path, script: str) -> list[str]:
    """An editor: a Python script run on the file, as $EDITOR would be."""
    path = tmp_path / "fake_editor.py"
    path.write_text("import os, stat, sys\npath = sys.argv[1]\n" + textwrap.dedent(script))
    return [sys.executable, str(path)]


def test_the_editor_edits_the_text_and_sees_the_headers(tmp_path):
    seen = tmp_path / "seen.txt"
    cmd = fake_editor(
        tmp_path,
        f"""
        text = open(path, encoding="utf-8").read()
        open({str(seen)!r}, "w").write(text + "\\nMODE=" + oct(stat.S_IMODE(os.stat(path).st_mode)))
        open(path, "w", encoding="utf-8").write(text.replace("Hi Zoë,", "Hi Zoë,\\n\\nIt is attached.") + "\\n")
        """,
    )
    edited = editor.edit_reply(HEADERS, "Hi Zoë,\n\nSam", command=cmd)
    assert edited.body == "Hi Zoë,\n\nIt is attached.\n\nSam"
    assert edited.changed_headers == []
    shown = seen.read_text()
    assert shown.startswith(
        "To: Zoë Brennan <zoe@acme.example>\nSubject: Re: Invoice missing\n\nHi Zoë,"
    )
    assert shown.endswith("MODE=0o600")  # the reply is private while it is on disk
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("inbox-tui-reply-*"))


def test_edited_headers_are_reported_not_obeyed(tmp_path):
    cmd = fake_editor(
        tmp_path,
        """
        text = open(path).read().replace("zoe@acme.example", "someone@else.example")
        open(path, "w").write(text)
        """,
    )
    edited = editor.edit_reply(HEADERS, "Body", command=cmd)
    assert edited.body == "Body"
    assert edited.changed_headers == [("To", "Zoë Brennan <someone@else.example>")]


@pytest.mark.parametrize(
    ("file_text", "body"),
    [
        ("To: x\nSubject: y\n\nHello\n\n", "Hello"),
        (
            "Hello, no headers any more\nTo: is a word here",
            "Hello, no headers any more\nTo: is a word here",
        ),
        (
            "Note: the header block was deleted\n\nsecond paragraph",
            "Note: the header block was deleted\n\nsecond paragraph",
        ),
        ("To: x\nSubject: y\n", ""),
        ("To: x\r\nSubject: y\r\n\r\nWindows\x1b[31m lines\x00\r\n", "Windows[31m lines"),
    ],
)
def test_parse_finds_the_text(file_text, body):
    assert editor.parse(file_text, HEADERS).body == body


LONG_TO = [
    ("To", "Zoë Brennan <zoe@acme.example>, Bob Builder <bob.builder@acme.example>"),
    ("Subject", "Re: Invoice missing"),
]

# What vim does to a mail file (textwidth 72): the To line broken at a space. RFC 5322
# folding starts the rest with whitespace; vim without an indent starts it at column 0.
WRAP = """
text = open(path, encoding="utf-8").read()
head, body = text.split("\\n\\n", 1)
to, subject = head.split("\\n")
to += ', "Bob Boss" <boss@acme.example>' if {add} else ""
cut = to.rindex(" ", 0, 72)
open(path, "w", encoding="utf-8").write(
    to[:cut] + "\\n" + {indent!r} + to[cut + 1 :] + "\\n" + subject + "\\n\\n" + body + "\\nMore."
)
"""


def test_a_folded_header_is_read_as_one(tmp_path):
    """walk10 #3: an editor that folds the To line (a continuation line starting with
    whitespace) put the whole header block into the reply's body."""
    cmd = fake_editor(tmp_path, WRAP.format(add=False, indent="    "))
    edited = editor.edit_reply(LONG_TO, "Hi Zoë,\n\nSam", command=cmd)
    assert edited.body == "Hi Zoë,\n\nSam\nMore."
    assert edited.changed_headers == [] and edited.notices() == []


def test_a_changed_folded_header_is_reported_not_obeyed(tmp_path):
    cmd = fake_editor(tmp_path, WRAP.format(add=True, indent="\t"))
    edited = editor.edit_reply(LONG_TO, "Hi Zoë,\n\nSam", command=cmd)
    assert edited.body == "Hi Zoë,\n\nSam\nMore."
    assert edited.changed_headers == [("To", LONG_TO[0][1] + ', "Bob Boss" <boss@acme.example>')]
    assert edited.notices() == [
        "Changes to To were ignored: who a reply goes to comes from the conversation."
    ]


@pytest.mark.parametrize("add", [False, True])
def test_a_header_wrapped_without_an_indent_is_read_as_one(tmp_path, add):
    """walk11 L: vim (filetype mail, textwidth 72) wraps the To line without an indent;
    the README promises "a header the editor wrapped is read as one". Unchanged, it is
    no change; changed, the change is said and ignored; the text is the reply either way."""
    cmd = fake_editor(tmp_path, WRAP.format(add=add, indent=""))
    edited = editor.edit_reply(LONG_TO, "Hi Zoë,\n\nSam", command=cmd)
    assert edited.body == "Hi Zoë,\n\nSam\nMore."
    assert edited.unreadable is None
    if not add:
        assert edited.changed_headers == [] and edited.notices() == []
        return
    assert edited.changed_headers == [("To", LONG_TO[0][1] + ', "Bob Boss" <boss@acme.example>')]
    assert edited.notices() == [
        "Changes to To were ignored: who a reply goes to comes from the conversation."
    ]


def test_an_address_header_that_is_no_address_list_is_said_and_the_text_kept():
    edited = editor.parse(
        "To: Zoë Brennan <zoe@acme.example>\nthis is not an address\n"
        "Subject: Re: Invoice missing\n\nHi",
        HEADERS,
    )
    assert edited.body == "Hi"
    assert edited.unreadable == ("To", "Zoë Brennan <zoe@acme.example> this is not an address")
    assert edited.changed_headers == []
    assert edited.notices() == [
        "The To line (“Zoë Brennan <zoe@acme.example> this is not an address”) is not a list "
        "of addresses, so it was ignored and only the text under the headers was kept; "
        "who a reply goes to comes from the conversation."
    ]


@pytest.mark.parametrize(
    ("file_text", "body", "changed", "unreadable"),
    [
        # RFC 5322 folding, tab or spaces, unchanged
        (
            "To: Zoë Brennan\n\t<zoe@acme.example>\nSubject: Re: Invoice missing\n\nHi",
            "Hi",
            [],
            None,
        ),
        # a header line the file did not have is a header too (ignored, said)
        (
            "To: Zoë Brennan <zoe@acme.example>\nBcc: me@x.example\nSubject: Re: Invoice missing\n\nHi",
            "Hi",
            [("Bcc", "me@x.example")],
            None,
        ),
        # the blank line under the headers deleted: the text starts where they end
        (
            "To: Zoë Brennan <zoe@acme.example>\nSubject: Re: Invoice missing\nHi\nthere",
            "Hi\nthere",
            [],
            None,
        ),
        # a Subject wrapped without an indent (even at a word with a colon): read as one
        (
            "To: Zoë Brennan <zoe@acme.example>\nSubject: Re: Invoice\nmissing\n\nHi",
            "Hi",
            [],
            None,
        ),
        (
            "To: Zoë Brennan <zoe@acme.example>\nSubject: Re: Invoice\nmissing: yes\n\nHi",
            "Hi",
            [("Subject", "Re: Invoice missing: yes")],
            None,
        ),
        # a continuation that makes the To line no address list: said, the text kept
        (
            "To: Zoë Brennan <zoe@acme.example>\n<bob@x>: hello\n\nHi",
            "Hi",
            [("Subject", "")],
            ("To", "Zoë Brennan <zoe@acme.example> <bob@x>: hello"),
        ),
    ],
)
def test_parse_reads_folded_and_broken_headers(file_text, body, changed, unreadable):
    edited = editor.parse(file_text, HEADERS)
    assert edited.body == body
    assert edited.changed_headers == changed
    assert edited.unreadable == unreadable


def test_a_text_without_headers_comes_back_as_it_went(tmp_path):
    """A note has no headers: the file is the text alone, and a first line that reads
    like one is the text's (each ctrl+e added two blank lines above a note)."""
    seen = tmp_path / "seen.txt"
    cmd = fake_editor(
        tmp_path,
        f"""
        text = open(path, encoding="utf-8").read()
        open({str(seen)!r}, "w", encoding="utf-8").write(text)
        open(path, "w", encoding="utf-8").write(text + "\\nMore.\\n")
        """,
    )
    note = "To: the team\n\nThe export fails again."
    edited = editor.edit_reply([], note, command=cmd)
    assert seen.read_text() == note
    assert edited.body == note + "\nMore."
    assert edited.notices() == []


@pytest.mark.parametrize(
    ("script", "sentence"),
    [
        ("sys.exit(3)", "The editor exited with status 3; your text is unchanged."),
        ("open(path, 'wb').write(b'To: x\\nSubject: y\\n\\ncaf\\xe9')", None),
    ],
)
def test_editor_failures_are_one_sentence(tmp_path, script, sentence):
    cmd = fake_editor(tmp_path, script)
    if sentence is None:  # not UTF-8: read with replacement characters, not a crash
        assert editor.edit_reply(HEADERS, "x", command=cmd).body == "caf\ufffd"
        return
    with pytest.raises(UserError) as err:
        editor.edit_reply(HEADERS, "x", command=cmd)
    assert str(err.value) == sentence


def test_missing_editor_is_one_sentence():
    with pytest.raises(UserError, match=r"^The editor 'no-such-editor-xyz' was not found; set"):
        editor.edit_reply(HEADERS, "x", command=["no-such-editor-xyz"])


def test_which_editor(monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    assert editor.editor_command() == ["vi"]
    monkeypatch.setenv("EDITOR", "nano -R")
    assert editor.editor_command() == ["nano", "-R"]
    monkeypatch.setenv("VISUAL", "code --wait")
    assert editor.editor_command() == ["code", "--wait"]
    assert editor.editor_command(["hx"]) == ["hx"]
    monkeypatch.setenv("VISUAL", "vim 'unbalanced")
    with pytest.raises(UserError, match=r"^\$VISUAL \(\"vim 'unbalanced\"\) is not a command line"):
        editor.editor_command()


def test_reply_headers_match_what_queue_reply_sends(store):
    def work(s):
        return (
            Ingestor(s)
            .add(
                IncomingMessage(
                    source="imap:support/INBOX",
                    external_id="c1",
                    message_id="<c1@acme.example>",
                    subject="Invoice missing",
                    author_name="Zoë Brennan",
                    author_email="zoe@acme.example",
                    to=[("Support", "support@example.com")],
                    cc=[("Bob", "bob@acme.example")],
                    sent_at=utcnow() - timedelta(hours=1),
                    body="Where is my invoice?",
                )
            )
            .conversation_id
        )

    cid = store.run(work)
    cfg = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam"), demo=True)
    with store.read() as s:
        assert replies.reply_headers(s, cid, config=cfg) == HEADERS
        assert replies.reply_headers(s, cid, config=cfg, reply_all=True) == [
            HEADERS[0],
            ("Cc", "Support <support@example.com>, Bob <bob@acme.example>"),
            HEADERS[1],
        ]
        with pytest.raises(UserError, match="Conversation 999 does not exist"):
            replies.reply_headers(s, 999, config=cfg)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return path


def test_compose_and_undo_config(tmp_path):
    cfg = load_config(
        write_config(
            tmp_path,
            "[compose]\neditor = true\neditor_command = 'nvim -c startinsert'\n[undo]\nminutes = 3\n",
        )
    )
    assert (cfg.compose_in_editor, cfg.editor_command, cfg.undo_minutes) == (
        True,
        ["nvim", "-c", "startinsert"],
        3.0,
    )
    cfg = load_config(write_config(tmp_path, ""))
    assert (cfg.compose_in_editor, cfg.editor_command, cfg.undo_minutes) == (False, None, 10.0)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "[compose]\neditor = 'yes'\n",
            "[compose] editor must be true or false (without quotes), not 'yes'.",
        ),
        (
            "[compose]\neditor_command = []\n",
            "[compose] editor_command must be a command line or a list of strings, not a list.",
        ),
        (
            "[undo]\nminutes = 0\n",
            "[undo] minutes must be a number of minutes from 1 to 1440, not 0.",
        ),
        ("undo = 5\n", "undo must be a table, not 5."),
    ],
)
def test_bad_compose_and_undo_config(tmp_path, text, sentence):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    # The schema's sentence (config_schema), naming the file and the key.
    assert str(err.value) == f"The config file {path} has a mistake: {sentence}"

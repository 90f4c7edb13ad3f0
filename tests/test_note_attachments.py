"""Internal notes keep files (#18), on SQLite and PostgreSQL: the bytes go to ``blob``
once per sha256 like an incoming attachment's, the note lists them, the conversation's
attachments (``P``, the CLI) include them marked as a note's, ``export`` carries them,
and a file that cannot go is one sentence with nothing saved."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import func, select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Blob, Direction, Message
from inbox_tui.services import triage
from inbox_tui.services.attachments import attachment_text, list_attachments, save_attachments
from inbox_tui.services.export import export_conversations
from inbox_tui.store import Store

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
LOG = b"09:00 printer jammed\n09:01 printer jammed again\n"


def seed(store: Store) -> int:
    def work(s):
        triage.ensure_agent(s, "sam", "Sam Carter")
        return (
            Ingestor(s)
            .add(
                IncomingMessage(
                    source="t",
                    external_id="1",
                    message_id="<n1@acme.example>",
                    subject="Printer jams",
                    author_email="cust@acme.example",
                    author_name="Cust",
                    sent_at=T0,
                    body="my printer jams",
                )
            )
            .conversation_id
        )

    return store.run(work)


def config(**mail: int) -> Config:
    cfg = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam Carter"))
    for key, value in mail.items():
        setattr(cfg.mail, key, value)
    return cfg


def test_a_note_keeps_its_files_listed_saved_and_exported(store, tmp_path: Path):
    cid = seed(store)
    log = tmp_path / "printer.log"
    log.write_bytes(LOG)
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    cfg = config()
    first = store.run(
        triage.add_note, "sam", cid, "Their log, for Ann", attachments=[log, shot], config=cfg
    )
    # The same log again on a second note: the bytes are kept once.
    store.run(triage.add_note, "sam", cid, "Again", attachments=[str(log)], config=cfg)
    with store.read() as s:
        note = s.get(Message, first)
        assert note is not None and note.direction == Direction.NOTE.value
        items = list_attachments(s, cid)
        assert [(i.filename, i.content_type, i.size, i.internal) for i in items] == [
            ("printer.log", "text/plain", len(LOG), True),
            ("shot.png", "image/png", 264, True),
            ("printer.log", "text/plain", len(LOG), True),
        ]
        assert items[0].sha256 == hashlib.sha256(LOG).hexdigest()
        assert items[0].author == "Sam Carter" and items[0].message_row_id == first
        assert items[0].as_json()["internal"] is True
        assert s.exec(select(func.count()).select_from(Blob)).one() == 2
        assert attachment_text(s, items[0]) == LOG.decode()
        saved = save_attachments(s, cid, tmp_path / "out")
    assert sorted(p.path.name for p in saved if p.path) == [
        "printer (2).log",
        "printer.log",
        "shot.png",
    ]
    assert (tmp_path / "out" / "printer.log").read_bytes() == LOG
    out = io.StringIO()
    export_conversations(store, out)
    (record,) = [json.loads(line) for line in out.getvalue().splitlines()]
    notes = [m for m in record["messages"] if m["direction"] == "note"]
    assert notes[0]["attachments"] == [
        {
            "filename": "printer.log",
            "content_type": "text/plain",
            "size": len(LOG),
            "sha256": hashlib.sha256(LOG).hexdigest(),
        },
        {
            "filename": "shot.png",
            "content_type": "image/png",
            "size": 264,
            "sha256": hashlib.sha256(shot.read_bytes()).hexdigest(),
        },
    ]


@pytest.mark.parametrize(
    ("make", "sentence"),
    [
        (lambda d: d / "gone.log", "There is no file {path}; nothing was saved."),
        (
            lambda d: (d / "big.bin", (d / "big.bin").write_bytes(b"x" * 3000))[0],
            "{path} is 2.9 KB, over the 2.0 KB limit for one attachment; nothing was saved.",
        ),
    ],
)
def test_a_file_that_cannot_go_saves_nothing(store, tmp_path: Path, make, sentence):
    cid = seed(store)
    path = make(tmp_path)
    with pytest.raises(UserError) as exc:
        store.run(
            triage.add_note,
            "sam",
            cid,
            "See the file",
            attachments=[path],
            config=config(max_attachment_bytes=2048),
        )
    assert str(exc.value) == sentence.format(path=path)
    with store.read() as s:
        notes = s.exec(select(Message).where(Message.direction == Direction.NOTE.value)).all()
        assert notes == []
        assert s.exec(select(func.count()).select_from(Blob)).one() == 0


def test_conv_note_attach_on_the_command_line(store, tmp_path: Path, capsys):
    """``conv note ID TEXT --attach PATH`` (repeatable): the TUI's note files from the
    command line, the same caps ([mail] in the config) and the same storage."""
    from inbox_tui import cli

    cid = seed(store)
    log, csv = tmp_path / "printer.log", tmp_path / "jobs.csv"
    log.write_bytes(LOG)
    csv.write_bytes(b"job;pages\n1;3\n")
    cfg = tmp_path / "config.toml"
    cfg.write_text('[agent]\nusername = "sam"\n\n[mail]\nmax_attachment_mb = 0.002\n')
    base = ["--config", str(cfg), "--db", store.url, "conv", "note", str(cid)]
    assert cli.main([*base, "See", "the", "log", "--attach", str(log), "--attach", str(csv)]) == 0
    assert f"Noted on #{cid} with 2 files." in capsys.readouterr().out
    with store.read() as s:
        (note,) = s.exec(select(Message).where(Message.direction == Direction.NOTE.value)).all()
        assert note.body == "See the log"
        items = list_attachments(s, cid)
    assert [(i.filename, i.internal, i.sha256) for i in items] == [
        ("printer.log", True, hashlib.sha256(LOG).hexdigest()),
        ("jobs.csv", True, hashlib.sha256(b"job;pages\n1;3\n").hexdigest()),
    ]

    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 3000)  # over the config's 2.0 KB cap: one sentence, nothing saved
    assert cli.main([*base, "--attach", str(big), "Too", "big"]) != 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert f"{big} is 2.9 KB, over the 2.0 KB limit for one attachment; nothing was saved." in (
        captured.err
    )
    with store.read() as s:
        notes = s.exec(select(Message).where(Message.direction == Direction.NOTE.value)).all()
        assert len(notes) == 1

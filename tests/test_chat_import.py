"""Chat logs: every format against the real corpora and against broken input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlmodel import func, select

from inbox_tui.errors import UserError
from inbox_tui.models import Conversation, Message
from inbox_tui.services.chatimport import import_chat
from tests.conftest import corpus


def n_messages(store) -> int:
    with store.read() as s:
        return s.exec(select(func.count()).select_from(Message)).one()


def test_slack_export_imports_completely_with_names(store):
    root = corpus("chat", "slack-export")
    human = 0
    for f in root.glob("*/*.json"):
        for m in json.loads(f.read_text()):
            if m.get("subtype") is None and (m.get("text") or "").strip():
                human += 1
    report = import_chat(store, [root])
    assert report.counts.imported >= human and report.problems == []
    assert report.skipped["channel join"] == 8
    with store.read() as s:
        bodies = [m.body for m in s.exec(select(Message)).all()]
        authors = {m.author_name for m in s.exec(select(Message)).all()}
    assert not any("<@U" in b for b in bodies), "mentions were not resolved"
    assert not any(a.startswith("U0") for a in authors), "user ids instead of names"
    again = import_chat(store, [root])
    assert again.counts.imported == 0 and again.counts.duplicates == report.counts.imported


def test_slack_zip_and_missing_users(sqlite_store, tmp_path):
    root = corpus("chat", "slack-export")
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in root.rglob("*"):
            if p.is_file() and p.name != "users.json":
                zf.write(p, p.relative_to(root))
    report = import_chat(sqlite_store, [z])
    assert report.counts.imported > 40
    assert any("users.json" in p and "missing" in p for p in report.problems)


def test_irc_logs_import_and_split(sqlite_store):
    logs = sorted(corpus("chat", "irc-ubuntu").glob("*.raw.txt"))
    report = import_chat(sqlite_store, logs)
    c = report.counts
    assert c.imported > 10000 and c.imported + c.duplicates + c.quarantined == c.read
    assert report.skipped["join/part/nick notice"] > 100
    with sqlite_store.read() as s:
        convs = s.exec(select(func.count()).select_from(Conversation)).one()
        assert 200 < convs < c.imported  # split into many conversations, not one per line


JSONL = [
    {
        "conversation": "t1",
        "author": "Ann",
        "email": "ann@acme.example",
        "ts": "2026-03-02T09:00:00+01:00",
        "text": "Export fails",
        "id": "1",
    },
    {
        "conversation": "t1",
        "author": "Sam",
        "ts": "2026-03-02T09:05:00+01:00",
        "text": "Looking into it",
        "id": "2",
    },
    {
        "conversation": "t2",
        "author": "Bob",
        "ts": "2026-03-02T10:00:00Z",
        "text": "\x1b]52;c;aGk=\x07 hello",
        "id": "3",
    },
]


def write_jsonl(path: Path, rows, extra: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + extra)


def test_jsonl_conversations_agents_and_broken_lines(sqlite_store, tmp_path):
    log = tmp_path / "chat.log"  # auto-detected by content, not name
    write_jsonl(
        log,
        JSONL,
        extra='{"author": "x", "ts": "2026-03-02T10:00:00Z", "text": "tru\n\x00\xff garbage\n{"author": "Eve", "text": "no time"}\n',
    )
    report = import_chat(sqlite_store, [log], agents={"jsonl:sam": "sam"})
    assert report.counts.imported == 3
    assert len(report.problems) == 3 and all(":" in p for p in report.problems)
    assert any(p.endswith(":5: missing ts") or "missing ts" in p for p in report.problems)
    with sqlite_store.read() as s:
        convs = s.exec(select(Conversation)).all()
        assert len(convs) == 2
        sam = s.exec(select(Message).where(Message.body == "Looking into it")).one()
        assert sam.direction == "out" and sam.agent_id is not None
        assert "\x1b" not in s.exec(select(Message).where(Message.author_name == "Bob")).one().body


def test_grown_log_adds_only_new_lines(sqlite_store, tmp_path):
    log = tmp_path / "chat.jsonl"
    write_jsonl(log, JSONL[:2])
    assert import_chat(sqlite_store, [log]).counts.imported == 2
    write_jsonl(log, JSONL)
    again = import_chat(sqlite_store, [log])
    assert (again.counts.imported, again.counts.duplicates) == (1, 2)


@pytest.mark.parametrize(
    "content, fmt, needle",
    [
        (b"", "auto", None),
        (b"\x00\x01\x02binary", "auto", "binary"),
        (b"just some prose\nnothing like a log\n", "auto", "Cannot tell"),
        (b'{"a": 1}\n', "irc", "not a irc chat log"),
    ],
)
def test_bad_input_is_a_plain_sentence(sqlite_store, tmp_path, content, fmt, needle):
    f = tmp_path / "input.txt"
    f.write_bytes(content)
    if needle is None:
        report = import_chat(sqlite_store, [f], fmt=fmt)
        assert report.counts.read == 0 and report.skipped["empty file"] == 1
        return
    with pytest.raises(UserError, match=needle):
        import_chat(sqlite_store, [f], fmt=fmt)


def test_watch_picks_up_appended_lines(tmp_path):
    log = tmp_path / "live.jsonl"
    write_jsonl(log, JSONL[:1])
    db = f"sqlite:///{tmp_path / 'w.db'}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inbox_tui",
            "--db",
            db,
            "import",
            "chat",
            "--watch",
            "--interval",
            "0.3",
            "--json",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)
        with log.open("a") as fh:
            fh.write(json.dumps(JSONL[1]) + "\n")
        deadline = time.time() + 20
        from inbox_tui.store import Store

        while time.time() < deadline:
            store = Store(db)
            with store.read() as s:
                count = s.exec(select(func.count()).select_from(Message)).one()
            store.close()
            if count == 2:
                break
            time.sleep(0.3)
        assert count == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)

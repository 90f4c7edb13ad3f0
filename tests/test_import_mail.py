"""Importing real mail from ../shared/corpora: nothing crashes, every message is
accounted for, re-import adds nothing, and threading agrees with notmuch."""

import mailbox
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlmodel import func, select

from inbox_tui.mail.parse import parse_message
from inbox_tui.models import Conversation, Message, Quarantine
from inbox_tui.services.mailimport import import_mail
from tests.conftest import corpus


def counts(store):
    with store.read() as s:
        return (
            s.exec(select(func.count()).select_from(Conversation)).one(),
            s.exec(select(func.count()).select_from(Message)).one(),
            s.exec(select(func.count()).select_from(Quarantine)).one(),
        )


def test_whole_mail_corpus_imports_and_adds_up(store):
    root = corpus("mail")
    first = import_mail(store, [root])
    c = first.counts
    assert c.read > 500
    assert c.imported + c.duplicates + c.quarantined == c.read
    assert c.imported > 450
    # every quarantined message has a reason and its raw bytes
    with store.read() as s:
        for q in s.exec(select(Quarantine)).all():
            assert q.reason and q.raw
    before = counts(store)
    again = import_mail(store, [root])
    assert again.counts.imported == 0 and again.counts.read == c.read
    assert counts(store) == before


def notmuch_threads(maildir: Path, tmp_path: Path) -> tuple[int, int]:
    """(threads, messages) as notmuch counts them, on a private copy."""
    if not shutil.which("notmuch"):
        pytest.fail("notmuch is not installed; .ci/system-deps installs it")
    copy = tmp_path / "nm"
    shutil.copytree(maildir, copy)
    cfg = tmp_path / "notmuch-config"
    cfg.write_text(
        f"[database]\npath={copy}\n[user]\nname=t\nprimary_email=t@example.com\n[new]\ntags=unread;\n"
    )
    env = {"NOTMUCH_CONFIG": str(cfg), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run(["notmuch", "new", "--quiet"], check=True, env=env, capture_output=True)
    threads = int(
        subprocess.run(
            ["notmuch", "count", "--output=threads", "*"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    messages = int(
        subprocess.run(
            ["notmuch", "count", "--output=messages", "*"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return threads, messages


def test_threading_agrees_with_notmuch_on_lkml(store, tmp_path):
    lkml = corpus("mail", "notmuch", "lkml")
    nm_threads, nm_messages = notmuch_threads(lkml, tmp_path)
    assert (nm_threads, nm_messages) == (7, 176)  # the corpus README's numbers
    report = import_mail(store, [lkml])
    assert report.counts.read == 210
    conversations, messages, quarantined = counts(store)
    assert (conversations, messages, quarantined) == (nm_threads, nm_messages, 0)


def test_reference_loops_and_broken_mail_thread_without_hanging(sqlite_store):
    report = import_mail(sqlite_store, [corpus("mail", "notmuch", "broken")])
    assert report.counts.read >= 3
    assert (
        report.counts.imported + report.counts.duplicates + report.counts.quarantined
        == report.counts.read
    )
    with sqlite_store.read() as s:
        loops = s.exec(select(Message.conversation_id).where(Message.subject.like("%loop%"))).all()  # type: ignore[attr-defined]
    assert loops and len(set(loops)) == 1


def test_duplicate_message_ids_are_duplicates(sqlite_store):
    report = import_mail(sqlite_store, [corpus("mail", "notmuch", "duplicate")])
    assert report.counts.duplicates > 0
    assert report.counts.imported + report.counts.duplicates == report.counts.read


@pytest.mark.parametrize(
    "name, needle",
    [
        ("flanker/russian-attachment-yahoo.eml", None),
        ("flanker/encoded-header.eml", None),
        ("flanker/torture.eml", None),
    ],
)
def test_odd_messages_parse_to_readable_text(name, needle):
    raw = corpus("mail", *name.split("/")).read_bytes()
    msg = parse_message(raw, source="t", external_id=name)
    assert msg.subject or msg.body
    assert "\ufffd" not in msg.subject


def test_charsets_come_out_readable():
    # flanker's gb2312 and Russian mail: the text must decode to the right script
    for path in corpus("mail", "flanker").rglob("*.eml"):
        raw = path.read_bytes()
        if b"gb2312" in raw.lower() or b"koi8-r" in raw.lower() or b"windows-1251" in raw.lower():
            msg = parse_message(raw, source="t", external_id=str(path))
            text = msg.subject + msg.body
            assert any("\u0400" <= ch <= "\u04ff" or "\u4e00" <= ch <= "\u9fff" for ch in text), (
                path
            )


def test_stalwart_expected_subjects_match():
    """stalwart's expected parses name each message's subject; ours must agree."""
    import json

    agree, compared, disagreements = 0, 0, []
    for expected in sorted(corpus("mail", "stalwart").rglob("*.json")):
        eml = expected.with_suffix(".eml")
        if expected.name.endswith(".crlf.json") or not eml.exists():
            continue
        data = json.loads(expected.read_text(encoding="utf-8", errors="replace"))
        headers = (data.get("parts") or [{}])[0].get("headers", [])
        want = next(
            (
                h["value"].get("Text")
                for h in headers
                if h.get("name") == "subject" and isinstance(h.get("value"), dict)
            ),
            None,
        )
        if not isinstance(want, str):
            continue
        compared += 1
        got = parse_message(eml.read_bytes(), source="t", external_id=str(eml)).subject
        want_n, got_n = " ".join(want.split()), " ".join(got.split())
        # Where stalwart could not decode a byte it shows U+FFFD; we may decode it (a
        # legacy 8-bit charset), so that position matches any one character.
        pattern = "".join("." if ch == "\ufffd" else re.escape(ch) for ch in want_n)
        if want_n == got_n or ("\ufffd" in want_n and re.fullmatch(pattern, got_n)):
            agree += 1
        else:
            disagreements.append((eml.name, want, got))
    assert compared >= 40
    assert agree / compared >= 0.95, disagreements


def test_mbox_streams_and_reimport_is_idempotent(sqlite_store, tmp_path):
    mbox_path = tmp_path / "box.mbox"
    box = mailbox.mbox(mbox_path)
    for i in range(5):
        box.add(f"From: a{i}@example.com\nSubject: s{i}\n\nFrom the start\nbody {i}\n".encode())
    box.add(b"Subject: no id, no from\n\nx\n")
    box.flush()
    first = import_mail(sqlite_store, [mbox_path])
    assert first.counts.imported == 6
    second = import_mail(sqlite_store, [mbox_path])
    assert second.counts.imported == 0 and second.counts.duplicates == 6
    with sqlite_store.read() as s:
        bodies = [m.body for m in s.exec(select(Message).order_by(Message.id)).all()]
    assert bodies[0].startswith("From the start")

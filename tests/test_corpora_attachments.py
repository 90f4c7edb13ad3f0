"""Every real mail with attachments in ``../shared/corpora/mail`` round-trips through
the commands an agent would use (#18): ``import mail FILE`` → ``attachments ID --json``
→ ``attachments ID --save DIR``, and the files written are the bytes the mail carried.

What the mail carried is decided by the standard library's own MIME parser, not by
ours: each part's decoded payload (``email``, compat32) gives the sha256 a listed
attachment must have, and every part the stdlib sees as a file (a file name, or
``Content-Disposition: attachment``) must be listed. A forwarded message kept whole
(``message/rfc822``, a ``.eml``) is checked by what the stdlib reads in the saved file:
parts the mail carried. Each file is imported into its own
fresh store, so threading or duplicate Message-IDs across the corpora cannot hide one.
Skips when the corpora are absent (they are never copied into the repository)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import mailbox
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui import cli
from inbox_tui.mail.parse import parse_message
from inbox_tui.models import Conversation
from inbox_tui.store import Store, sqlite_url

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mail"

pytestmark = pytest.mark.skipif(
    not CORPORA.is_dir(), reason="../shared/corpora/mail is not present (see its README)"
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def messages_in(path: Path) -> list[bytes]:
    """The file's mail: one message, or each of an mbox's (some ``.eml`` files are)."""
    raw = path.read_bytes()
    if not raw.startswith(b"From "):
        return [raw]
    return [m.as_bytes() for m in mailbox.mbox(str(path), create=False)]


def stdlib_view(path: Path) -> tuple[set[str], list[tuple[str, str]]]:
    """The sha256 of every leaf part's decoded bytes, and the parts that are files
    (name, sha256), as the standard library reads the file's mail."""
    leaves: set[str] = set()
    files: list[tuple[str, str]] = []
    parts = (
        part
        for raw in messages_in(path)
        for part in email.message_from_bytes(raw, policy=email.policy.compat32).walk()
    )
    for part in parts:
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        leaves.add(sha(data))
        disposition = str(part.get("Content-Disposition", "")).strip().lower()
        if part.get_filename() or disposition.startswith("attachment"):
            files.append((str(part.get_filename() or ""), sha(data)))
    return leaves, files


def mails_with_attachments() -> list[Path]:
    """Corpus files that carry a file by the stdlib's reading or by ours."""
    out = []
    for path in sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.suffix != ".json"):
        raw = path.read_bytes()
        try:
            ours = parse_message(raw, source="t", external_id=str(path)).attachments
        except Exception:  # not a mail we import (quarantined); nothing to round-trip
            continue
        if ours or stdlib_view(path)[1]:
            out.append(path)
    return out


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "empty.db"
    Store(sqlite_url(path)).close()  # migrated once, copied for each mail
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in out + err, (args, err)
    return out


def test_every_corpus_attachment_round_trips_byte_for_byte(
    empty_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    paths = mails_with_attachments()
    assert len(paths) >= 95  # the corpora as their README describes them
    files_checked = 0
    emls = 0
    for n, path in enumerate(paths):
        name = str(path.relative_to(CORPORA))
        db = tmp_path / f"{n}.db"
        shutil.copy(empty_store, db)
        url = sqlite_url(db)
        report = json.loads(run(capsys, "--db", url, "import", "mail", str(path), "--json"))
        assert report["imported"] == len(messages_in(path)), (name, report)
        store = Store(url)
        with store.read() as s:
            cids = s.exec(select(Conversation.id).order_by(Conversation.id)).all()
        store.close()

        listed = [
            item
            for cid in cids
            for item in json.loads(run(capsys, "--db", url, "attachments", str(cid), "--json"))
        ]
        leaves, stdlib_files = stdlib_view(path)
        stored = [item for item in listed if item["status"] == "stored"]
        for item in listed:
            assert item["status"] == "stored" or item["note"], (name, item)
        enclosed = {i["sha256"] for i in stored if i["content_type"] == "message/rfc822"}
        for item in stored:  # the bytes kept are bytes the mail carried
            if item["sha256"] not in enclosed:  # a forwarded message kept whole: below
                assert item["sha256"] in leaves, (name, item["filename"])
        kept = Counter(item["sha256"] for item in stored)
        for filename, digest in stdlib_files:  # every file the stdlib sees is listed
            assert kept[digest] > 0, (name, filename)

        out = tmp_path / f"saved-{n}"
        said = "".join(
            # --all: every copy too (without it a file carried twice is written once).
            run(capsys, "--db", url, "attachments", str(cid), "--save", str(out), "--all")
            for cid in cids
        )
        counts = re.findall(r"^(\d+) of \d+ attachments saved\.$", said, re.M)
        saved = sum(int(c) for c in counts)
        assert saved == len(stored), (name, said)
        written = sorted(out.rglob("*"))
        assert all(p.parent == out for p in written), (name, written)  # nothing elsewhere
        assert Counter(sha(p.read_bytes()) for p in written) == kept, name
        for p in written:  # a forwarded message kept whole carries the mail's own parts
            if sha(p.read_bytes()) in enclosed:
                inner = email.message_from_bytes(p.read_bytes(), policy=email.policy.compat32)
                inner_leaves = {
                    sha(x.get_payload(decode=True))
                    for x in inner.walk()
                    if not x.is_multipart() and isinstance(x.get_payload(decode=True), bytes)
                }
                assert inner_leaves and inner_leaves <= leaves, (name, p.name)
                emls += 1
        files_checked += len(stored)
    assert files_checked >= 180
    assert emls >= 10  # bounces and forwards in the corpora carry enclosed messages

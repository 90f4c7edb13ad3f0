"""``inbox-tui import mail`` and ``import chat`` killed with SIGKILL at many points, as
real processes, then run again to completion, on SQLite and on PostgreSQL: the store
passes SQLite's integrity check (PostgreSQL's opens and reads),
every source message is there exactly once (or quarantined with a reason), and the
conversations are exactly those of a clean import.

The kill points are chosen from outside: another connection polls the store and the
test kills the importer as soon as N messages are visible (N = 0 means as soon as the
store file or the first table exists, i.e. while the schema is being created). Commits happen per batch,
so each kill lands in the middle of the next batch's transaction."""

from __future__ import annotations

import json
import mailbox
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.conftest import corpus
from tests.reliability.crashkit import Target, cli, kill_when, run_ok


def write_mail(root: Path, n_threads: int = 300, seed: int = 7) -> list[Path]:
    """A Maildir of threads (some replies arrive before their parent, some messages
    have no Message-ID, some files are not parseable) and an mbox; returns the paths."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    md = mailbox.Maildir(root / "Maildir", create=True)
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for t in range(n_threads):
        ids = []
        for k in range(rng.randint(1, 6)):
            m = EmailMessage()
            m["From"] = f"Customer {t} <c{t}@acme.example>"
            m["To"] = "support@example.com"
            m["Subject"] = ("Re: " if k else "") + f"Order {t} is late"
            m["Date"] = format_datetime(t0 + timedelta(minutes=t * 7 + k * 3))
            if rng.random() > 0.05:
                m["Message-ID"] = f"<t{t}.{k}@acme.example>"
                if ids:
                    m["In-Reply-To"] = ids[-1]
                    m["References"] = " ".join(ids)
                ids.append(m["Message-ID"])
            m.set_content(f"message {k} of thread {t}\n" + "lorem ipsum " * rng.randint(1, 200))
            md.add(m.as_bytes())
    for i in range(6):  # no headers, no text: quarantined with a reason
        (root / "Maildir" / "cur" / f"broken{i}.host:2,S").write_bytes(b"\n \n")
    mbox = mailbox.mbox(root / "archive.mbox")
    for i in range(300):
        m = EmailMessage()
        m["From"] = f"list{i % 40}@lists.example"
        m["Subject"] = f"List topic {i % 60}"
        m["Date"] = format_datetime(t0 + timedelta(hours=i))
        if i % 9:
            m["Message-ID"] = f"<list{i}@lists.example>"
        m.set_content(f"From the archive {i}\nFrom here on, mbox quoting\n")
        mbox.add(m)
    mbox.flush()
    return [root / "Maildir", root / "archive.mbox"]


def snapshot(db: Target) -> dict[str, object]:
    """What a clean import and a killed-and-resumed one must agree on."""
    keys = [k for (k,) in db.rows("SELECT dedupe_key FROM message")]
    by_conv: dict[int, set[str]] = {}
    for cid, key in db.rows("SELECT conversation_id, dedupe_key FROM message"):
        by_conv.setdefault(cid, set()).add(key)
    quarantine = db.rows("SELECT dedupe_key, reason FROM quarantine")
    assert all(reason.strip() for _, reason in quarantine), "quarantined without a reason"
    counts_ok = db.count(
        "SELECT count(*) FROM conversation c WHERE c.message_count != "
        "(SELECT count(*) FROM message m WHERE m.conversation_id = c.id)"
    )
    assert counts_ok == 0, "a conversation's message_count disagrees with its messages"
    events = db.rows(
        f"SELECT count(*), count(DISTINCT {db.json_field('data', 'message')}) FROM event "
        "WHERE kind IN ('received', 'replied')"
    )[0]
    assert events[0] == events[1] == len(keys), "a message has no or two arrival events"
    empty = db.count(
        "SELECT count(*) FROM conversation c WHERE NOT EXISTS "
        "(SELECT 1 FROM message m WHERE m.conversation_id = c.id)"
    )
    assert empty == 0, "a conversation without messages was left behind"
    return {
        "messages": sorted(keys),
        "quarantine": sorted(k for k, _ in quarantine),
        "conversations": sorted(sorted(v) for v in by_conv.values()),
    }


def clean_import(new_target: Callable[[str], Target], args: list[str]) -> dict[str, object]:
    db = new_target("clean")
    out = run_ok(cli("--db", db.url, *args, "--json"))
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["read"] == report["imported"] + report["duplicates"] + report["quarantined"]
    return snapshot(db)


def crash_and_resume(
    new_target: Callable[[str], Target],
    args: list[str],
    kill_at: list[int],
    clean: dict[str, object],
) -> None:
    db = new_target("crash")
    url = db.url
    landed = 0
    for n in kill_at:
        if n == 0:
            ready = db.started
        else:

            def ready(n: int = n) -> bool:
                return db.count("SELECT count(*) FROM message") >= n

        killed, code = kill_when(cli("--db", url, *args), ready)
        landed += killed
        if not killed:
            assert code == 0
        assert db.integrity() == "ok", f"store corrupt after a kill at {n} messages"
        assert db.count("SELECT count(*) FROM message") >= (n if killed else 0)
    assert landed >= len(kill_at) - 1, "the kills did not land while the import ran"
    out = run_ok(cli("--db", url, *args, "--json"))
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["read"] == report["imported"] + report["duplicates"] + report["quarantined"]
    assert db.integrity() == "ok"
    got = snapshot(db)
    assert len(got["messages"]) == len(clean["messages"])  # type: ignore[arg-type]
    assert got["messages"] == clean["messages"], "a message is missing or extra"
    assert got["quarantine"] == clean["quarantine"], "a quarantined message is missing or extra"
    assert got["conversations"] == clean["conversations"], "threads differ from a clean import"
    # and a further run changes nothing
    again = json.loads(run_ok(cli("--db", url, *args, "--json")).stdout.strip().splitlines()[-1])
    assert again["imported"] == 0 and again["quarantined"] == 0
    assert snapshot(db) == got


@pytest.fixture(params=["sqlite", "postgres"])
def new_target(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Target]:
    """Makes a fresh store to import into: a SQLite file, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return lambda name: Target(f"sqlite:///{tmp_path / name}.db", tmp_path / f"{name}.db")
    factory = request.getfixturevalue("postgres_url_factory")
    return lambda name: Target(factory())


def mail_args(tmp_path: Path) -> list[str]:
    paths = write_mail(tmp_path / "src")
    paths.append(corpus("mail", "notmuch"))  # real mail: duplicates, loops, broken headers
    return ["import", "mail", *map(str, paths)]


def test_import_mail_killed_resumes_exactly(tmp_path, new_target):
    args = mail_args(tmp_path)
    clean = clean_import(new_target, args)
    assert len(clean["quarantine"]) >= 6  # type: ignore[arg-type]
    crash_and_resume(new_target, args, [0, 1, 700], clean)


@pytest.mark.slow
def test_import_mail_killed_at_every_batch_resumes_exactly(tmp_path, new_target):
    args = mail_args(tmp_path)
    clean = clean_import(new_target, args)
    total = len(clean["messages"])  # type: ignore[arg-type]
    crash_and_resume(new_target, args, [0, 1, *range(400, total, 250)], clean)


def write_chat(root: Path, lines: int = 1600, seed: int = 3) -> Path:
    """A JSON-lines chat log: some lines carry a conversation, some an id, some neither
    (split by who talks when), and a few broken lines."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    path = root / "widget.jsonl"
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with path.open("w") as fh:
        for i in range(lines):
            if i % 397 == 5:
                fh.write("{not json\n")
                continue
            who = rng.randrange(60)
            obj: dict[str, object] = {
                "author": f"Visitor {who}",
                "email": f"v{who}@example.org",
                "ts": (t0 + timedelta(seconds=i * 41)).isoformat(),
                "text": f"line {i}: " + "help " * rng.randint(1, 30),
                "channel": f"widget-{who % 3}",
            }
            if i % 3:
                obj["id"] = f"m{i}"
            if i % 4 == 0:
                obj["conversation"] = f"ticket-{who}"
            fh.write(json.dumps(obj) + "\n")
    return path


def chat_args(tmp_path: Path) -> list[str]:
    irc = sorted(corpus("chat", "irc-ubuntu").glob("*.raw.txt"))[:2]
    return ["import", "chat", str(write_chat(tmp_path / "src")), *map(str, irc)]


def test_import_chat_killed_resumes_exactly(tmp_path, new_target):
    args = chat_args(tmp_path)
    clean = clean_import(new_target, args)
    crash_and_resume(new_target, args, [0, 1, 1200], clean)


@pytest.mark.slow
def test_import_chat_killed_at_every_batch_resumes_exactly(tmp_path, new_target):
    args = chat_args(tmp_path)
    clean = clean_import(new_target, args)
    total = len(clean["messages"])  # type: ignore[arg-type]
    crash_and_resume(new_target, args, [0, 1, *range(700, total, 700)], clean)

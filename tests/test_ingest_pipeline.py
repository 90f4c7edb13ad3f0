"""The ingest pipeline (parse pool + batched writer, ``ingest.pipeline`` / ``ingest.bulk``)
stores exactly what the one-message path stores: the same messages in the same
conversations, the same summaries, events, thread refs, contacts, quarantine and
full-text matches, and its stats aggregates equal a rebuild. On SQLite and PostgreSQL,
with real mail (the notmuch corpus: duplicates, reference loops, broken headers), made-up
threads (replies before their parents, replies that lost their references, unparseable
files, an mbox, an agent's own mail) and chat logs."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from inbox_tui.ingest import Ingestor, pipeline
from inbox_tui.ingest.threading import SUBJECT_CANDIDATES
from inbox_tui.mail.parse import parse_many
from inbox_tui.models import Agent
from inbox_tui.services.chatimport import import_chat, read_lines, to_messages
from inbox_tui.services.mailimport import SOURCE, import_mail
from inbox_tui.sources.mailfiles import RawMail, iter_mail
from inbox_tui.store import Store, sqlite_url
from inbox_tui.store.aggregates import rebuild
from tests.conftest import corpus
from tests.reliability.test_crash_import import write_chat, write_mail

WORDS = ["order", "late", "lorem", "archive", "quoting", "linux", "patch", "help", "ubuntu"]


@pytest.fixture(params=["sqlite", "postgres"])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    made: list[Store] = []

    def make() -> Store:
        if request.param == "sqlite":
            s = Store(sqlite_url(tmp_path / f"s{len(made)}.db"))
        else:
            s = Store(request.getfixturevalue("postgres_url_factory")())
        with s.write() as session:  # customer 3 is one of us: their mail is outbound
            session.add(Agent(username="sam", name="Sam", email="c3@acme.example"))
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def one_by_one(store: Store, paths: list[Path]) -> None:
    """The reference: every file parsed in this process and added on its own."""
    items = [i for i in iter_mail(paths) if isinstance(i, RawMail)]
    with store.write() as s:
        ing = Ingestor(s)
        for item, result in zip(items, parse_many(SOURCE, None, items), strict=True):
            if isinstance(result, str):
                ing.quarantine(SOURCE, item.external_id, f"{item.where}: {result}", item.raw)
            else:
                ing.add(result)


def _v(x: object) -> str:
    """A value as text; a time of today (a message without a Date header is dated when
    it is parsed) as "today"."""
    out = str(x)
    return "today" if out.startswith(datetime.now(UTC).date().isoformat()) else out


def canonical(store: Store) -> dict[str, object]:
    """The store's content with row ids replaced by what they stand for (a message by
    its dedupe key, a conversation by its messages' smallest key)."""
    with store.read() as s:
        q = s.connection().execute
        msgs = q(
            text(
                "SELECT m.id, m.dedupe_key, m.conversation_id, m.direction, m.agent_id, m.subject, "
                "m.body, m.sent_at, m.refs, m.to_addrs, m.attachments, m.parse_warnings, m.utc_offset, c.key "
                "FROM message m LEFT JOIN contact c ON c.id = m.contact_id"
            )
        ).all()
        key_of = {m[0]: m[1] for m in msgs}
        conv: dict[int, str] = {}
        for m in msgs:
            conv[m[2]] = min(conv.get(m[2], m[1]), m[1])
        convs = q(
            text(
                "SELECT v.id, v.subject, v.status, v.message_count, v.created_at, "
                "v.last_activity_at, v.last_customer_at, v.version, v.channel, c.key "
                "FROM conversation v LEFT JOIN contact c ON c.id = v.contact_id"
            )
        ).all()
        events = []
        for cid, kind, at, agent, data in q(
            text("SELECT conversation_id, kind, at, agent_id, data FROM event")
        ):
            info = json.loads(data or "{}")
            if "message" in info:
                info["message"] = key_of[info["message"]]
            info.pop("from", None) if kind == "merged" else None
            events.append((conv[cid], kind, _v(at), agent, json.dumps(info, sort_keys=True)))
        fts = {}
        for w in WORDS:
            if store.is_sqlite:
                ids = [
                    r & 0xFFFFFFFF
                    for (r,) in q(
                        text("SELECT rowid FROM message_fts WHERE message_fts MATCH :w"), {"w": w}
                    )
                ]
            else:
                ids = [
                    i
                    for (i,) in q(
                        text(
                            "SELECT id FROM message WHERE fts_document @@ to_tsquery('simple', :w)"
                        ),
                        {"w": w},
                    )
                ]
            fts[w] = sorted(key_of[i] for i in ids)
        return {
            "messages": sorted((m[1], conv[m[2]], *(_v(x) for x in m[3:])) for m in msgs),
            "conversations": sorted((conv[c[0]], *(_v(x) for x in c[1:])) for c in convs),
            "events": sorted(events),
            "refs": sorted(
                (r, conv[c]) for r, c in q(text("SELECT ref, conversation_id FROM threadref"))
            ),
            "contacts": sorted(tuple(r) for r in q(text("SELECT key, email, name FROM contact"))),
            "quarantine": sorted(
                tuple(r) for r in q(text("SELECT dedupe_key, reason FROM quarantine"))
            ),
            "fts": fts,
        }


def aggregates(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with store.read() as s:
        q = s.connection().execute
        convs = [tuple(r) for r in q(text("SELECT * FROM stat_conversation ORDER BY 1"))]
        events = [tuple(r) for r in q(text("SELECT * FROM stat_event ORDER BY event_id"))]
    return convs, events


def assert_aggregates_equal_a_rebuild(store: Store) -> None:
    maintained = aggregates(store)
    assert maintained[1], "no aggregates at all"
    with store.write() as s:
        rebuild(s.connection())
    assert aggregates(store) == maintained


def merging_mail(root: Path) -> Path:
    """Two conversations, then a message that references both (a merge), and more
    replies after it."""
    root.mkdir(parents=True)
    mails = [
        ("a", "", "Printer broken"),
        ("b", "", "Scanner broken"),
        ("c", "<a@x.example> <b@x.example>", "Re: Printer broken"),
        ("d", "<b@x.example>", "Re: Scanner broken"),
    ]
    for mid, refs, subject in mails:
        head = f"From: Pat <pat@x.example>\nSubject: {subject}\nMessage-ID: <{mid}@x.example>\n"
        head += f"Date: Mon, 2 Mar 2026 09:0{ord(mid) - 97}:00 +0000\n"
        if refs:
            head += f"References: {refs}\n"
        (root / f"{mid}.eml").write_text(head + "\nhello\n")
    return root


def test_pipeline_stores_what_one_by_one_stores(new_store, tmp_path, monkeypatch):
    paths = write_mail(tmp_path / "src", n_threads=150)
    paths += [corpus("mail", "notmuch"), merging_mail(tmp_path / "merge")]
    reference = new_store()
    one_by_one(reference, paths)

    piped = new_store()
    monkeypatch.setenv("INBOX_TUI_PARSE_WORKERS", "2")
    monkeypatch.setattr(pipeline, "POOL_THRESHOLD", 10)
    monkeypatch.setattr(pipeline, "CHUNK_ITEMS", 7)
    # Small batches and little room ahead: many batch edges, the pool kept waiting.
    report = import_mail(piped, paths, batch=97)
    assert report.counts.imported > 500 and report.counts.duplicates > 0
    assert report.counts.quarantined >= 6

    want, got = canonical(reference), canonical(piped)
    assert report.counts.imported == len(got["messages"])  # type: ignore[arg-type]
    assert report.counts.quarantined == len(got["quarantine"])  # type: ignore[arg-type]
    c = report.counts
    assert c.read == c.imported + c.duplicates + c.quarantined
    assert got["messages"] == want["messages"]
    for part in ("conversations", "events", "refs", "contacts", "quarantine", "fts"):
        assert got[part] == want[part], part
    merged = [e for e in got["events"] if e[1] == "merged"]  # type: ignore[attr-defined]
    outbound = [m for m in got["messages"] if m[2] == "out"]  # type: ignore[attr-defined]
    assert outbound, "the agent's own mail was not exercised"
    assert merged, "no merge was exercised"
    assert_aggregates_equal_a_rebuild(piped)

    # and again: nothing new, nothing changed
    again = import_mail(piped, paths, batch=97)
    assert again.counts.imported == 0 and again.counts.quarantined == 0
    assert canonical(piped) == got


def fallback_mail(root: Path, seed: int = 3) -> Path:
    """Replies that lost their references ("Re: ..." without In-Reply-To), from
    customers whose other mail is in the same batches: the subject fallback against
    conversations the batch itself starts or changes, past its window, past the number
    of conversations it compares, and through a contact the batch gives to an agent's
    conversation."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    n = 0

    def put(frm: str, subject: str, minutes: int, mid: str = "", irt: str = "") -> None:
        nonlocal n
        head = f"From: {frm}\nSubject: {subject}\n"
        head += f"Date: {format_datetime(t0 + timedelta(minutes=minutes))}\n"
        head += f"Message-ID: <{mid}>\n" if mid else ""
        head += f"In-Reply-To: <{irt}>\n" if irt else ""
        (root / f"{n:05d}.eml").write_text(head + f"\nbody {n}\n")
        n += 1

    many = SUBJECT_CANDIDATES + 6
    for i in range(many):
        put("Many <many@x.example>", f"Topic {i}", i, mid=f"many{i}@x.example")
    put("Sam <c3@acme.example>", "Welcome kit", 29, mid="w1@x.example")  # an agent's
    # A merge: what came before is written before it, what follows is a new segment.
    put("Mo <mo@x.example>", "A", 30, mid="ma@x.example")
    put("Mo <mo@x.example>", "B", 31, mid="mb@x.example")
    (root / f"{n:05d}.eml").write_text(
        "From: Mo <mo@x.example>\nSubject: Re: A\nMessage-ID: <mc@x.example>\n"
        "References: <ma@x.example> <mb@x.example>\n\nboth\n"
    )
    n += 1
    # Topic 6 was the last of the conversations compared; replies in this segment make
    # it and Topic 0 the newest, so Topic 7 drops out of the comparison instead.
    put("Many <many@x.example>", "Re: Topic 0", 40, irt="many0@x.example")
    put("Many <many@x.example>", "Re: Topic 6", 41, irt="many6@x.example")
    put("Many <many@x.example>", "Re: Topic 6", 42)  # joins Topic 6
    put("Many <many@x.example>", "Re: Topic 7", 43)  # a new conversation
    # a customer's reply to the agent's mail, then their reply without references
    put("New Person <new@x.example>", "Re: Welcome kit", 51, mid="w2@x.example", irt="w1@x.example")
    put("New Person <new@x.example>", "Re: Welcome kit", 52)
    for i in range(0, many, 5):  # the oldest are beyond the conversations compared
        put("Many <many@x.example>", f"Re: Topic {i}", 100 + i)
    for k in range(300):  # ~2 months: some replies come after the 14-day window
        c, topic = rng.randrange(25), rng.randrange(4)
        subject = ("Re: " if rng.random() < 0.6 else "") + f"Case {topic}"
        minutes = 200 + k * 300 - rng.randrange(3) * 2000  # some out of order
        put(f"Customer {c} <f{c}@x.example>", subject, minutes)
    return root


def test_subject_fallback_in_a_batch_equals_one_by_one(new_store, tmp_path, monkeypatch):
    paths = [fallback_mail(tmp_path / "fb")]
    reference = new_store()
    one_by_one(reference, paths)
    want = canonical(reference)
    for batch in (500, 7):
        piped = new_store()
        import_mail(piped, paths, batch=batch)
        got = canonical(piped)
        for part in ("messages", "conversations", "events", "refs", "contacts"):
            assert got[part] == want[part], (batch, part)
        assert_aggregates_equal_a_rebuild(piped)
    welcome = [c for c in want["conversations"] if c[1] == "Welcome kit"]  # type: ignore[attr-defined]
    assert [int(c[3]) for c in welcome] == [3], "the reply without references did not join"
    topics = {c[1]: int(c[3]) for c in want["conversations"]}  # type: ignore[attr-defined]
    assert topics["Topic 6"] == 3 and topics["Topic 7"] == 1 and "Re: Topic 7" in topics
    cases = [c for c in want["conversations"] if c[1].startswith(("Case", "Re: Case"))]  # type: ignore[attr-defined]
    assert sum(int(c[3]) for c in cases) > len(cases), "no reply joined by subject"


def test_pipeline_workers_and_no_workers_agree(new_store, tmp_path, monkeypatch):
    """Parsing in the pool or in the writer's process gives the same store."""
    paths = [corpus("mail", "notmuch")]
    monkeypatch.setattr(pipeline, "POOL_THRESHOLD", 10)
    stores = []
    for n in ("0", "2"):
        monkeypatch.setenv("INBOX_TUI_PARSE_WORKERS", n)
        s = new_store()
        import_mail(s, paths)
        stores.append(canonical(s))
    assert stores[0] == stores[1]


def test_chat_through_the_batch_writer_equals_one_by_one(new_store, tmp_path):
    log = write_chat(tmp_path / "chat", lines=900)
    irc = sorted(corpus("chat", "irc-ubuntu").glob("*.raw.txt"))[:1]
    reference = new_store()
    with reference.write() as s:
        ing = Ingestor(s)
        for path in [log, *irc]:
            lines, _ = read_lines(path, "auto")
            for msg in to_messages(lines, {}):
                ing.add(msg)
    piped = new_store()
    counts = import_chat(piped, [log, *irc]).counts
    want, got = canonical(reference), canonical(piped)
    assert counts.imported == len(got["messages"])  # type: ignore[arg-type]
    for part in ("messages", "conversations", "events", "refs", "contacts", "fts"):
        assert got[part] == want[part], part
    assert_aggregates_equal_a_rebuild(piped)


def test_parse_workers_end_with_a_killed_writer(tmp_path):
    """kill -9 of the importing process leaves no parse worker behind (their input
    closes), and a worker that dies stops the import with PoolBroken, not a hang."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from inbox_tui.ingest import pipeline\n"
        "pool = pipeline.new_pool(2)\n"
        "print(' '.join(str(p.pid) for p in pool._procs), flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if os.path.exists(f"/proc/{p}") and _not_zombie(p)]
        time.sleep(0.1)
    assert not alive, "parse workers outlived their writer"

    pool = pipeline.new_pool(1)
    assert pool is not None
    try:
        os.kill(pool._procs[0].pid, signal.SIGKILL)
        fut = pool.submit(parse_many, SOURCE, None, [])
        with pytest.raises(pipeline.PoolBroken):
            pipeline.unpack(fut.result(timeout=20))
    finally:
        pool.shutdown()


def _not_zombie(pid: int) -> bool:
    try:
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return False

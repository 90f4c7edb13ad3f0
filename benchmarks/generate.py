"""Deterministic generator of a large, realistic store for the benchmarks.

    python -m benchmarks.generate --db /tmp/big.db --conversations 100000 --messages 1000000
    python -m benchmarks.generate --db /tmp/big.db --maildir /tmp/big-maildir --maildir-limit 20000

Text comes from ../shared/corpora (LKML mail bodies, StackFAQ questions and answers, IRC
lines, the help centre), so full-text search sees a real vocabulary; rows are written
with bulk inserts (SQLAlchemy Core executemany) in one transaction per chunk, so 100k
conversations and 1M messages build in minutes on 2 cores. The store is migrated first
(real schema). With ``--maildir`` the first N inbound messages are also written as
RFC 5322 files in a Maildir, for the baselines (notmuch, mbsync).

The same seed always gives the same store.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import html
import json
import mailbox
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"

AGENTS = ["sam", "priya", "diego", "mei", "lena", "omar", "kai", "rosa"]
TAGS = [
    ("bug", "category"),
    ("confused", "category"),
    ("feature request", "category"),
    ("unaware", "category"),
    ("user issue", "category"),
    ("pricing", "category"),
    ("deal blocker", "category"),
    ("positive feedback", "category"),
    ("outage", "category"),
    ("churn feedback", "category"),
    ("angry", "modifier"),
    ("billing", "modifier"),
]
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=730)


def load_text(corpora: Path = CORPORA) -> tuple[list[str], list[str]]:
    """(subjects, sentences) from the corpora; a small built-in pool when absent."""
    subjects: list[str] = []
    sentences: list[str] = []
    faq = corpora / "faq" / "stackfaq.xml"
    if faq.exists():
        raw = faq.read_text(encoding="utf-8", errors="replace")
        for q in re.findall(r"<question>\s*(.*?)\s*</question>", raw, re.S):
            subjects.append(html.unescape(q.strip()))
        for r in re.findall(r"<rephr>\s*(.*?)\s*</rephr>", raw, re.S):
            r = html.unescape(r.strip())
            if len(r) > 3:
                subjects.append(r)
                sentences.append(r)
        for a in re.findall(r"<answer>\s*(.*?)\s*</answer>", raw, re.S):
            sentences.extend(
                s.strip()
                for s in re.split(r"(?<=[.!?])\s+", html.unescape(a))
                if len(s.strip()) > 20
            )
    lkml = corpora / "mail" / "notmuch" / "lkml"
    if lkml.exists():
        for path in sorted(lkml.rglob("*"))[:400]:
            if not path.is_file():
                continue
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            subj = str(msg.get("subject", "")).strip()
            if subj:
                subjects.append(re.sub(r"^(re:\s*)+", "", subj, flags=re.I))
            part = msg.get_body(preferencelist=("plain",))
            if part is not None:
                try:
                    body = part.get_content()
                except (LookupError, UnicodeError):
                    continue
                for line in body.splitlines():
                    line = line.strip()
                    if len(line) > 30 and not line.startswith((">", "-", "+", "@")):
                        sentences.append(line)
    irc = corpora / "chat" / "irc-ubuntu"
    if irc.exists():
        for path in sorted(irc.glob("*.raw.txt")):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                m = re.match(r"\[\d\d:\d\d\] <[^>]+> (.{25,})", line)
                if m:
                    sentences.append(m.group(1))
    if not subjects or not sentences:
        subjects = subjects or [
            "Cannot export my board",
            "Invoice question",
            "Login fails after reset",
        ]
        sentences = sentences or [
            "The export drops the due dates on every card.",
            "I was charged twice this month.",
            "The password reset link says it expired.",
        ]
    return subjects, sentences


def generate(
    db_url: str,
    conversations: int,
    messages: int,
    seed: int = 1,
    chunk: int = 5000,
    quiet: bool = False,
) -> dict[str, float]:
    """Build the store. Returns counts and seconds."""
    from inbox_tui.models import (
        Agent,
        Contact,
        Conversation,
        ConversationTag,
        Event,
        Message,
        Tag,
        ThreadRef,
    )
    from inbox_tui.services.fulltext import sqlite_bulk_load
    from inbox_tui.store import Store

    t0 = time.perf_counter()
    store = Store(db_url)
    if store.is_sqlite:
        # Bulk build: durability per chunk does not matter, speed does.
        from sqlalchemy import event

        store.engine.dispose()
        event.listen(
            store.engine,
            "connect",
            lambda dbapi_conn, _rec: dbapi_conn.execute("PRAGMA synchronous = OFF"),
        )
    rng = random.Random(seed)
    subjects, sentences = load_text()
    per_conv = max(1, messages // max(1, conversations))
    with store.engine.begin() as conn:
        conn.execute(
            insert(Agent),
            [
                {
                    "id": i + 1,
                    "username": a,
                    "name": a.capitalize(),
                    "email": f"{a}@northwind.example",
                    "created_at": END - SPAN,
                }
                for i, a in enumerate(AGENTS)
            ],
        )
        conn.execute(
            insert(Tag),
            [{"id": i + 1, "name": n, "kind": k, "color": ""} for i, (n, k) in enumerate(TAGS)],
        )
        n_contacts = max(1, conversations // 3)
        conn.execute(
            insert(Contact),
            [
                {
                    "id": i + 1,
                    "key": f"customer{i}@c{i % 997}.example",
                    "email": f"customer{i}@c{i % 997}.example",
                    "name": f"Customer {i}",
                    "created_at": END - SPAN,
                }
                for i in range(n_contacts)
            ],
        )
    msg_id = 0
    event_id = 0
    conv_rows: list[dict] = []
    msg_rows: list[dict] = []
    ref_rows: list[dict] = []
    tag_rows: list[dict] = []
    event_rows: list[dict] = []
    remaining = messages

    def flush() -> None:
        with store.engine.begin() as conn:
            for table, rows in (
                (Conversation, conv_rows),
                (Message, msg_rows),
                (ThreadRef, ref_rows),
                (ConversationTag, tag_rows),
                (Event, event_rows),
            ):
                if rows:
                    conn.execute(insert(table), rows)
                    rows.clear()

    with contextlib.ExitStack() as bulk:
        if store.is_sqlite:
            # Index all messages in one pass at the end rather than by trigger per row.
            bulk.enter_context(sqlite_bulk_load(bulk.enter_context(store.engine.connect())))
        for c in range(1, conversations + 1):
            left = conversations - c + 1
            n = per_conv if left > 1 else remaining
            n = (
                max(1, min(remaining - (left - 1), n + rng.randint(-per_conv // 2, per_conv // 2)))
                if left > 1
                else max(1, remaining)
            )
            remaining -= n
            start = (
                END
                - SPAN
                + timedelta(seconds=rng.randint(0, int(SPAN.total_seconds()) - 86400 * 3))
            )
            contact = rng.randint(1, n_contacts)
            agent = rng.randint(1, len(AGENTS))
            subject = rng.choice(subjects)[:200]
            channel = "chat" if rng.random() < 0.2 else "email"
            t = start
            first_mid = None
            for k in range(n):
                msg_id += 1
                inbound = k % 2 == 0
                mid = f"gen-{c}-{k}@bench.example"
                first_mid = first_mid or mid
                body = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
                msg_rows.append(
                    {
                        "id": msg_id,
                        "conversation_id": c,
                        "dedupe_key": f"mid:{mid}",
                        "source": "imap:bench/INBOX" if inbound else "imap:bench/Sent",
                        "external_id": str(msg_id),
                        "message_id": mid,
                        "in_reply_to": None if k == 0 else f"gen-{c}-{k - 1}@bench.example",
                        "refs": None if k == 0 else first_mid,
                        "direction": "in" if inbound else "out",
                        "author_name": f"Customer {contact - 1}"
                        if inbound
                        else AGENTS[agent - 1].capitalize(),
                        "author_email": f"customer{contact - 1}@c{(contact - 1) % 997}.example"
                        if inbound
                        else f"{AGENTS[agent - 1]}@northwind.example",
                        "agent_id": None if inbound else agent,
                        "contact_id": contact if inbound else None,
                        "subject": subject if k == 0 else f"Re: {subject}",
                        "sent_at": t,
                        "received_at": t,
                        "body": body,
                    }
                )
                ref_rows.append({"ref": mid, "conversation_id": c})
                event_id += 1
                event_rows.append(
                    {
                        "id": event_id,
                        "conversation_id": c,
                        "agent_id": None if inbound else agent,
                        "kind": "received" if inbound else "replied",
                        "at": t,
                        "data": json.dumps({"message": msg_id}),
                    }
                )
                t += timedelta(minutes=rng.randint(5, 60 * 18))
            closed = rng.random() < 0.85 and c < conversations - 2000
            event_id += 1
            event_rows.append(
                {
                    "id": event_id,
                    "conversation_id": c,
                    "agent_id": agent,
                    "kind": "assigned",
                    "at": start + timedelta(minutes=2),
                    "data": json.dumps({"from": None, "to": AGENTS[agent - 1]}),
                }
            )
            tags = rng.sample(range(1, len(TAGS) + 1), k=rng.choice([0, 1, 1, 1, 2]))
            for tag in tags:
                tag_rows.append({"conversation_id": c, "tag_id": tag})
                event_id += 1
                event_rows.append(
                    {
                        "id": event_id,
                        "conversation_id": c,
                        "agent_id": agent,
                        "kind": "tagged",
                        "at": start + timedelta(minutes=3),
                        "data": json.dumps({"tag": TAGS[tag - 1][0]}),
                    }
                )
            if closed:
                event_id += 1
                event_rows.append(
                    {
                        "id": event_id,
                        "conversation_id": c,
                        "agent_id": agent,
                        "kind": "status_changed",
                        "at": t,
                        "data": json.dumps({"from": "open", "to": "closed"}),
                    }
                )
            conv_rows.append(
                {
                    "id": c,
                    "subject": subject,
                    "channel": channel,
                    "source": "imap:bench/INBOX",
                    "status": "closed" if closed else rng.choice(["open", "open", "pending"]),
                    "assignee_id": agent if rng.random() < 0.9 else None,
                    "contact_id": contact,
                    "created_at": start,
                    "last_activity_at": t - timedelta(minutes=1),
                    "last_customer_at": start,
                    "message_count": n,
                    "version": n + len(tags) + 2,
                }
            )
            if len(msg_rows) >= chunk:
                flush()
                if not quiet:
                    print(
                        f"\r{c:,}/{conversations:,} conversations, {msg_id:,} messages",
                        end="",
                        file=sys.stderr,
                    )
        flush()
    # The rows above bypass the ORM, so the stats aggregates (kept in step on every
    # normal write) are folded from the finished event log here, as the migration does.
    from inbox_tui.store import waiting
    from inbox_tui.store.aggregates import rebuild

    with store.engine.begin() as conn:
        rebuild(conn)
        waiting.rebuild(conn)  # the stored waiting time, also kept on every normal write
    with store.engine.begin() as conn:
        if store.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.execute(text("ANALYZE"))
            # Every table given explicit ids, or the first row the product adds collides.
            for table in ("agent", "tag", "contact", "conversation", "message", "event"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    store.close()
    if not quiet:
        print(file=sys.stderr)
    return {
        "conversations": conversations,
        "messages": msg_id,
        "events": event_id,
        "seconds": time.perf_counter() - t0,
    }


def write_maildir(path: Path, limit: int, seed: int = 1) -> int:
    """Write ``limit`` messages (same text pool, distinct Message-IDs) into a Maildir."""
    rng = random.Random(seed)
    subjects, sentences = load_text()
    md = mailbox.Maildir(path, create=True)
    for i in range(limit):
        m = EmailMessage()
        m["From"] = f"Customer {i} <customer{i}@c{i % 997}.example>"
        m["To"] = "support@northwind.example"
        m["Subject"] = rng.choice(subjects)[:200]
        m["Message-ID"] = f"<maildir-{i}@bench.example>"
        m["Date"] = email.utils.format_datetime(END - timedelta(minutes=i))
        m.set_content(" ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6))))
        md.add(m.as_bytes())
    return limit


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", required=True, help="SQLite path or database URL (must be empty)")
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--maildir", type=Path, help="also write inbound messages as a Maildir here")
    p.add_argument("--maildir-limit", type=int, default=20_000)
    args = p.parse_args(argv)
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    result = generate(url, args.conversations, args.messages, args.seed)
    print(json.dumps(result))
    if args.maildir:
        print(
            json.dumps(
                {
                    "maildir": str(args.maildir),
                    "messages": write_maildir(args.maildir, args.maildir_limit, args.seed),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Importing a Maildir and searching, against notmuch in the same run.

Import: messages per second of ``inbox-tui import mail`` vs ``notmuch new`` on the same
Maildir. Search as you type: every prefix (from 3 characters) of a few queries, our
first page vs ``notmuch search`` of the same text, on the same messages:

- with ``--db STORE`` the search runs on that store (a generated one, e.g. 1,000,000
  messages), and notmuch indexes the very same messages, exported from the store to a
  Maildir (``--notmuch-dir``, kept between runs because indexing a million messages
  takes notmuch a quarter of an hour);
- without it, both search the imported Maildir (small: 5,000 messages by default).

notmuch is asked twice: with the words as typed (exact terms, as the earlier rows of
benchmarks/README.md did), and with the last word as a prefix (``pas*``), which is what
search as you type does for us.

    python -m benchmarks.import_and_search --maildir /tmp/big-md
    cp /tmp/big.db /tmp/fts-big.db   # the store is migrated on open: use a copy
    python -m benchmarks.import_and_search --maildir /tmp/big-md --db /tmp/fts-big.db \\
        --notmuch-dir /tmp/fts-big-nm
"""

from __future__ import annotations

import argparse
import email.utils
import shutil
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._util import report

QUERIES = ["password reset", "github markdown", "partition", "install ubuntu"]


def notmuch_env(maildir: Path, home: Path) -> dict[str, str]:
    cfg = home / "notmuch-config"
    cfg.write_text(
        f"[database]\npath={maildir}\n[user]\nname=b\nprimary_email=b@example.com\n[new]\ntags=unread;\n"
    )
    return {"NOTMUCH_CONFIG": str(cfg), "HOME": str(home), "PATH": "/usr/bin:/bin"}


def export_store(db: Path, out: Path) -> int:
    """Write every message of a SQLite store as one file of a Maildir (threading headers
    kept, so notmuch's threads are our conversations). Returns the count."""
    (out / "cur").mkdir(parents=True, exist_ok=True)
    (out / "new").mkdir(exist_ok=True)
    (out / "tmp").mkdir(exist_ok=True)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n = 0
    for mid, reply_to, refs, name, addr, subject, sent_at, body in con.execute(
        "SELECT message_id, in_reply_to, refs, author_name, author_email, subject, sent_at, body "
        "FROM message ORDER BY id"
    ):
        n += 1
        when = datetime.fromisoformat(str(sent_at))
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        head = [
            f"From: {email.utils.formataddr((name or '', addr or 'x@example.com'))}",
            "To: support@northwind.example",
            f"Subject: {' '.join((subject or '').split())}",
            f"Date: {email.utils.format_datetime(when)}",
            f"Message-ID: <{mid or f'export-{n}@bench.example'}>",
        ]
        if reply_to:
            head.append(f"In-Reply-To: <{reply_to}>")
        if refs:
            head.append("References: " + " ".join(f"<{r}>" for r in refs.split()))
        head += [
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        data = ("\n".join(head) + "\n\n" + body + "\n").encode("utf-8", "replace")
        (out / "cur" / f"{n}.bench:2,S").write_bytes(data)
    con.close()
    return n


def percentile(times: list[float], q: float) -> float:
    times = sorted(times)
    return times[int(q * (len(times) - 1))]


def search_benchmark(store, env: dict[str, str], n: int, label: str) -> None:  # type: ignore[no-untyped-def]
    from inbox_tui.services.conversations import count_conversations, list_conversations
    from inbox_tui.services.search import parse_query

    ours, counts, nm_exact, nm_prefix = [], [], [], []
    with store.read() as s:
        for q in QUERIES:
            for i in range(3, len(q) + 1):
                prefix = q[:i]
                t0 = time.perf_counter()
                flt = parse_query(prefix, "me")
                list_conversations(s, flt, limit=50)
                ours.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                count_conversations(s, flt)
                counts.append(time.perf_counter() - t0)
                for times, terms in (
                    (nm_exact, prefix.split()),
                    (nm_prefix, [*prefix.split()[:-1], prefix.split()[-1] + "*"]),
                ):
                    t0 = time.perf_counter()
                    subprocess.run(
                        ["notmuch", "search", "--limit=50", *terms],
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                    times.append(time.perf_counter() - t0)
    for q, tag in ((0.5, "p50"), (0.95, "p95")):
        mine = percentile(ours, q) * 1000
        report(
            f"search as you type {tag}, first page ({n:,} messages, {label})",
            mine,
            percentile(nm_exact, q) * 1000,
            "notmuch search, same words",
            unit="ms",
        )
        report(
            f"search as you type {tag}, first page ({n:,} messages, {label})",
            mine,
            percentile(nm_prefix, q) * 1000,
            "notmuch search, last word as prefix (word*)",
            unit="ms",
        )
        report(
            f"search as you type {tag}, count of matches ({n:,} messages, {label})",
            percentile(counts, q) * 1000,
            percentile(nm_exact, q) * 1000,
            "notmuch search, same words",
            unit="ms",
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maildir", type=Path, required=True, help="for the import comparison")
    ap.add_argument("--db", type=Path, help="search this SQLite store (a copy: it is migrated)")
    ap.add_argument(
        "--notmuch-dir", type=Path, help="with --db: where notmuch's copy of the store lives"
    )
    ap.add_argument("--skip-import", action="store_true")
    args = ap.parse_args(argv)
    from inbox_tui.services.mailimport import import_mail
    from inbox_tui.store import Store, sqlite_url

    n = sum(1 for p in args.maildir.rglob("*") if p.is_file() and p.parent.name in ("cur", "new"))
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        nm_dir = t / "nm"
        shutil.copytree(args.maildir, nm_dir)
        env = notmuch_env(nm_dir, t)
        store = Store(sqlite_url(t / "ours.db"))
        if not args.skip_import:
            t0 = time.perf_counter()
            subprocess.run(["notmuch", "new", "--quiet"], env=env, check=True, capture_output=True)
            nm_rate = n / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            import_mail(store, [args.maildir])
            our_rate = n / (time.perf_counter() - t0)
            report(
                f"import {n:,} messages (messages/s)",
                our_rate,
                nm_rate,
                "notmuch new",
                unit="msg/s",
                lower_is_better=False,
            )
            if args.db is None:
                search_benchmark(store, env, n, "imported Maildir")
        store.close()

    if args.db is not None:
        big = Store(sqlite_url(args.db))
        nm_big = args.notmuch_dir or args.db.with_suffix(".notmuch")
        home = nm_big.parent / (nm_big.name + "-home")
        home.mkdir(parents=True, exist_ok=True)
        env = notmuch_env(nm_big, home)
        with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as con:
            n_big = con.execute("SELECT count(*) FROM message").fetchone()[0]
        if not (nm_big / ".notmuch").exists() and not (nm_big / ".notmuch-config").exists():
            t0 = time.perf_counter()
            exported = export_store(args.db, nm_big)
            print(f"exported {exported:,} messages in {time.perf_counter() - t0:.0f} s", flush=True)
            t0 = time.perf_counter()
            subprocess.run(["notmuch", "new", "--quiet"], env=env, check=True, capture_output=True)
            print(f"notmuch new: {time.perf_counter() - t0:.0f} s", flush=True)
        search_benchmark(big, env, n_big, "generated store")
        big.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

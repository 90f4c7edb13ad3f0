"""The growth curve: what the data side of each everyday action costs at 10 k, 100 k and
1 M messages, on SQLite and on PostgreSQL, each against one sequential scan of
``message`` in the same store and the same run (the scan grows linearly with the
history, so a ratio that stays flat grows like the data; one that falls grows slower).

    python -m benchmarks.generate --db /tmp/g1m.db --conversations 100000 --messages 1000000
    python -m benchmarks.generate --db postgresql://.../g1m --conversations 100000 --messages 1000000
    python -m benchmarks.growth --store 1m=/tmp/g1m.db --store 1m-pg=postgresql://.../g1m \
        --maildir /tmp/some-md

Measured for each store, in this order (service calls, as the TUI's workers make them;
the screen's own cost is ``tui_latency``'s):

- list paging: the first page of the All view, then 20 pages by keyset;
- search per keystroke: every prefix (from 3 letters) of the benchmark's queries, the
  first page, p50 / p95;
- thread open: ``get_thread`` of 20 conversations spread over the list (newest 30
  messages), p50 / p95; and of the largest conversation;
- the Stats screen: ``compute_report(detail=False)`` for 180 days + the period before;
- import throughput (last, since it adds mail): ``import_mail`` of ``--maildir`` into
  the store, messages/s. A re-run imports nothing new (dedupe): run it on a fresh copy.

The store is migrated when opened (the generator's schema is the current one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks._util import report

QUERIES = ["password reset", "github markdown", "partition", "install ubuntu"]


def pct(times: list[float], q: float) -> float:
    times = sorted(times)
    return times[int(q * (len(times) - 1))]


def scan(session: Any) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        session.execute(text("SELECT count(*) FROM message WHERE body <> ''")).scalar()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(label: str, url: str, maildir: Path | None) -> dict[str, float]:
    from inbox_tui.services.conversations import (
        ConversationFilter,
        get_thread,
        list_conversations,
    )
    from inbox_tui.services.mailimport import import_mail
    from inbox_tui.services.search import parse_query
    from inbox_tui.services.stats import compute_report
    from inbox_tui.store import Store

    store = Store(url)
    out: dict[str, float] = {}
    with store.read() as s:
        n = int(s.execute(text("SELECT count(*) FROM message")).scalar_one())
        base = scan(s)
        out["messages"], out["scan_ms"] = n, base * 1000
        # list paging
        flt = ConversationFilter()
        t0 = time.perf_counter()
        rows = list_conversations(s, flt, limit=100)
        out["first_page_ms"] = (time.perf_counter() - t0) * 1000
        pages = []
        for _ in range(20):
            if not rows:
                break
            t0 = time.perf_counter()
            rows = list_conversations(
                s, flt, after=(rows[-1].last_activity_at, rows[-1].id), limit=100
            )
            pages.append(time.perf_counter() - t0)
        out["next_page_p50_ms"] = statistics.median(pages) * 1000
        # search per keystroke
        keys = []
        for q in QUERIES:
            for i in range(3, len(q) + 1):
                t0 = time.perf_counter()
                list_conversations(s, parse_query(q[:i], "me"), limit=50)
                keys.append(time.perf_counter() - t0)
        out["search_p50_ms"], out["search_p95_ms"] = pct(keys, 0.5) * 1000, pct(keys, 0.95) * 1000
        # thread open
        total = int(s.execute(text("SELECT count(*) FROM conversation")).scalar_one())
        step = max(1, total // 20)
        ids = [
            int(x)
            for x in s.execute(
                text("SELECT id FROM conversation WHERE id % :k = 1 ORDER BY id LIMIT 20"),
                {"k": step},
            ).scalars()
        ]
        opens = []
        for cid in ids:
            t0 = time.perf_counter()
            get_thread(s, cid, newest=30)
            opens.append(time.perf_counter() - t0)
        out["thread_p50_ms"], out["thread_p95_ms"] = pct(opens, 0.5) * 1000, pct(opens, 0.95) * 1000
        big = s.execute(
            text("SELECT id FROM conversation ORDER BY message_count DESC LIMIT 1")
        ).scalar_one()
        t0 = time.perf_counter()
        get_thread(s, int(big), newest=30)
        out["largest_thread_ms"] = (time.perf_counter() - t0) * 1000
        # the Stats screen
        until = datetime(2026, 11, 1, tzinfo=UTC)
        since = until - timedelta(days=180)
        stats = []
        for _ in range(3):
            t0 = time.perf_counter()
            compute_report(s, since, until, detail=False)
            stats.append(time.perf_counter() - t0)
        out["stats_ms"] = statistics.median(stats) * 1000
        out["scan_after_ms"] = scan(s) * 1000
    if maildir is not None:
        t0 = time.perf_counter()
        got = import_mail(store, [maildir])
        wall = time.perf_counter() - t0
        out["import_msgs_per_s"] = got.counts.imported / wall if got.counts.imported else 0.0
    store.close()
    base_ms = min(out["scan_ms"], out["scan_after_ms"])
    for key in ("first_page_ms", "search_p95_ms", "thread_p95_ms", "stats_ms"):
        report(f"growth {label}: {key}", out[key], base_ms, "one scan of message", unit="ms")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", action="append", required=True, help="LABEL=path-or-URL")
    ap.add_argument("--maildir", type=Path, help="mail to import into each store (last)")
    args = ap.parse_args(argv)
    os.environ.setdefault("INBOX_TUI_SEMANTIC", "0")
    print(f"load average at start: {os.getloadavg()}")
    rows = []
    for spec in args.store:
        label, _, where = spec.partition("=")
        url = where if "://" in where else f"sqlite:///{Path(where).resolve()}"
        rows.append((label, measure(label, url, args.maildir)))
        print(label, {k: round(v, 1) for k, v in rows[-1][1].items()}, flush=True)
    print(f"load average at end: {os.getloadavg()}")
    keys = list(rows[0][1])
    print("| store | " + " | ".join(keys) + " |")
    for label, r in rows:
        print(f"| {label} | " + " | ".join(f"{r.get(k, 0):,.1f}" for k in keys) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

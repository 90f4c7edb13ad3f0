"""Search per keystroke with plain words that also match the customer's name and
address (``services/fulltext.customer_condition``): the first page and the count, as
the TUI runs them at each keystroke, for growth's text queries (words no customer has)
and for customers' names and addresses typed as words.

    .venv/bin/python -m benchmarks.search_names --db /tmp/big.db [--rounds 3]

It only reads the store. Run it with an older checkout on ``PYTHONPATH`` against the
same store, alternating, for a before/after pair (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.growth import QUERIES

# Words of names and addresses as benchmarks.generate writes them ("Customer 123",
# customer123@c45.example), typed as an agent would.
NAME_QUERIES = ["customer 1234", "customer4321", "c417 example"]


def keystrokes(session, queries: list[str]) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Per keystroke from the third character: the first page (50), then the count."""
    from inbox_tui.services.conversations import count_conversations, list_conversations
    from inbox_tui.services.search import parse_query

    pages, counts = [], []
    for q in queries:
        for i in range(3, len(q) + 1):
            flt = parse_query(q[:i], "me")
            t0 = time.perf_counter()
            list_conversations(session, flt, limit=50)
            pages.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            count_conversations(session, flt)
            counts.append(time.perf_counter() - t0)
    return pages, counts


def pct(times: list[float], q: float) -> float:
    times = sorted(times)
    return times[int(q * (len(times) - 1))] * 1000


def main(argv: list[str] | None = None) -> int:
    from inbox_tui.store import Store, sqlite_url

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="SQLite path or database URL")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    url = args.db if "://" in args.db else sqlite_url(args.db)
    store = Store(url)
    with store.read() as s:
        for label, queries in (("text words", QUERIES), ("names and addresses", NAME_QUERIES)):
            pages: list[float] = []
            counts: list[float] = []
            for _ in range(args.rounds):
                p, c = keystrokes(s, queries)
                pages += p
                counts += c
            print(
                f"{label}: {len(pages)} keystrokes, first page p50 {pct(pages, 0.5):.1f} / "
                f"p95 {pct(pages, 0.95):.1f} ms, count p50 {pct(counts, 0.5):.1f} / "
                f"p95 {pct(counts, 0.95):.1f} ms (median of all {statistics.median(pages) * 1000:.1f})"
            )
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

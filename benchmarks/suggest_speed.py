"""Suggestions per keystroke over 10,000 help articles, as a ratio to one plain FTS5
query over the same articles in the same run.

    python -m benchmarks.suggest_speed [--articles 10000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks._util import report
from benchmarks.generate import load_text

TYPED = [
    "how do i reset my password",
    "export csv missing dates",
    "cannot login after update",
    "delete my account",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    args = ap.parse_args(argv)
    from inbox_tui.models import Article
    from inbox_tui.services.suggest import rank, words
    from inbox_tui.store import Store, sqlite_url

    subjects, sentences = load_text()
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(sqlite_url(Path(tmp) / "kb.db"))

        def fill(s):  # type: ignore[no-untyped-def]
            for i in range(args.articles):
                s.add(
                    Article(
                        slug=f"a{i}",
                        title=rng.choice(subjects)[:200],
                        body=" ".join(rng.choice(sentences) for _ in range(8)),
                    )
                )

        store.run(fill)
        ours, base = [], []
        with store.read() as s:
            rank(s, "warm up", 5)
            for q in TYPED:
                for i in range(3, len(q) + 1):
                    prefix = q[:i]
                    t0 = time.perf_counter()
                    rank(s, prefix, 5)
                    ours.append(time.perf_counter() - t0)
                    terms = words(prefix)
                    if not terms:
                        continue
                    t0 = time.perf_counter()
                    s.execute(
                        text(
                            "SELECT rowid FROM article_fts WHERE article_fts MATCH :m ORDER BY bm25(article_fts) LIMIT 5"
                        ),
                        {"m": " OR ".join(f'"{t}"' for t in terms)},
                    ).all()
                    base.append(time.perf_counter() - t0)
        store.close()
    report(
        f"article suggestions per keystroke, {args.articles:,} articles (median)",
        statistics.median(ours) * 1000,
        statistics.median(base) * 1000,
        "one FTS5 bm25 query",
        unit="ms",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

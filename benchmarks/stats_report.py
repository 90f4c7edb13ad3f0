"""The full stats report over a large store, as a ratio to one sequential scan of the
message table (``SELECT count(*) FROM message``) in the same run.

    python -m benchmarks.stats_report --db /tmp/big.db
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from benchmarks._util import report, timed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--days", type=int, default=180)
    args = ap.parse_args(argv)
    from inbox_tui.services.stats import compute_report
    from inbox_tui.store import Store

    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    store = Store(url)
    until = datetime(2026, 11, 1, tzinfo=UTC)
    with store.read() as s:
        scan = timed(
            lambda: s.execute(text("SELECT count(*) FROM message WHERE body <> ''")).scalar(),
            repeat=3,
        )
        ours = timed(lambda: compute_report(s, until - timedelta(days=args.days), until), repeat=1)
    report(
        f"stats report ({args.days} days + previous period)",
        ours,
        scan,
        "one sequential scan of message (count(*))",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

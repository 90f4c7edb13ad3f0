"""The stats report over a large store, as a ratio to one sequential scan of the
message table (``SELECT count(*) FROM message``) in the same run: the full report the
CLI prints (with feature-request grouping), and what the TUI's Stats screen asks for
(``detail=False``: no grouping, no subjects).

    python -m benchmarks.stats_report --db /tmp/big.db

The store must be at the current schema (opening it migrates it, which backfills the
stats aggregates): run it on a copy of a store made by an older version.
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
    ap.add_argument("--repeat", type=int, default=3, help="runs of each report (median)")
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
        since = until - timedelta(days=args.days)
        full = timed(lambda: compute_report(s, since, until), repeat=args.repeat)
        screen = timed(lambda: compute_report(s, since, until, detail=False), repeat=args.repeat)
        scan_after = timed(
            lambda: s.execute(text("SELECT count(*) FROM message WHERE body <> ''")).scalar(),
            repeat=3,
        )
    # The machine is shared: the baseline is the better of the scans before and after.
    scan = min(scan, scan_after)
    report(
        f"stats report ({args.days} days + previous period)",
        full,
        scan,
        "one sequential scan of message (count(*))",
    )
    report(
        f"stats report as the TUI asks for it ({args.days} days + previous period, no feature-request grouping)",
        screen,
        scan,
        "one sequential scan of message (count(*))",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

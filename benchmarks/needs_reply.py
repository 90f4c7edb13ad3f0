"""The "Needs reply, oldest first" view at scale (#21): count, first page and next page.

    python -m benchmarks.needs_reply --db /tmp/nr.db [--repeat 7]

Prints the medians in milliseconds as JSON. Written against the services only, so the
same script times the code before the waiting time was stored on the conversation
(computed from the messages on every query) and after (``conversation.waiting_since``,
indexed): run it with each checkout on copies of one generated store.
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks._util import timed


def main(argv: list[str] | None = None) -> int:
    from inbox_tui.services.conversations import (
        count_conversations,
        list_conversations,
        view_filter,
    )
    from inbox_tui.store import Store

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="SQLite path or database URL")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--page", type=int, default=100)
    args = p.parse_args(argv)
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    store = Store(url)
    flt = view_filter("needs-reply", "sam")
    out: dict[str, float | int] = {}
    with store.read() as s:
        out["count"] = count_conversations(s, flt)
        first = list_conversations(s, flt, limit=args.page)
        out["count_ms"] = 1000 * timed(lambda: count_conversations(s, flt), args.repeat)
        out["first_page_ms"] = 1000 * timed(
            lambda: list_conversations(s, flt, limit=args.page), args.repeat
        )
        cursor = first[-1].cursor
        out["next_page_ms"] = 1000 * timed(
            lambda: list_conversations(s, flt, after=cursor, limit=args.page), args.repeat
        )
    store.close()
    json.dump({k: round(v, 1) for k, v in out.items()}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

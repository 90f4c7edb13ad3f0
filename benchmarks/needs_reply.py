"""The "Needs reply, oldest first" view at scale (#21): count, first page and next page.

    python -m benchmarks.needs_reply --db /tmp/nr.db [--repeat 7]

    python -m benchmarks.needs_reply --db /tmp/nr.db --time-left [--view open]

Prints the medians in milliseconds as JSON. Written against the services only, so the
same script times the code before the waiting time was stored on the conversation
(computed from the messages on every query) and after (``conversation.waiting_since``,
indexed): run it with each checkout on copies of one generated store.

``--time-left`` times the view sorted by time left (the TUI's ``O``) under a 4-hour
first / 8-hour next response target in Berlin working hours (a tag "vip" 1 hour): its
first, next and last page (``G``); for comparison the view's first page in its own
order under the same targets (each row's due time computed, as the TUI shows them) and
the full sort ``inbox-tui sla`` makes (``sla.waiting``).
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
    p.add_argument("--time-left", action="store_true", help="the time-left order")
    p.add_argument("--view", default="needs-reply")
    args = p.parse_args(argv)
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    store = Store(url)
    flt = view_filter(args.view, "sam")
    if args.time_left:
        return time_left(store, flt, args)
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


def time_left(store, flt, args) -> int:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from inbox_tui.services import sla
    from inbox_tui.services.conversations import (
        by_time_left,
        count_conversations,
        list_conversations,
        row_cursor_at,
    )

    policy = sla.SlaPolicy.from_config(
        {"first_response": "4h", "next_response": "8h", "tags": {"vip": {"first_response": "1h"}}},
        {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"},
    )
    assert policy is not None
    plain = replace(flt, sla_policy=policy)  # the view's own order, its rows' due times
    flt = by_time_left(flt)
    flt.sla_policy = policy
    out: dict[str, float | int] = {}
    with store.read() as s:
        out["own_order_first_page_ms"] = 1000 * timed(
            lambda: list_conversations(s, plain, limit=args.page), args.repeat
        )
        total = count_conversations(s, flt)
        out["count"] = total
        out["waiting"] = len(sla.waiting(s, policy))
        first = list_conversations(s, flt, limit=args.page)
        out["first_page_ms"] = 1000 * timed(
            lambda: list_conversations(s, flt, limit=args.page), args.repeat
        )
        cursor = first[-1].cursor
        out["next_page_ms"] = 1000 * timed(
            lambda: list_conversations(s, flt, after=cursor, limit=args.page), args.repeat
        )

        def last_page() -> None:
            anchor = row_cursor_at(s, flt, max(0, total - args.page) - 1)
            list_conversations(s, flt, after=anchor, limit=args.page)

        out["last_page_ms"] = 1000 * timed(last_page, args.repeat)
        out["full_sort_ms"] = 1000 * timed(lambda: sla.waiting(s, policy), args.repeat)
    store.close()
    json.dump({k: round(v, 1) for k, v in out.items()}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

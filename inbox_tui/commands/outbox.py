"""``inbox-tui outbox flush|list|retry|discard``: the durable reply queue, for cron too."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "outbox",
        help="send queued replies, list, retry or discard them",
        description="The outbox holds every reply until the SMTP server accepted it.",
    )
    osub = p.add_subparsers(title="actions", metavar="ACTION")
    osub.required = True
    f = osub.add_parser("flush", help="send what is due now (run it from cron if no TUI is open)")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=run_flush)
    ls = osub.add_parser("list", help="list queued, failed and recent replies")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)
    r = osub.add_parser("retry", help="queue a failed reply again")
    r.add_argument("id", type=int)
    r.set_defaults(func=run_retry)
    d = osub.add_parser("discard", help="give up on a failed or held reply")
    d.add_argument("id", type=int)
    d.set_defaults(func=run_discard)


def run_flush(ctx: Context) -> int:
    from inbox_tui.services.outbox import flush_outbox

    report = asyncio.run(flush_outbox(ctx.store, ctx.config))
    if ctx.args.json:
        print(json.dumps(report.__dict__))
    else:
        print(
            f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed."
            + (f" Last error: {report.last_error}" if report.last_error else "")
        )
    return 1 if report.failed else 0


def run_list(ctx: Context) -> int:
    from inbox_tui.services.outbox import list_outbox

    with ctx.store.read() as s:
        rows = list_outbox(s)
    if ctx.args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "conversation": r.conversation_id,
                        "status": r.status,
                        "attempts": r.attempts,
                        "error": r.last_error,
                        "message_id": r.message_id,
                    }
                    for r in rows
                ]
            )
        )
        return 0
    for r in rows:
        print(
            f"{r.id:>6}  #{r.conversation_id:<6} {r.status:<9} attempts {r.attempts}"
            + (f"  {r.last_error}" if r.last_error else "")
        )
    return 0


def run_retry(ctx: Context) -> int:
    from inbox_tui.services.replies import retry_outbox

    ctx.store.run(retry_outbox, ctx.args.id)
    print(f"Reply {ctx.args.id} queued again.")
    return 0


def run_discard(ctx: Context) -> int:
    from inbox_tui.services.replies import discard_outbox

    ctx.store.run(discard_outbox, ctx.args.id)
    print(f"Reply {ctx.args.id} discarded.")
    return 0

"""``inbox-tui outbox flush|list|retry|discard``: the durable reply queue, for cron too."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inbox_tui.context import Context
    from inbox_tui.services.outbox import FlushReport


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
    c = osub.add_parser(
        "cancel",
        help="undo send: take back a reply still waiting out its delay ([mail] undo_seconds)",
        description="Takes the reply out of the outbox and the conversation before it is "
        "sent, and prints its text so it can be sent again after an edit.",
    )
    c.add_argument("id", type=int)
    c.set_defaults(func=run_cancel)


def run_flush(ctx: Context) -> int:
    from inbox_tui.services.outbox import flush_outbox

    report = asyncio.run(flush_outbox(ctx.store, ctx.config))
    if ctx.args.json:
        # No ``me`` here: every row is counted above, and ``others`` is always empty.
        print(json.dumps({k: v for k, v in report.__dict__.items() if k != "others"}))
    else:
        print(flush_sentence(report))
    return 1 if report.failed else 0


def flush_sentence(report: FlushReport) -> str:
    """What ``outbox flush`` did, in one line (the demo records replies, sends none: it
    said "0 sent" after recording them)."""
    recorded = f"{report.logged} recorded (the demo inbox sends nothing), " if report.logged else ""
    return f"{recorded}{report.sent} sent, {report.retrying} to retry, {report.failed} failed." + (
        f" Last error: {report.last_error}" if report.last_error else ""
    )


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
                        "delivered_to": "chat outgoing log" if _to_chat_log(r) else None,
                    }
                    for r in rows
                ]
            )
        )
        return 0
    from inbox_tui.models import OutboxStatus, utcnow
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.agent_clock import agent_time, agent_zone

    now, zone = utcnow(), agent_zone(ctx.config.agent.timezone)
    # The demo sends nothing (it records the reply then); a scheduled reply goes at a time.
    verb = "is recorded" if ctx.config.demo else "goes out"
    for r in rows:
        due = ""
        if r.status == OutboxStatus.QUEUED.value and r.attempts == 0:
            goes = _aware(r.next_attempt_at)
            wait = (goes - now).total_seconds()
            when = f"at {agent_time(goes, zone)}" if wait > 120 else f"in {wait:.0f} s"
            due = f"  {verb} {when} (outbox cancel {r.id} takes it back)" if wait > 0 else ""
        where = "  (written to the chat outgoing log for the bridge)" if _to_chat_log(r) else ""
        print(
            f"{r.id:>6}  #{r.conversation_id:<6} {r.status:<9} attempts {r.attempts}"
            + due
            + where
            + (f"  {one_line(r.last_error, 300)}" if r.last_error else "")
        )
    return 0


def _to_chat_log(row: Any) -> bool:
    """A chat reply delivered: written to the outgoing log, where a bridge takes it."""
    from inbox_tui.models import Channel, OutboxStatus

    return bool(row.channel == Channel.CHAT.value and row.status == OutboxStatus.SENT.value)


def _aware(dt):  # type: ignore[no-untyped-def]
    from datetime import UTC

    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def run_retry(ctx: Context) -> int:
    from inbox_tui.services.outbox import retry_outbox

    ctx.store.run(retry_outbox, ctx.args.id)
    print(f"Reply {ctx.args.id} queued again.")
    return 0


def run_cancel(ctx: Context) -> int:
    from inbox_tui.sanitize import for_terminal
    from inbox_tui.services.undo_send import cancel_outbox

    text = ctx.store.run(cancel_outbox, ctx.config.agent.username, ctx.args.id)
    print(f"Reply {ctx.args.id} taken back; nothing was sent. Its text:", file=sys.stderr)
    print(for_terminal(text))
    return 0


def run_discard(ctx: Context) -> int:
    from inbox_tui.services.outbox import discard_outbox

    ctx.store.run(discard_outbox, ctx.args.id)
    print(f"Reply {ctx.args.id} discarded.")
    return 0

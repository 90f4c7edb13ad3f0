"""``inbox-tui mentions [--unread] [--json] [--mark-read]``: the notes that name you
with ``@username`` (the TUI's Mentions view), newest first."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "mentions",
        help="notes that mention you (@username), newest first",
        description="Internal notes that name you with @username. --mark-read marks "
        "the unread ones read (of one conversation with --conversation ID).",
    )
    p.add_argument("--unread", action="store_true", help="only those not read yet")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--mark-read", action="store_true", help="mark them read after listing")
    p.add_argument("--conversation", metavar="ID", help="with --mark-read: only this one")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.commands.conv import conversation_id
    from inbox_tui.errors import UserError
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.export import jsonl
    from inbox_tui.services.mentions import list_mentions, mark_read, unread_count

    if not 1 <= ctx.args.limit <= 10_000:
        raise UserError("--limit must be between 1 and 10,000.")
    only = conversation_id(ctx.args.conversation) if ctx.args.conversation else None
    with ctx.store.read() as s:
        rows = list_mentions(s, ctx.agent, unread_only=ctx.args.unread, limit=ctx.args.limit)
        unread = unread_count(s, ctx.agent)
    from inbox_tui.services.agent_clock import agent_time, agent_zone

    zone = agent_zone(ctx.config.agent.timezone)
    for m in rows:
        if ctx.args.json:
            sys.stdout.write(
                jsonl(
                    {
                        "id": m.id,
                        "conversation": m.conversation_id,
                        "subject": m.subject,
                        "by": m.by,
                        "at": m.at.isoformat(),
                        "read": m.read,
                        "note": m.note,
                    }
                )
            )
        else:
            mark = " " if m.read else "●"
            at = agent_time(m.at, zone, "%Y-%m-%d %H:%M", named=False)  # the agent's clock
            print(
                f"{mark} {m.conversation_id:>7}  {at}  "
                f"{one_line(m.by or '?', 20):<20} {one_line(m.subject, 50):<50}  {one_line(m.note, 100)}"
            )
    print(f"{count(unread, 'unread mention')}.", file=sys.stderr)
    if ctx.args.mark_read:
        done = ctx.store.run(mark_read, ctx.agent, only)
        print(f"Marked {done:,} read.", file=sys.stderr)
    return 0

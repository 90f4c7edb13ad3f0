"""``inbox-tui sla``: the conversations waiting for a reply, most urgent first, with the
time left or overdue against the config's response targets (``[sla]``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.context import Context

MAX_LIMIT = 10_000


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sla",
        help="conversations waiting for a reply, most overdue first",
        description="Open conversations whose customer waits for a reply, ordered by when "
        "the reply is due ([sla] in the config: first and next response targets, in "
        "business hours when [business_hours] is set). Search with sla:breached, "
        "sla:at-risk or sla:due<2h for the same in the TUI.",
    )
    p.add_argument(
        "--state",
        choices=("breached", "at-risk", "all"),
        default="all",
        help="only the breached or at-risk ones (default: every waiting conversation)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.models import utcnow
    from inbox_tui.sanitize import one_line
    from inbox_tui.services import sla
    from inbox_tui.services.export import jsonl

    limit: int = ctx.args.limit
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"--limit must be between 1 and {MAX_LIMIT:,}.")
    policy = sla.SlaPolicy.from_config(ctx.config.sla, ctx.config.business_hours)
    if policy is None:
        raise UserError(
            "No response targets are set; add an [sla] section to the config (see docs/config.md)."
        )
    now = utcnow()
    with ctx.store.read() as s:
        rows = everything = sla.waiting(s, policy)
    wanted = ctx.args.state.replace("-", "_")
    if wanted != "all":
        rows = [d for d in rows if d.state(now, policy.at_risk) == wanted]
    shown = rows[:limit]
    for d in shown:
        if ctx.args.json:
            sys.stdout.write(
                jsonl({"id": d.conversation_id, "subject": d.subject, **d.as_dict(now, policy)})
            )
        else:
            mark = {"breached": "!!", "at_risk": "! "}.get(d.state(now, policy.at_risk), "  ")
            print(
                f"{mark} {d.conversation_id:>7}  {sla.describe(d, now):<16} {d.kind:<5}  "
                f"{one_line(d.subject or '(no subject)', 80)}"
            )
    breached = sum(d.state(now, policy.at_risk) == "breached" for d in everything)
    more = f" ({len(shown):,} shown; --limit to see more)" if len(shown) < len(rows) else ""
    print(f"{len(everything):,} waiting, {breached:,} breached{more}.", file=sys.stderr)
    return 0

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
    p.add_argument(
        "--report",
        action="store_true",
        help="breaches instead: replies sent after their due time, per agent and per tag "
        "(--since/--until, default the last 30 days; --json or --csv), and who is overdue now",
    )
    p.add_argument("--since", metavar="DATE", help="with --report: from this date (UTC)")
    p.add_argument("--until", metavar="DATE", help="with --report: until this date (UTC)")
    p.add_argument("--csv", action="store_true", help="with --report: CSV rows")
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
    if ctx.args.report:
        return _report(ctx, policy, now)
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


def _report(ctx: Context, policy: object, now: object) -> int:
    import csv
    import json
    from datetime import datetime, timedelta

    from inbox_tui.errors import UserError
    from inbox_tui.sanitize import json_terminal_safe, one_line
    from inbox_tui.services import sla

    assert isinstance(policy, sla.SlaPolicy) and isinstance(now, datetime)

    def date(value: str | None, default: datetime, what: str) -> datetime:
        if not value:
            return default
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise UserError(
                f"--{what} {one_line(value, 40)!r} is not a date like 2026-01-31."
            ) from None
        return when if when.tzinfo else when.replace(tzinfo=now.tzinfo)

    until = date(ctx.args.until, now, "until")
    since = date(ctx.args.since, until - timedelta(days=30), "since")
    with ctx.store.read() as s:
        rep = sla.breach_report(s, policy, since, until, now)
    data = rep.as_dict()
    if ctx.args.json:
        print(json_terminal_safe(json.dumps(data, ensure_ascii=False)))
    elif ctx.args.csv:
        w = csv.writer(sys.stdout)
        w.writerow(["by", "name", "responses", "breached"])
        for by in ("agent", "tag"):
            for row in data[f"by_{by}"]:
                w.writerow([by, row["name"], row["responses"], row["breached"]])
    else:
        print(f"{rep.breached:,} of {rep.responses:,} replies came after their target.")
        for by in ("agent", "tag"):
            for row in data[f"by_{by}"]:
                print(
                    f"  {by:<5} {one_line(row['name'], 30):<30} {row['breached']:>5} of {row['responses']:,}"
                )
        for who, n in data["overdue_now"].items():
            print(f"  overdue now: {one_line(who or 'unassigned', 30)}: {n:,}")
    return 0

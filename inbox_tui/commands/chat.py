"""``inbox-tui import chat PATH... [--format auto|jsonl|slack|irc] [--watch]``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_tui.commands import import_group

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = import_group(sub).add_parser(
        "chat",
        help="import chat logs: JSON lines, Slack exports, IRC logs",
        description="Imports chat logs, splitting each channel into conversations (by thread where the format has threads, "
        "else by who talks to whom and gaps in time). Idempotent: a re-import, or a grown log, adds only new lines. "
        "Broken lines are reported with file and line number; the rest is imported.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument(
        "--format",
        choices=["auto", "jsonl", "slack", "irc"],
        default="auto",
        help="default: detected from the content",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"read", "imported", "duplicates", "quarantined", "skipped": {reason: n}, "problems"}',
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="keep following the files and import new lines as they are written",
    )
    p.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.commands.rules import configured, say_fired
    from inbox_tui.services.chatimport import ChatReport, import_chat

    args = ctx.args

    def show(report: ChatReport) -> None:
        if args.json:
            print(json.dumps(report.as_dict()), flush=True)
            return
        c = report.counts
        say_fired(c.rules_fired)
        skipped = ", ".join(f"{n} {reason}" for reason, n in report.skipped.most_common()) or "none"
        print(
            f"{c.read:,} messages read: {c.imported:,} imported, {c.duplicates:,} already there, {c.quarantined:,} quarantined; skipped: {skipped}.",
            flush=True,
        )
        if report.contacts.attributes or report.contacts.removed:
            print(
                f"Customer attributes from the log: {report.contacts.attributes:,} set, "
                f"{report.contacts.removed:,} removed.",
                flush=True,
            )
        for problem in report.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        if len(report.problems) > 20:
            print(f"  … and {len(report.problems) - 20} more problems", file=sys.stderr)

    store, agents, rules = ctx.store, ctx.config.chat_agents, configured(ctx)
    show(import_chat(store, args.paths, fmt=args.format, agents=agents, rules=rules))
    if not args.watch:
        return 0
    seen = {p: _stamp(p) for p in args.paths}
    try:
        while True:
            time.sleep(args.interval)
            changed = [p for p in args.paths if _stamp(p) != seen[p]]
            if changed:
                for p in changed:
                    seen[p] = _stamp(p)
                report = import_chat(store, changed, fmt=args.format, agents=agents, rules=rules)
                if report.counts.imported:
                    show(report)
    except KeyboardInterrupt:
        return 0


def _stamp(path: Path) -> tuple[int, float]:
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file()]
        return (
            sum(p.stat().st_size for p in files),
            max((p.stat().st_mtime for p in files), default=0.0),
        )
    st = path.stat()
    return (st.st_size, st.st_mtime)

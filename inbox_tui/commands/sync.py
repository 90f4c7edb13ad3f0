"""``inbox-tui sync``: fetch new mail from the configured IMAP mailboxes."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from inbox_tui.errors import UserError

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sync",
        help="fetch new mail from the team's IMAP mailboxes",
        description="Fetches new mail from every followed mailbox into the store (incremental; nothing on the server is changed). "
        "--watch keeps going, waiting for new mail with IDLE (polling where the server has no IDLE).",
    )
    p.add_argument("--account", metavar="NAME", help="only this account")
    p.add_argument(
        "--watch", action="store_true", help="keep running and fetch new mail as it arrives"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print per account and mailbox: fetched / imported / duplicates / quarantined",
    )
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.services.mailsync import MailboxReport, SyncReport, sync, watch

    args = ctx.args
    tty = sys.stderr.isatty() and not args.json

    def progress(report: MailboxReport, done: int, total: int) -> None:
        if tty:
            width = 30
            filled = int(width * done / max(total, 1))
            print(
                f"\r{report.account}/{report.mailbox} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def summary(report: SyncReport) -> None:
        if tty:
            print(file=sys.stderr)
        if args.json:
            print(json.dumps(report.as_dict()), flush=True)
        else:
            say_fired(sum(m.counts.rules_fired for m in report.mailboxes))
            for m in report.mailboxes:
                c = m.counts
                note = " (UIDVALIDITY changed: re-read)" if m.uidvalidity_changed else ""
                print(
                    f"{m.account}/{m.mailbox}: {m.fetched} fetched, {c.imported} new, {c.duplicates} already there, {c.quarantined} quarantined{note}",
                    flush=True,
                )
        for err in report.errors:
            print(f"inbox-tui: {err}", file=sys.stderr, flush=True)

    from inbox_tui.commands.rules import configured, say_fired

    store, config, rules = ctx.store, ctx.config, configured(ctx)
    if args.watch:

        async def forever() -> None:
            stop = asyncio.Event()
            await watch(config, store, summary, stop, account=args.account, rules=rules)

        try:
            asyncio.run(forever())
        except KeyboardInterrupt:
            return 0
        return 0
    report = asyncio.run(sync(config, store, account=args.account, progress=progress, rules=rules))
    summary(report)
    if report.errors and not report.mailboxes:
        raise (
            UserError(report.errors[0].split(": ", 1)[-1])
            if len(report.errors) == 1
            else UserError("No account could be synced (see above).")
        )
    return 1 if report.errors else 0

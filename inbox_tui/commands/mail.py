"""``inbox-tui import mail PATH...``: mbox files, Maildir folders and .eml files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_tui.commands import import_group

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = import_group(sub).add_parser(
        "mail",
        help="import mbox files, Maildir folders and .eml files",
        description="Imports every message under the given paths (mbox files, Maildir folders, nested "
        "folders, single .eml files). Idempotent: messages already in the store are counted as "
        "duplicates. Messages that cannot be parsed are kept raw in quarantine with the reason. "
        "Files that are not mail are skipped and listed.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"read", "imported", "duplicates", "quarantined", "skipped"}',
    )
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.mail.parse import attachment_limits
    from inbox_tui.services.mailimport import MailImportReport, import_mail

    tty = sys.stderr.isatty() and not ctx.args.json

    def progress(report: MailImportReport) -> None:
        if tty:
            c = report.counts
            print(
                f"\r{c.read:,} read, {c.imported:,} imported, {c.duplicates:,} duplicates, {c.quarantined:,} quarantined",
                end="",
                file=sys.stderr,
                flush=True,
            )

    from inbox_tui.commands.rules import configured, say_fired
    from inbox_tui.services.replies import config_addresses

    store = ctx.store
    report = import_mail(
        store,
        ctx.args.paths,
        progress=progress,
        limits=attachment_limits(ctx.config),
        rules=configured(ctx),
        own_addresses=frozenset(config_addresses(ctx.config)),
    )
    if tty:
        print(file=sys.stderr)
    if ctx.args.json:
        print(json.dumps(report.as_dict()))
        return 0
    say_fired(report.counts.rules_fired)
    c = report.counts
    print(
        f"{c.read:,} messages read: {c.imported:,} imported, {c.duplicates:,} already there, {c.quarantined:,} quarantined."
    )
    if report.skipped:
        print(f"{len(report.skipped):,} files skipped, each with the reason:", file=sys.stderr)
        for where, reason in report.skipped[:20]:
            print(f"  {where}: {reason}", file=sys.stderr)
        if len(report.skipped) > 20:
            print(f"  … and {len(report.skipped) - 20:,} more", file=sys.stderr)
    if c.quarantined:
        print(
            "Quarantined messages are kept raw with the reason; see them in the TUI's Quarantine view.",
            file=sys.stderr,
        )
    return 0

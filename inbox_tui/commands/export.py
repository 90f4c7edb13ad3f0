"""``inbox-tui export``: every conversation as JSON lines (a backup, and the way scripts
read the store)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "export",
        help="write every conversation as JSON lines",
        description="Writes one JSON object per conversation: id, subject, status, assignee, tags, channel, "
        "contact {name, email}, messages [{message_id, direction, author, sent_at, to, cc, "
        "attachments [{filename, content_type, size, sha256}], body}]. Streams, so any "
        "store size works.",
    )
    p.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.services.export import export_conversations

    out_path: Path | None = ctx.args.output
    if out_path is None:
        count = export_conversations(ctx.store, sys.stdout)
    else:
        tmp = out_path.with_name(out_path.name + ".partial")
        with tmp.open("w", encoding="utf-8") as fh:
            count = export_conversations(ctx.store, fh)
        tmp.replace(out_path)  # a crash never leaves a truncated backup under the real name
    print(f"{count:,} conversations exported.", file=sys.stderr)
    return 0

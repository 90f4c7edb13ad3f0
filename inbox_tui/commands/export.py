"""``inbox-tui export``: every conversation as JSON lines (a backup, and the way scripts
read the store)."""

from __future__ import annotations

import argparse
import os
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
        "--output",
        "-o",
        dest="output_text",
        metavar="FILE",
        help="write here instead of standard output",
    )
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.services.export import export_conversations

    out_path = Path(ctx.args.output_text) if ctx.args.output_text else None
    if out_path is None:
        n = export_conversations(ctx.store, sys.stdout)
    else:
        n = _export_to_file(ctx, out_path)
    from inbox_tui.words import count as counted

    print(f"{counted(n, 'conversation')} exported.", file=sys.stderr)
    return 0


def _export_to_file(ctx: Context, out_path: Path) -> int:
    """Every conversation into ``out_path``, or nothing: the export is written beside it
    and renamed into place, so a crash or a full disk never leaves a truncated backup
    under the real name, and a failure leaves no half file of customer data behind. The
    file is the exporting agent's alone (0600): it holds every customer's mail."""
    from inbox_tui.errors import UserError
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.export import export_conversations

    shown = one_line(str(out_path), 200)
    if str(ctx.args.output_text).endswith(("/", os.sep)) and not out_path.is_dir():
        # "-o nope/" names a folder (Path drops the slash and wrote a file "nope": walk8)
        raise UserError(f"The folder {shown} does not exist; create it or write somewhere else.")
    if out_path.is_dir():
        raise UserError(
            f"{shown} is a folder; give a file name in it, e.g. -o {one_line(str(out_path / 'export.jsonl'), 200)}."
        )
    if not out_path.parent.is_dir():
        raise UserError(
            f"The folder {one_line(str(out_path.parent), 200)} does not exist; create it or write somewhere else."
        )
    tmp = out_path.with_name(out_path.name + ".partial")
    try:
        tmp.unlink(missing_ok=True)  # a leftover's own mode would survive O_CREAT
        with os.fdopen(
            os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8"
        ) as fh:
            count = export_conversations(ctx.store, fh)
        tmp.replace(out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count

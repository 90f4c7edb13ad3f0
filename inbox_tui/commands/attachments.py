"""``inbox-tui attachments CONVERSATION_ID [--json] [--save DIR]``: list a conversation's
attachments, or write them into a folder (names made safe, nothing overwritten)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "attachments",
        help="list a conversation's attachments, or save them to a folder",
        description="Lists each attachment with its message, name, type, size and sha256 "
        '(--json: [{"message_id", "filename", "content_type", "size", "sha256", "status", '
        '"note"}]). --save DIR writes the kept ones into DIR (created if missing): names from '
        "the mail are made safe (one file name, no path, no control characters), existing "
        "files are never overwritten (a number is added), and nothing is written outside DIR.",
    )
    p.add_argument("conversation", type=int, metavar="CONVERSATION_ID")
    p.add_argument("--json", action="store_true", help="machine-readable list")
    p.add_argument("--save", type=Path, metavar="DIR", help="write the attachments into DIR")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.sanitize import json_terminal_safe, one_line
    from inbox_tui.services.attachments import list_attachments, save_attachments
    from inbox_tui.words import size

    conv_id: int = ctx.args.conversation
    if ctx.args.save is not None:
        with ctx.store.read() as s:
            saved = save_attachments(s, conv_id, ctx.args.save)
        written = 0
        for item in saved:
            name = one_line(item.info.filename or "(no name)", 120)
            if item.path is not None:
                written += 1
                print(f"saved   {one_line(str(item.path), 300)}  ({size(item.info.size)})")
            else:
                print(f"skipped {name}: {one_line(item.reason or '', 300)}")
        print(f"{written} of {len(saved)} attachments saved.")
        return 0
    with ctx.store.read() as s:
        items = list_attachments(s, conv_id)
    if ctx.args.json:
        print(json_terminal_safe(json.dumps([i.as_json() for i in items], ensure_ascii=False)))
        return 0
    if not items:
        print(f"Conversation {conv_id} has no attachments.")
        return 0
    for i in items:
        state = "" if i.status == "stored" else f"  [{one_line(i.note or i.status, 200)}]"
        print(
            f"{one_line(i.filename or '(no name)', 80):<40} {one_line(i.content_type, 40):<28} "
            f"{size(i.size):>9}  {(i.sha256 or '-')[:12]}{state}"
        )
    return 0

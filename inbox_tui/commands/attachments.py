"""``inbox-tui attachments CONVERSATION_ID [--json] [--save DIR]``: list a conversation's
attachments, or write them into a folder (names made safe, nothing overwritten)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.context import Context
    from inbox_tui.services.attachments import AttachmentInfo


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "attachments",
        help="list a conversation's attachments, or save them to a folder",
        description="Lists the attachments message by message, each message with its kind "
        "(customer, reply, forward, note), who wrote it and when (on the agent's clock), and "
        "each file with its name, type, size and sha256; a file that an earlier message "
        "already carried says so "
        '(--json: [{"message_id", "filename", "content_type", "size", "sha256", "status", '
        '"note", "internal", "kind", "sent_at"}]). --save DIR writes the kept ones into DIR '
        "(created if missing), each distinct file once (--all: every copy too): names from "
        "the mail are made safe (one file name, no path, no control characters), existing "
        "files are never overwritten (a number is added), and nothing is written outside DIR.",
    )
    p.add_argument("conversation", type=int, metavar="CONVERSATION_ID")
    p.add_argument("--json", action="store_true", help="machine-readable list")
    p.add_argument("--save", type=Path, metavar="DIR", help="write the attachments into DIR")
    p.add_argument(
        "--all",
        action="store_true",
        help="with --save: also the copies of a file that several messages carry",
    )
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.sanitize import json_terminal_safe
    from inbox_tui.services.attachments import list_attachments

    conv_id: int = ctx.args.conversation
    if ctx.args.all and ctx.args.save is None:
        from inbox_tui.errors import UserError

        raise UserError("--all goes with --save DIR: it saves every copy of a file too.")
    if ctx.args.save is not None:
        return _save(ctx, conv_id)
    with ctx.store.read() as s:
        items = list_attachments(s, conv_id)
    if ctx.args.json:
        print(json_terminal_safe(json.dumps([i.as_json() for i in items], ensure_ascii=False)))
        return 0
    if not items:
        print(f"Conversation {conv_id} has no attachments.")
        return 0
    _print_list(items, ctx.config.agent.timezone)
    return 0


def _print_list(items: list[AttachmentInfo], timezone: str | None) -> None:
    """Message by message: a line naming it (kind, who, when on the agent's clock), then
    its files, indented; a file an earlier message carried says so."""
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.agent_clock import agent_time, agent_zone
    from inbox_tui.words import size

    zone = agent_zone(timezone)
    seen: dict[str, AttachmentInfo] = {}
    message = None
    for i in items:
        if i.message_row_id != message:
            message = i.message_row_id
            when = agent_time(i.sent_at, zone, "%Y-%m-%d %H:%M") if i.sent_at else "(no date)"
            print(f"{i.kind:<8} {one_line(i.author or 'unknown', 60)}  {when}")
        state = "" if i.status == "stored" else f"  [{one_line(i.note or i.status, 200)}]"
        first = seen.setdefault(i.sha256, i) if i.sha256 else i
        if first is not i:
            state += f"  (same file as the {first.kind}'s {one_line(first.filename, 60)} above)"
        print(
            f"  {one_line(i.filename or '(no name)', 80):<38} {one_line(i.content_type, 40):<28} "
            f"{size(i.size):>9}  {(i.sha256 or '-')[:12]}{state}"
        )


def _save(ctx: Context, conv_id: int) -> int:
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.attachments import save_attachments
    from inbox_tui.words import count, size

    with ctx.store.read() as s:
        saved = save_attachments(s, conv_id, ctx.args.save, distinct=not ctx.args.all)
    written = copies = 0
    for item in saved:
        name = one_line(item.info.filename or "(no name)", 120)
        if item.path is not None:
            written += 1
            print(f"saved   {one_line(str(item.path), 300)}  ({size(item.info.size)})")
        elif item.copy_of is not None:
            copies += 1
            first = item.copy_of
            print(
                f"same    {name} ({item.info.kind}): the same file as the {first.kind}'s "
                f"{one_line(first.filename or '(no name)', 120)}, saved above"
            )
        else:
            print(f"skipped {name}: {one_line(item.reason or '', 300)}")
    if copies:
        print(
            f"{count(written, 'file')} saved; {count(copies, 'copy')} of files saved above "
            f"{'was' if copies == 1 else 'were'} left out (--all writes them too)."
        )
    else:
        print(f"{written} of {len(saved)} attachments saved.")
    return 0

"""Which chat format is this? Decided by content, not by file name."""

from __future__ import annotations

from pathlib import Path

from inbox_tui.errors import UserError
from inbox_tui.sources.chat import irc, jsonl, slack

FORMATS = ("jsonl", "slack", "irc")


def detect(path: Path) -> str:
    if slack.is_export(path):
        return "slack"
    if path.is_dir():
        raise UserError(
            f"{path} is a folder but not a Slack export (no channels.json); give the log files themselves."
        )
    with path.open("rb") as fh:
        head = fh.read(8192)
    text = head.decode("utf-8", errors="replace")
    if not text.strip():
        return "empty"
    if jsonl.sniff(text) or (text.lstrip().startswith('{"') and "\n" not in text.strip()):
        # (the second: a first JSON line longer than the sniffed head; the reader skips
        # a line over its cap with a reason)
        return "jsonl"
    if irc.sniff(text):
        return "irc"
    if b"\x00" in head:
        raise UserError(f"{path} looks like a binary file, not a chat log.")
    raise UserError(f"Cannot tell the chat format of {path}; pass --format jsonl, slack or irc.")

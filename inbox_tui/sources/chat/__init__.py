"""Chat logs as a source: one module per format, each turning a file (or export folder)
into ``ChatLine`` values; ``split`` groups a channel's lines into conversations; the
import service turns them into ``IncomingMessage`` for the one ingest path.

Every input line ends up as exactly one of: a message, or a skip with a reason (join
and leave notices, bot noise, blank lines) or a problem with file and line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from inbox_tui import sanitize

# One chat line (a JSONL record, an IRC line) longer than this is skipped with a reason,
# read in pieces so a 200 MB single-line file never sits in memory whole.
MAX_LINE_BYTES = 1024 * 1024
# A Slack day file (one JSON list) larger than this is skipped.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class ChatLine:
    channel: str  # the room: "#ubuntu", "slack:general", the JSONL conversation id
    author: str  # display name or nick
    handle: str  # stable identity: "irc:nick", "slack:U024BE7LH", "jsonl:ann@x.com"
    text: str
    at: datetime
    external_id: str  # stable within the source: re-importing a grown log adds only what is new
    email: str | None = None
    thread: str | None = (
        None  # an explicit thread from the format (Slack thread_ts, JSONL conversation)
    )
    reply_to: str | None = None  # external id this line answers, where the format says so
    addressed: list[str] = field(default_factory=list)  # nicks/handles this line speaks to
    line_no: int = 0
    utc_offset: int | None = None  # the writer's UTC offset in minutes, where the log says
    # The writer's attributes as the log gives them (a JSONL ``contact`` object, a Slack
    # profile), checked by ``sources.attributes.clean``; "" removes one.
    attributes: dict[str, str] = field(default_factory=dict)
    # Sentences about attributes that were left out (the line itself is imported).
    problems: list[str] = field(default_factory=list)
    # A customer's rating of the conversation (good / ok / bad): such a line is no
    # message; the import records it against its conversation (JSONL "rating").
    rating: str | None = None

    def __post_init__(self) -> None:
        # The boundary for chat text, by construction: every format's reader builds
        # ChatLine, so none can hand on ESC, C1, NUL or bidi controls (a channel name
        # with ESC reached conversation.source and the message's external id).
        self.channel = sanitize.one_line(self.channel, 300)
        self.author = sanitize.one_line(self.author, 300)
        self.handle = sanitize.one_line(self.handle, 400)
        self.text = sanitize.for_display(self.text)
        self.external_id = sanitize.one_line(self.external_id, 900)
        self.email = sanitize.one_line(self.email, 320) or None if self.email else None
        self.thread = sanitize.one_line(self.thread, 300) or None if self.thread else None
        self.reply_to = sanitize.one_line(self.reply_to, 900) or None if self.reply_to else None
        self.addressed = [sanitize.one_line(a, 100) for a in self.addressed[:50]]


@dataclass
class Skip:
    where: str
    reason: str
    problem: bool = False  # a broken line (reported) rather than expected noise


def bounded_lines(fh: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """``(line_no, raw)`` for each line of a binary file; ``raw`` is None for a line over
    ``MAX_LINE_BYTES`` (its bytes are read through and dropped, never held whole)."""
    line_no = 0
    while True:
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:
                rest = fh.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield line_no, None
        else:
            yield line_no, raw
        line_no += 1


def too_long(where: str) -> Skip:
    return Skip(where, f"a line over {MAX_LINE_BYTES // 1024:,} KB, not read", problem=True)


def unreadable(where: str, exc: BaseException) -> Skip:
    """A line a reader could not make sense of, for a reason nobody foresaw: reported
    with its place, and the import goes on (one bad line never aborts a file)."""
    return Skip(where, f"unreadable ({exc.__class__.__name__})", problem=True)

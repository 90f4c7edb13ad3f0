"""Chat logs as a source: one module per format, each turning a file (or export folder)
into ``ChatLine`` values; ``split`` groups a channel's lines into conversations; the
import service turns them into ``IncomingMessage`` for the one ingest path.

Every input line ends up as exactly one of: a message, or a skip with a reason (join
and leave notices, bot noise, blank lines) or a problem with file and line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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


@dataclass
class Skip:
    where: str
    reason: str
    problem: bool = False  # a broken line (reported) rather than expected noise

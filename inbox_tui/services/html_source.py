"""A message's original HTML (#18): the thread shows HTML mail as laid-out text
(inscriptis); the agent who wants it as sent can read the HTML source as text (control
and bidi characters removed by ``sanitize``: markup is shown, never interpreted) or open
it in the system's browser through a temporary file, as mutt users do. That file starts
with a Content-Security-Policy that forbids scripts and every remote fetch (tracking
pixels, remote images), so opening it tells nobody the mail was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from inbox_tui.errors import UserError
from inbox_tui.models import Direction, Message
from inbox_tui.sanitize import for_display
from inbox_tui.services import core
from inbox_tui.services.attachments import read_blob, write_new_file

MAX_SOURCE_CHARS = 2_000_000
# No script, no frame, no remote anything: images only from the message itself.
SAFE_HEAD = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data: cid:; style-src 'unsafe-inline'; font-src data:\">\n"
    '<meta name="referrer" content="no-referrer">\n'
)


@dataclass
class HtmlMessage:
    message_row_id: int
    author: str  # untrusted: sanitise before showing
    sent_at: datetime


def html_messages(session: Session, conversation_id: int) -> list[HtmlMessage]:
    """The conversation's messages that came with an HTML part, newest first."""
    core.lock_conversation(session, conversation_id)
    rows = session.exec(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .where(Message.direction != Direction.NOTE.value)
        .where(col(Message.html_sha256).is_not(None))
        .order_by(col(Message.sent_at).desc(), col(Message.id).desc())
    ).all()
    return [
        HtmlMessage(int(m.id or 0), m.author_name or m.author_email or "", m.sent_at) for m in rows
    ]


def _html_bytes(session: Session, conversation_id: int, message_row_id: int) -> bytes:
    m = session.get(Message, message_row_id)
    if m is None or m.conversation_id != conversation_id:
        raise UserError(f"Message {message_row_id} is not in conversation {conversation_id}.")
    if m.html_sha256 is None:
        raise UserError(
            "This message has no original HTML kept (it was plain text, or it was imported "
            "before HTML was kept)."
        )
    data = read_blob(session, m.html_sha256)
    if data is None:
        raise UserError("The original HTML of this message is missing from the store.")
    return data


def html_source(session: Session, conversation_id: int, message_row_id: int) -> str:
    """The HTML as text to read in the TUI: every control and bidi character removed,
    nothing interpreted; the first 2 million characters."""
    text = _html_bytes(session, conversation_id, message_row_id).decode("utf-8", "replace")
    more = len(text) > MAX_SOURCE_CHARS
    text = for_display(text[:MAX_SOURCE_CHARS])
    if more:
        text += "\n[… the rest is not shown]"
    return text


def html_file(session: Session, conversation_id: int, message_row_id: int) -> Path:
    """The HTML in a private temporary folder (mode 0700), behind a policy that blocks
    scripts and remote fetches, for the system's browser."""
    import tempfile

    data = _html_bytes(session, conversation_id, message_row_id)
    folder = Path(tempfile.mkdtemp(prefix="inbox-tui-html-"))
    page = SAFE_HEAD.encode() + data
    return write_new_file(folder, f"message-{message_row_id}.html", page)

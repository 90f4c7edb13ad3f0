"""Attachments of a conversation: list them, read their bytes, save them to a folder.

The bytes live once per distinct file in ``blob`` (sha256); each message's
``attachments`` JSON lists name, type, size, sha256 and status. Names come from
strangers: saving goes through ``sanitize.safe_filename`` (one path component, no
control characters, not hidden), never overwrites (``name (2).pdf``), and creates each
file with ``O_EXCL | O_NOFOLLOW`` inside the folder the agent named, so nothing is
written anywhere else whatever the mail says.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from inbox_tui.errors import UserError
from inbox_tui.mail.outgoing import OutgoingAttachment, guess_type
from inbox_tui.models import FORWARD_SOURCE, Agent, AttachmentStatus, Blob, Direction, Message
from inbox_tui.sanitize import one_line, safe_filename, short_filename
from inbox_tui.services import core
from inbox_tui.store import blobs

if TYPE_CHECKING:
    from inbox_tui.config import MailSettings


@dataclass
class AttachmentInfo:
    message_row_id: int
    message_id: str | None  # the message's Message-ID
    position: int
    filename: str  # as the mail gave it (untrusted: sanitise before showing)
    content_type: str
    size: int
    sha256: str | None
    status: str
    note: str | None
    # Who sent the message it came with (untrusted: sanitise): an agent by the name the
    # store has now (one name per agent, whatever each message was written under).
    author: str = ""
    sent_at: datetime | None = None
    internal: bool = False  # attached to an internal note (never sent to anyone)
    kind: str = "customer"  # the message's: customer, reply, forward or note (``kind_of``)

    def as_json(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "status": self.status,
            "note": self.note,
            "internal": self.internal,
            "kind": self.kind,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


def kind_of(direction: str, source: str) -> str:
    """What a message is, as lists of files name it: the customer's (any mail that came
    in), our reply, our forward, or an internal note."""
    if direction == Direction.NOTE.value:
        return "note"
    if direction == Direction.OUTBOUND.value:
        return "forward" if source == FORWARD_SOURCE else "reply"
    return "customer"


@dataclass
class Saved:
    info: AttachmentInfo
    path: Path | None  # None: not saved (see ``reason``)
    reason: str | None = None
    copy_of: AttachmentInfo | None = None  # left out: the same file was saved above


def entries(raw: str | None) -> list[dict[str, object]]:
    """A message's attachment list, old rows (name and size only) included."""
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def list_attachments(session: Session, conversation_id: int) -> list[AttachmentInfo]:
    """Every attachment of the conversation's messages and internal notes, oldest
    first."""
    core.lock_conversation(session, conversation_id)  # one sentence if it is gone
    rows = session.execute(
        sa_select(
            col(Message.id),
            col(Message.message_id),
            col(Message.attachments),
            col(Message.author_name),
            col(Message.author_email),
            col(Message.sent_at),
            col(Message.direction),
            col(Message.source),
            col(Agent.name),
            col(Agent.username),
        )
        .outerjoin(Agent, col(Agent.id) == col(Message.agent_id))
        .where(col(Message.conversation_id) == conversation_id)
        .where(col(Message.attachments).is_not(None))
        .order_by(col(Message.sent_at), col(Message.id))
    ).all()
    out = []
    for row_id, mid, raw, name, addr, sent_at, direction, source, agent, username in rows:
        author = (agent or username) if username else (name or addr)
        for pos, item in enumerate(entries(raw)):
            sha = item.get("sha256")
            out.append(
                AttachmentInfo(
                    message_row_id=int(row_id or 0),
                    message_id=mid,
                    position=pos,
                    filename=str(item.get("name") or ""),
                    content_type=str(
                        item.get("type") or item.get("content_type") or "application/octet-stream"
                    ),
                    size=int(item.get("size") or 0),  # type: ignore[call-overload]
                    sha256=str(sha) if sha else None,
                    status=str(item.get("status") or "not_kept"),
                    note=str(item["note"]) if item.get("note") else None,
                    author=author or "",
                    sent_at=sent_at,
                    internal=direction == Direction.NOTE.value,
                    kind=kind_of(direction, source),
                )
            )
    return out


def read_blob(session: Session, sha256: str) -> bytes | None:
    blob = session.get(Blob, sha256)
    return blob.data if blob is not None else None


def why_not_kept(info: AttachmentInfo) -> str | None:
    """Why the file's bytes are not here to save, view or open (None: they are)."""
    return None if info.sha256 else _not_saved_reason(info)


def _not_saved_reason(info: AttachmentInfo) -> str:
    if info.status == AttachmentStatus.TOO_LARGE.value:
        return info.note or f"it was too large to keep ({info.size:,} bytes)"
    if info.status == AttachmentStatus.UNREADABLE.value:
        return info.note or "its encoding was broken, so nothing was kept"
    return "it was imported before attachments were kept; only its name and size are known"


def save_attachments(
    session: Session,
    conversation_id: int,
    folder: Path,
    *,
    only: set[int] | None = None,
    distinct: bool = False,
) -> list[Saved]:
    """Write the conversation's kept attachments into ``folder`` (created if missing).
    ``only``: message row ids to limit to. ``distinct``: each file (sha256) once, its
    copies (a forward or a note carrying the customer's file again) left out and named
    with the one saved. Never overwrites, never leaves ``folder``."""
    folder = folder.expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise UserError(f"{one_line(str(folder))} exists and is not a folder.") from exc
    except PermissionError as exc:
        raise UserError(
            f"Cannot create the folder {one_line(str(folder))}: permission denied."
        ) from exc
    if not folder.is_dir():
        raise UserError(f"{one_line(str(folder))} is not a folder.")
    real = folder.resolve()
    out: list[Saved] = []
    first: dict[str, AttachmentInfo] = {}
    for info in list_attachments(session, conversation_id):
        if only is not None and info.message_row_id not in only:
            continue
        if info.sha256 is None or info.status != AttachmentStatus.STORED.value:
            out.append(Saved(info, None, _not_saved_reason(info)))
            continue
        if distinct and info.sha256 in first:
            out.append(Saved(info, None, "the same file was saved above", first[info.sha256]))
            continue
        first.setdefault(info.sha256, info)
        data = read_blob(session, info.sha256)
        if data is None:
            out.append(Saved(info, None, "its bytes are missing from the store"))
            continue
        out.append(Saved(info, write_new_file(real, safe_filename(info.filename), data)))
    return out


def write_new_file(folder: Path, name: str, data: bytes) -> Path:
    """Create ``folder/name`` (or ``name (2)``, ``name (3)``, …) exclusively and write
    ``data``. ``name`` must already be a safe single component."""
    if "/" in name or name in ("", ".", ".."):
        raise ValueError(f"unsafe file name {name!r}")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    for n in range(1, 10_000):
        candidate = name if n == 1 else (f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})")
        path = folder / candidate
        try:
            fd = os.open(
                path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o640
            )
        except FileExistsError:
            continue
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)
        return path
    raise UserError(f"Too many files named like {one_line(name)} in {one_line(str(folder))}.")


TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-patch")
MAX_VIEW_BYTES = 2 * 1024 * 1024


def is_text(info: AttachmentInfo) -> bool:
    name = info.filename.lower()
    return info.content_type.startswith(TEXT_TYPES) or name.endswith(
        (".log", ".csv", ".txt", ".patch", ".diff", ".json", ".md", ".yaml", ".yml", ".xml")
    )


def attachment_text(session: Session, info: AttachmentInfo) -> str:
    """A text attachment (log, CSV, patch) as text to read in the TUI: UTF-8, else
    cp1252, control characters removed, the first 2 MB. Raises UserError for a file
    that is not text or was not kept."""
    from inbox_tui.sanitize import for_display

    if info.sha256 is None or info.status != AttachmentStatus.STORED.value:
        raise UserError(f"{one_line(info.filename)} cannot be shown: {_not_saved_reason(info)}.")
    if not is_text(info):
        raise UserError(
            f"{one_line(info.filename)} is {one_line(info.content_type)}, not text; save it to open it."
        )
    data = read_blob(session, info.sha256) or b""
    more = len(data) > MAX_VIEW_BYTES
    data = data[:MAX_VIEW_BYTES]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    text = for_display(text.replace("\r\n", "\n"))
    if more:
        text += f"\n[… the rest of the {info.size:,} bytes is not shown; save the file to read it]"
    return text


# -- one attachment, for the TUI's attachments dialog -----------------------------------


def find_attachment(
    session: Session, conversation_id: int, message_row_id: int, position: int
) -> AttachmentInfo:
    """One attachment of the conversation by its message and place; UserError if gone."""
    for info in list_attachments(session, conversation_id):
        if info.message_row_id == message_row_id and info.position == position:
            return info
    raise UserError("That attachment is no longer in this conversation.")


def _kept_bytes(session: Session, info: AttachmentInfo, doing: str) -> bytes:
    if info.sha256 is None or info.status != AttachmentStatus.STORED.value:
        raise UserError(f"{one_line(info.filename)} cannot be {doing}: {_not_saved_reason(info)}.")
    data = read_blob(session, info.sha256)
    if data is None:
        raise UserError(
            f"{one_line(info.filename)} cannot be {doing}: its bytes are missing from the store."
        )
    return data


def save_one(
    session: Session, conversation_id: int, message_row_id: int, position: int, folder: Path
) -> Path:
    """Save one attachment into ``folder`` (created if missing) under its sanitised name,
    never overwriting (``name (2).pdf``). Returns the path written."""
    info = find_attachment(session, conversation_id, message_row_id, position)
    data = _kept_bytes(session, info, "saved")
    folder = Path(folder).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise UserError(f"{one_line(str(folder))} exists and is not a folder.") from exc
    except PermissionError as exc:
        raise UserError(
            f"Cannot create the folder {one_line(str(folder))}: permission denied."
        ) from exc
    try:
        return write_new_file(folder.resolve(), safe_filename(info.filename), data)
    except PermissionError as exc:
        raise UserError(f"Cannot write into {one_line(str(folder))}: permission denied.") from exc


def default_folder(home: Path | None = None, cwd: Path | None = None) -> Path:
    """Where a saved attachment goes unless the agent says otherwise: ~/Downloads when
    there is one, else the current folder."""
    downloads = (home or Path.home()) / "Downloads"
    return downloads if downloads.is_dir() else (cwd or Path.cwd())


def temp_copy(session: Session, conversation_id: int, message_row_id: int, position: int) -> Path:
    """The attachment written to a private temporary folder (mode 0700) under its
    sanitised name, for the system's handler to open."""
    import tempfile

    info = find_attachment(session, conversation_id, message_row_id, position)
    data = _kept_bytes(session, info, "opened")
    folder = Path(tempfile.mkdtemp(prefix="inbox-tui-open-"))
    return write_new_file(folder, safe_filename(info.filename), data)


def is_image(info: AttachmentInfo) -> bool:
    return info.content_type.startswith("image/") or info.filename.lower().endswith(
        (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp")
    )


MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded


def preview_image(
    session: Session, conversation_id: int, message_row_id: int, position: int, box: int = 480
) -> object:
    """An image attachment decoded and shrunk to fit ``box`` pixels (a PIL image in RGB),
    for a preview. UserError for a file that is not a readable image, or a huge one."""
    import io

    from PIL import Image, UnidentifiedImageError

    info = find_attachment(session, conversation_id, message_row_id, position)
    data = _kept_bytes(session, info, "shown")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise UserError(
                    f"{one_line(info.filename)} is {img.width}×{img.height} pixels, too large "
                    "to preview; save it to look at it."
                )
            img.draft("RGB", (box, box))  # JPEG: decode small at once
            img.thumbnail((box, box))
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UserError(
            f"{one_line(info.filename)} is not an image that can be shown ({exc.__class__.__name__}); "
            "save it to open it."
        ) from exc


# -- files an agent attaches (a reply, a forward, an internal note) ---------------------


def read_attachments(
    paths: Sequence[str | Path], mail: MailSettings, nothing: str = "nothing was sent"
) -> list[OutgoingAttachment]:
    """Files the agent attaches, read whole, with the size caps of ``[mail]``. Raises
    UserError (ending in ``nothing``: nothing is queued or saved) for a missing,
    unreadable or too large file."""
    from inbox_tui import words

    out: list[OutgoingAttachment] = []
    total = 0
    cap = mail.max_attachment_bytes
    for raw_path in paths:
        path = Path(raw_path).expanduser()
        shown = one_line(str(path), 300)
        try:
            if not path.is_file():
                raise FileNotFoundError(path)
            size = path.stat().st_size
            if size > cap:
                raise UserError(
                    f"{shown} is {words.size(size)}, over the {words.size(cap)} limit for one attachment; {nothing}."
                )
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise UserError(f"There is no file {shown}; {nothing}.") from exc
        except PermissionError as exc:
            raise UserError(f"{shown} cannot be read (permission denied); {nothing}.") from exc
        total += len(data)
        if total > mail.max_message_attachment_bytes:
            limit = words.size(mail.max_message_attachment_bytes)
            raise UserError(f"The attachments add up to over {limit}; {nothing}.")
        # The name the customer's mail client shows and saves under: one clean component
        # (a file on the agent's disk may be named with ESC or U+202E too).
        name = safe_filename(path.name)
        out.append(OutgoingAttachment(name, guess_type(name), data))
    return out


def files_json(session: Session, files: Sequence[OutgoingAttachment]) -> str | None:
    """A message's ``attachments`` JSON for files an agent attached, their bytes kept in
    ``blob`` like an import's (once per sha256)."""
    if not files:
        return None
    conn = session.connection()
    return json.dumps(
        [
            {
                "name": short_filename(f.filename, 300),
                "type": f.content_type,
                "size": len(f.data),
                "sha256": blobs.put(conn, f.data),
                "status": AttachmentStatus.STORED.value,
            }
            for f in files
        ],
        ensure_ascii=False,
    )


def stored_attachments(session: Session, m: Message) -> list[OutgoingAttachment]:
    """The attachments of a stored message whose bytes the store kept."""
    out = []
    for item in entries(m.attachments):
        sha = item.get("sha256")
        blob = session.get(Blob, str(sha)) if sha else None
        if blob is not None:
            name = str(item.get("name") or "attachment")
            ctype = str(item.get("type") or item.get("content_type") or "application/octet-stream")
            out.append(OutgoingAttachment(name, ctype, blob.data))
    return out


def carried_files(
    session: Session, messages: Sequence[Message], room: int
) -> tuple[list[OutgoingAttachment], int]:
    """The kept files of messages forwarded quoted (a conversation's), oldest first,
    each once however often it was sent, as many as fit in ``room`` bytes; and how
    many did not fit (the review says so)."""
    out: list[OutgoingAttachment] = []
    seen: set[str] = set()
    left_out = 0
    for m in messages:
        for f in stored_attachments(session, m):
            digest = hashlib.sha256(f.data).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            if len(f.data) > room:
                left_out += 1
                continue
            room -= len(f.data)
            out.append(f)
    return out, left_out

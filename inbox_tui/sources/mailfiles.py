"""Mail on disk: mbox files, Maildir folders (nested too), single .eml files.

``iter_mail(paths)`` walks what it is given and yields one ``RawMail`` at a time (an
mbox is streamed, never loaded whole), or a ``Skipped`` for a file that is not mail at
all (a README, a JSON file). External ids are stable across runs, so a re-import is a
no-op even for messages without a Message-ID: a Maildir file by its unique name (without
the ``:2,flags`` part that changes when mail is read), an mbox message by file and byte
offset, any other file by its absolute path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inbox_tui.errors import UserError
from inbox_tui.paths import OUTSIDE, inside, real_root

_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,100}:")
MAX_FILE_BYTES = 50 * 1024 * 1024
# An mbox message keeps at most this much (the parser reads no more: MAX_RAW_BYTES).
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_LINE_PIECE = 1024 * 1024
MAIL_SUFFIXES = {".eml", ".msg", ".mail"}


@dataclass
class RawMail:
    external_id: str
    raw: bytes
    where: str  # for messages: file, or file @ offset
    # When the server got it (IMAP's INTERNALDATE): a Date far ahead of it is not
    # believed. None: unknown, and the parser compares with the clock instead.
    received_at: datetime | None = None


@dataclass
class Skipped:
    where: str
    reason: str


class MailPathError(UserError):
    pass


def iter_mail(paths: list[Path]) -> Iterator[RawMail | Skipped]:
    """Every message under ``paths``. Raises MailPathError (before yielding anything)
    when a path does not exist or cannot be read."""
    for path in paths:
        if not path.exists():
            raise MailPathError(f"{path} does not exist.")
        if not os.access(path, os.R_OK) or (path.is_dir() and not os.access(path, os.X_OK)):
            raise MailPathError(f"{path} cannot be read: permission denied.")
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield from _file(path, explicit=True)


def _walk(root: Path) -> Iterator[RawMail | Skipped]:
    """Every file below ``root``; links to folders are not followed (os.walk) and links
    to files outside ``root`` are skipped with a reason, never read."""
    real = real_root(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        here = Path(dirpath)
        if here.name == "tmp" and (here.parent / "cur").is_dir():
            continue  # Maildir tmp/: messages still being delivered
        for name in sorted(filenames):
            # os.walk does not enter linked folders: only a link can lead outside.
            if os.path.islink(here / name) and not inside(here / name, real):
                yield Skipped(str(here / name), OUTSIDE)
                continue
            yield from _file(here / name, explicit=False)


def _file(path: Path, *, explicit: bool) -> Iterator[RawMail | Skipped]:
    where = str(path)
    in_maildir = path.parent.name in ("cur", "new") and (path.parent.parent / "cur").is_dir()
    try:
        st = path.stat()
        size = st.st_size
        if size > MAX_FILE_BYTES and not _starts_with_from(path):
            yield Skipped(
                where, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB and not an mbox"
            )
            return
        with path.open("rb") as fh:
            head = fh.read(4096)
    except PermissionError:
        yield Skipped(where, "permission denied")
        return
    except OSError as exc:
        yield Skipped(where, f"cannot be read ({exc.strerror})")
        return
    if head.startswith(b"From "):
        yield from _mbox(path)
        return
    looks_like_mail = bool(_HEADER_LINE.match(head.lstrip(b"\r\n")))
    if not (looks_like_mail or in_maildir or path.suffix.lower() in MAIL_SUFFIXES or explicit):
        yield Skipped(where, "not an email message" if head.strip() else "empty file")
        return
    if in_maildir:
        external_id = "maildir:" + path.name.split(":2,")[0]
    else:
        external_id = f"file:{path.resolve()}"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield Skipped(where, f"cannot be read ({exc.strerror})")
        return
    # A Maildir file's mtime is when it was delivered (Dovecot's INTERNALDATE for it):
    # a Date far ahead counts from then, as when the same mail is synced over IMAP.
    delivered = datetime.fromtimestamp(int(st.st_mtime), UTC) if in_maildir else None
    yield RawMail(external_id, raw, where, delivered)


def _starts_with_from(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _mbox(path: Path) -> Iterator[RawMail]:
    """Stream an mbox: a message starts at a 'From ' line at the file start or after a
    blank line; '>From ' quoting (mboxrd) is undone. Memory stays bounded whatever the
    file holds: lines are read in pieces of at most ``MAX_LINE_PIECE`` bytes, and a
    message keeps only its first ``MAX_MESSAGE_BYTES`` (+1, so the parser knows it was
    cut and says so); the rest is read through, not kept."""
    resolved = path.resolve()
    with path.open("rb") as fh:
        start = 0
        offset = 0
        lines: list[bytes] = []
        kept = 0
        previous_blank = True
        while True:
            line = fh.readline(MAX_LINE_PIECE)
            if not line:
                break
            size = len(line)
            if line.startswith(b"From ") and previous_blank:
                if lines:
                    yield _mbox_message(resolved, start, lines)
                lines, kept = [], 0
                start = offset
            else:
                if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                    line = line[1:]
                if kept <= MAX_MESSAGE_BYTES:
                    lines.append(line)
                    kept += len(line)
            offset += size
            previous_blank = line in (b"\n", b"\r\n")
        if lines:
            yield _mbox_message(resolved, start, lines)


def _mbox_message(path: Path, offset: int, lines: list[bytes]) -> RawMail:
    # The blank line before the next "From " belongs to the mbox, not the message.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    raw = b"".join(lines)[: MAX_MESSAGE_BYTES + 1]
    return RawMail(f"mbox:{path}:{offset}", raw, f"{path} @ byte {offset}")

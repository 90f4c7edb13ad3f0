"""Writing a reply in ``$EDITOR``, as aerc and mutt users expect.

``edit_reply`` writes the reply (its headers on top, for reference, then a blank line and
the text) to a private temporary file, runs the editor on it and reads it back. The TUI
only suspends itself around the call (``App.suspend``) and puts the text back in the
composer; the draft is saved in the store before and after, so nothing typed is lost
even if the editor or the terminal dies.

The headers are shown, not obeyed: who a reply goes to is decided by the conversation,
never by a line in a file (a stray edit must not send a customer's reply to someone
else). Edited headers are reported so the TUI can say they were ignored.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inbox_tui import sanitize
from inbox_tui.errors import UserError

_HEADER_NAMES = ("To", "Cc", "Subject")


@dataclass
class EditedReply:
    body: str
    # Header lines the agent changed: (name, what the file says now). Ignored when sending.
    changed_headers: list[tuple[str, str]] = field(default_factory=list)
    # The first line of a header block that could not be read (None: read, or none):
    # the block is left out whole and only the text under it is the reply.
    unreadable: str | None = None

    def notices(self) -> list[str]:
        """What the agent is told about the headers, one sentence each."""
        if self.unreadable is not None:
            return [
                "The header lines could not be read (at "
                f"“{sanitize.one_line(self.unreadable, 60)}”), so they were left out and only "
                "the text under them was kept; who a reply goes to comes from the conversation."
            ]
        if self.changed_headers:
            names = ", ".join(name for name, _ in self.changed_headers)
            return [
                f"Changes to {names} were ignored: who a reply goes to comes from the conversation."
            ]
        return []


def editor_command(configured: Sequence[str] | None = None) -> list[str]:
    """The editor to run: the config's ``[compose] editor_command``, else ``$VISUAL``, else
    ``$EDITOR``, else ``vi``. A string in the environment is split like a shell would."""
    if configured:
        return list(configured)
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                return shlex.split(value)
            except ValueError as exc:
                raise UserError(f"${var} ({value!r}) is not a command line: {exc}.") from exc
    return ["vi"]


def render(headers: Sequence[tuple[str, str]], body: str) -> str:
    """The file the editor opens: header lines, a blank line, the text (the text alone
    when there are no headers: a note's)."""
    if not headers:
        return body
    lines = [f"{name}: {sanitize.one_line(value, 2000)}" for name, value in headers]
    return "\n".join(lines) + "\n\n" + body


def parse(text: str, headers: Sequence[tuple[str, str]]) -> EditedReply:
    """Read an edited file back. The header block starts at the first line when that is
    one of the headers shown (else the whole file is the text: the agent deleted them)
    and runs to the first blank line. A line starting with whitespace continues the
    header above it (RFC 5322 folding: editors wrap long To lines so). A block with a
    line that is neither is not read: it is left out whole (``unreadable``), never
    added to the text. Without any blank line, the text starts under the headers."""
    lines = sanitize.clean(text).split("\n")
    shown = dict(headers)
    first = _FIELD.match(lines[0]) if headers else None  # a note's file is its text
    if first is None or first.group(1).title() not in (*_HEADER_NAMES, *shown):
        return EditedReply(body=_text(lines))  # no header block
    blank = next((i for i, line in enumerate(lines) if not line.strip()), None)
    found: dict[str, str] = {}
    name = ""
    end = len(lines) if blank is None else blank
    for i in range(end):
        line = lines[i]
        field_ = _FIELD.match(line)
        if line[:1] in (" ", "\t"):  # folded: the header above goes on
            found[name] = f"{found[name]} {line.strip()}"
        elif field_ is not None and (blank is not None or field_.group(1).title() in shown):
            name = field_.group(1).title()
            found[name] = field_.group(2).strip()
        elif blank is None:  # no blank line: the text starts here
            end = i
            break
        else:
            return EditedReply(body=_text(lines[blank + 1 :]), unreadable=line)
    changed = [
        (n, _squash(v))
        for n, v in found.items()
        if _squash(sanitize.one_line(shown.get(n, ""), 2000)) != _squash(v)
    ]
    changed += [(n, "") for n in shown if n not in found]
    return EditedReply(body=_text(lines[end + (blank is not None) :]), changed_headers=changed)


# A header line: a field name (letters, digits, hyphens), a colon, the value.
_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9-]*)[ \t]*:(.*)\Z")


def _squash(value: str) -> str:
    """A header's value with its whitespace runs as one space (folding is not a change)."""
    return " ".join(value.split())


def _text(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n")


def edit_reply(
    headers: Sequence[tuple[str, str]],
    body: str,
    *,
    command: Sequence[str] | None = None,
    run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run,
) -> EditedReply:
    """Run the editor on the reply and return what it holds afterwards. Blocks until the
    editor exits (the caller has handed it the terminal). Raises UserError, with the
    text unchanged, when the editor cannot be run or exits with an error."""
    argv = editor_command(command)
    fd, name = tempfile.mkstemp(prefix="inbox-tui-reply-", suffix=".eml")  # mode 0600
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(render(headers, body))
        try:
            result = run([*argv, str(path)], check=False)
        except FileNotFoundError as exc:
            raise UserError(
                f"The editor {argv[0]!r} was not found; set $EDITOR or [compose] editor_command "
                "in the config. Your text is unchanged."
            ) from exc
        except PermissionError as exc:
            raise UserError(
                f"The editor {argv[0]!r} cannot be run (permission denied). Your text is unchanged."
            ) from exc
        if result.returncode != 0:
            raise UserError(
                f"The editor exited with status {result.returncode}; your text is unchanged."
            )
        return parse(path.read_bytes().decode("utf-8", errors="replace"), headers)
    finally:
        path.unlink(missing_ok=True)

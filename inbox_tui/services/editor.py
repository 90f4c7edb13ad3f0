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
    """The file the editor opens: header lines, a blank line, the text."""
    lines = [f"{name}: {sanitize.one_line(value, 2000)}" for name, value in headers]
    return "\n".join(lines) + "\n\n" + body


def parse(text: str, headers: Sequence[tuple[str, str]]) -> EditedReply:
    """Read an edited file back. The header block is the leading ``Name: value`` lines
    up to the first blank line; if the agent deleted it, the whole file is the text."""
    text = sanitize.clean(text)
    lines = text.split("\n")
    shown = dict(headers)
    found: dict[str, str] = {}
    i = 0
    while i < len(lines) and lines[i].strip():
        name, sep, value = lines[i].partition(":")
        if not sep or name.strip().title() not in (*_HEADER_NAMES, *shown):
            break
        found[name.strip().title()] = value.strip()
        i += 1
    if found and (i == len(lines) or not lines[i].strip()):
        body_lines = lines[i + 1 :]
    else:  # no header block (deleted, or the text starts with a "word:" line)
        body_lines, found = lines, {}
    changed = [(n, v) for n, v in found.items() if sanitize.one_line(shown.get(n, ""), 2000) != v]
    changed += [(n, "") for n in shown if found and n not in found]
    body = "\n".join(body_lines).rstrip("\n")
    return EditedReply(body=body, changed_headers=changed)


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

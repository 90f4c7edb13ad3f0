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

import email.utils
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
    # An address header (To, Cc, Bcc) that is not a list of addresses once read (its
    # wrapped lines joined): (name, value). Ignored like any header; said in one sentence.
    unreadable: tuple[str, str] | None = None

    def notices(self) -> list[str]:
        """What the agent is told about the headers, one sentence each."""
        said = []
        if self.unreadable is not None:
            name, value = self.unreadable
            said.append(
                f"The {name} line (“{sanitize.one_line(value, 60)}”) is not a list of "
                "addresses, so it was ignored and only the text under the headers was kept; "
                "who a reply goes to comes from the conversation."
            )
        if self.changed_headers:
            names = ", ".join(name for name, _ in self.changed_headers)
            said.append(
                f"Changes to {names} were ignored: who a reply goes to comes from the conversation."
            )
        return said


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
    and runs to the first blank line. In it, a line that does not start a known header
    continues the header above it, joined with a space: RFC 5322 folding (an indent) or
    an editor's wrap without one (vim at 72 columns in mail files). Address headers are
    then read as address lists; one that is not is ignored and said (``unreadable``).
    Without any blank line, the text starts under the headers."""
    lines = sanitize.clean(text).split("\n")
    shown = dict(headers)
    known = (*_HEADER_NAMES, "Bcc", *shown)
    first = _FIELD.match(lines[0]) if headers else None  # a note's file is its text
    if first is None or first.group(1).title() not in known:
        return EditedReply(body=_text(lines))  # no header block
    blank = next((i for i, line in enumerate(lines) if not line.strip()), None)
    found: dict[str, str] = {}
    name = ""
    end = len(lines) if blank is None else blank
    for i in range(end):
        line = lines[i]
        field_ = _FIELD.match(line)
        starts = field_ is not None and field_.group(1).title() in (known if blank else shown)
        if field_ is not None and starts and line[:1] not in (" ", "\t"):
            name = field_.group(1).title()
            found[name] = field_.group(2).strip()
        elif blank is not None or line[:1] in (" ", "\t"):  # the header above goes on
            found[name] = f"{found[name]} {line.strip()}"
        else:  # no blank line: the text starts here
            end = i
            break
    body = _text(lines[end + (blank is not None) :])
    bad = next(((n, v) for n, v in found.items() if not _addresses_read(n, v)), None)
    changed = [
        (n, _squash(v))
        for n, v in found.items()
        if _squash(sanitize.one_line(shown.get(n, ""), 2000)) != _squash(v)
        and (bad is None or n != bad[0])
    ]
    changed += [(n, "") for n in shown if n not in found]
    return EditedReply(body=body, changed_headers=changed, unreadable=bad)


def _addresses_read(name: str, value: str) -> bool:
    """Whether a header's value reads as what it is: an address list for To, Cc, Bcc."""
    from inbox_tui.services.review import BadAddress, parse_addresses

    if name not in ("To", "Cc", "Bcc"):
        return True
    try:
        parse_addresses(_squash(value), name)
    except BadAddress:
        return False
    # parse_addresses reads "Name <a@b> words" as the address alone; here such words
    # are a wrap gone wrong, so every piece must be an address
    pieces = email.utils.getaddresses([value.replace(";", ",")])
    return all("@" in addr.strip("@") for _, addr in pieces)


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

"""Opening a file with the system's handler, as aerc's ``:open`` does: a mailcap rule for
its type first (the agent's own choice: ``$MAILCAPS``, else ``~/.mailcap`` and
``/etc/mailcap``), else ``xdg-open`` (``open`` on macOS). The program runs detached,
its output thrown away, so it never draws over the TUI. Rules that need the terminal
(``needsterminal``, ``copiousoutput``) or read the file from standard input are
skipped: the TUI owns the terminal. No handler: one sentence.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from inbox_tui.errors import UserError
from inbox_tui.sanitize import one_line


class NoHandler(UserError):
    """Nothing on this machine opens the file."""


def _mailcap_files() -> list[Path]:
    if os.environ.get("MAILCAPS"):
        return [Path(p) for p in os.environ["MAILCAPS"].split(":") if p]
    return [
        Path.home() / ".mailcap",
        Path("/etc/mailcap"),
        Path("/usr/etc/mailcap"),
        Path("/usr/local/etc/mailcap"),
    ]


def mailcap_command(path: Path, content_type: str) -> str | None:
    """The first mailcap rule for ``content_type`` that can run beside the TUI, as a
    shell command with the (quoted) path in it; None when there is none."""
    ctype = content_type.lower().split(";")[0].strip()
    for file in _mailcap_files():
        try:
            lines = file.read_text("utf-8", "replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = [f.strip() for f in line.split(";")]
            if len(fields) < 2:
                continue
            rule, command, flags = fields[0].lower(), fields[1], [f.lower() for f in fields[2:]]
            if "/" not in rule:
                rule += "/*"
            if rule != ctype and not (rule.endswith("/*") and ctype.startswith(rule[:-1])):
                continue
            if any(f in ("needsterminal", "copiousoutput") or f.startswith("test=") for f in flags):
                continue
            if "%s" not in command:
                continue  # the file on standard input: not from here
            return command.replace("%s", shlex.quote(str(path))).replace("%t", shlex.quote(ctype))
    return None


def handler_for(path: Path, content_type: str) -> tuple[list[str], str] | None:
    """(argv, what to call it) for the program that opens ``path``, or None."""
    rule = mailcap_command(path, content_type)
    if rule is not None:
        return ["/bin/sh", "-c", rule], "its mailcap rule"
    for program in ("xdg-open", "open"):
        found = shutil.which(program)
        if found:
            return [found, str(path)], program
    return None


def open_file(
    path: Path, content_type: str, instead: str = "save it (s) and open it yourself"
) -> str:
    """Hand ``path`` to the system's handler, detached. Returns the sentence to show;
    raises NoHandler (one sentence, ending with what to do ``instead``: the HTML view
    has no save, and told the agent to save it) when nothing here can open it."""
    handler = handler_for(path, content_type)
    name = one_line(path.name, 80)
    if handler is None:
        raise NoHandler(
            f"Nothing on this machine opens {one_line(content_type, 60)} files "
            f"(no xdg-open and no mailcap rule); {instead}."
        )
    argv, what = handler
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not the TUI's process group: Ctrl+C stays ours
            close_fds=True,
        )
    except OSError as exc:
        raise NoHandler(f"{name} could not be opened with {what}: {exc.strerror}.") from exc
    import threading

    threading.Thread(target=proc.wait, name="inbox-tui-opener", daemon=True).start()  # no zombie
    return f"Opened {name} with {what}."

"""Errors meant for the user: one plain sentence that says what happened and what to do.

The CLI prints ``str(error)`` and exits non-zero; the TUI shows it in a notification.
Anything else that escapes is a bug: it is logged with its traceback to the log file and
the user sees a plain sentence pointing there (``explain_unexpected``). This module sits
below everything, so the CLI and the TUI both use it without importing each other.
"""

from __future__ import annotations

import errno
from pathlib import Path


class UserError(Exception):
    """A failure the user can act on. The message is the whole explanation."""

    exit_code = 2


def log_path() -> Path:
    """The log file unexpected errors are written to, with their tracebacks."""
    from platformdirs import user_log_path

    return user_log_path("inbox-tui") / "inbox-tui.log"


def explain_unexpected(exc: BaseException) -> str:
    """One sentence for an error that is not a UserError."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (
            "The disk is full; nothing more was written. Free some space and run the command again."
        )
    from inbox_tui.sanitize import mask_secrets

    text = mask_secrets(str(getattr(exc, "orig", exc)))
    if "database or disk is full" in text:
        return "The disk holding the database is full; nothing more was written. Free some space and try again."
    if "readonly database" in text or "attempt to write a readonly database" in text:
        return "The database is read-only for you; ask for write permission on the file and its folder."
    if isinstance(exc, PermissionError):
        return f"Permission denied: {exc.filename or text}."
    return f"Something went wrong ({exc.__class__.__name__}: {text.splitlines()[0] if text else 'no details'}). The details are in {log_path()}."

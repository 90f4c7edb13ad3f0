"""Errors meant for the user: one plain sentence that says what happened and what to do.

The CLI prints ``str(error)`` and exits non-zero; the TUI shows it in a notification.
Anything else that escapes is a bug: it is logged with its traceback to the log file and
the user sees a plain sentence pointing there.
"""


class UserError(Exception):
    """A failure the user can act on. The message is the whole explanation."""

    exit_code = 2

"""Command line: ``inbox-tui [COMMAND]``. With no command it opens the TUI.

Each command lives in ``inbox_tui/commands/<name>.py`` with ``register(subparsers)``; the
modules import their heavy dependencies inside ``run`` so ``--help`` and start-up stay
fast. Errors reach the user as one plain sentence and a non-zero exit, never a
traceback: ``UserError`` is printed as is; anything else is logged with its traceback
to the log file and summarised.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any

from inbox_tui import __version__
from inbox_tui.context import Context
from inbox_tui.errors import UserError, explain_unexpected, log_path

# Order here is the order in --help.
COMMAND_MODULES = [
    "inbox_tui.commands.demo",
    "inbox_tui.commands.mail",
    "inbox_tui.commands.chat",
    "inbox_tui.commands.contacts",
    "inbox_tui.commands.sync",
    "inbox_tui.commands.outbox",
    "inbox_tui.commands.export",
    "inbox_tui.commands.search",
    "inbox_tui.commands.conv",
    "inbox_tui.commands.sla",
    "inbox_tui.commands.mentions",
    "inbox_tui.commands.assign",
    "inbox_tui.commands.rules",
    "inbox_tui.commands.views",
    "inbox_tui.commands.tags",
    "inbox_tui.commands.attachments",
    "inbox_tui.commands.articles",
    "inbox_tui.commands.macros",
    "inbox_tui.commands.stats",
    "inbox_tui.commands.incidents",
    "inbox_tui.commands.issues",
    "inbox_tui.commands.admin",
]

log = logging.getLogger("inbox_tui")


def _global_options(parser: argparse.ArgumentParser, default: object = None) -> None:
    """The options every command takes, before its name or after it (``--db`` after the
    command was refused: walk8). ``default``: what a command's parser sets when the option
    is not given after it (nothing, so what was given before the command stands)."""
    group = parser.add_argument_group("global options (before or after the command)")
    group.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="config file (default: $INBOX_TUI_CONFIG or ~/.config/inbox-tui/config.toml)",
    )
    group.add_argument(
        "--db",
        metavar="URL",
        default=default,
        help="store URL (default: $INBOX_TUI_DB, the config's db, or a per-user SQLite file)",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if default is None else default,
        help="log details to stderr",
    )


class _CommandParser(argparse.ArgumentParser):
    """A command's parser (and its subcommands', which argparse makes of the same
    class): it takes the global options too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _global_options(self, default=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox-tui",
        usage="inbox-tui [--db URL] [--config PATH] [-v] [COMMAND ...]",
        description="A team inbox for support agents, in the terminal. With no command, opens the inbox.",
    )
    parser.add_argument("--version", action="version", version=f"inbox-tui {__version__}")
    _global_options(parser)
    parser.set_defaults(func=_run_tui)
    sub = parser.add_subparsers(
        title="commands", metavar="COMMAND", prog="inbox-tui", parser_class=_CommandParser
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _run_tui(ctx: Context) -> int:
    from inbox_tui.tui.app import run_app

    return run_app(ctx)


class _MaskingFormatter(logging.Formatter):
    """Log lines (tracebacks included) with URL passwords masked."""

    def format(self, record: logging.LogRecord) -> str:
        from inbox_tui.sanitize import mask_secrets

        return mask_secrets(super().format(record))


def _setup_logging(verbose: bool) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    try:
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(
        _MaskingFormatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    )
    root.addHandler(handler)
    if verbose:
        err = logging.StreamHandler()
        err.setLevel(logging.INFO)
        err.setFormatter(_MaskingFormatter())
        root.addHandler(err)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # A command may take unknown dashed words as its own (search: "-tag:spam").
        dest = getattr(args, "extra_args", None)
        if dest is None:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        getattr(args, dest).extend(extra)
    _setup_logging(args.verbose)
    ctx = Context(args)
    func: Callable[[Context], int] = args.func
    # The TUI shows the store's warnings as notifications; a command prints them.
    ctx.print_warnings = func is not _run_tui
    saved = sys.stdout, sys.stderr
    opens_tui = getattr(args, "opens_tui", False) or func is _run_tui
    try:
        if not opens_tui:
            # Commands print file names, server replies and stored text written by
            # strangers: no terminal control sequence gets through, whatever prints it.
            from inbox_tui.sanitize import TerminalSafeStream

            sys.stdout = TerminalSafeStream(sys.stdout)  # type: ignore[assignment]
            sys.stderr = TerminalSafeStream(sys.stderr)  # type: ignore[assignment]
        code = _dispatch(_check_start, ctx) if opens_tui else 0
        if code == 0:
            code = _dispatch(func, ctx)
        if code == 0 and ctx.open_tui:
            code = _dispatch(_run_tui, ctx)
        return code
    finally:
        sys.stdout, sys.stderr = saved


def _check_start(ctx: Context) -> int:
    """The whole config, ``[keys]`` included, before a command that opens the TUI writes
    anything: a start that is refused leaves the store as it was (walk10: the demo wrote
    the agent's row, then the TUI refused a bad ``[keys]``)."""
    from inbox_tui.tui.actions import check_keymap

    check_keymap(ctx.config.keys)  # ctx.config: the rest of the file is checked loading it
    return 0


def _dispatch(func: Callable[[Context], int], ctx: Context) -> int:
    from inbox_tui.sanitize import mask_secrets

    try:
        return int(func(ctx) or 0)
    except UserError as exc:
        print(f"inbox-tui: {mask_secrets(_for_the_command_line(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("inbox-tui: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        log.exception("unexpected error")
        print(f"inbox-tui: {explain_unexpected(exc)}", file=sys.stderr)
        return 1


def _for_the_command_line(exc: UserError) -> str:
    """The sentence as a command's user reads it: a close refused for want of a category
    says how to give one here (``--category TAG``; the TUI asks instead)."""
    from inbox_tui.services.category_guard import CategoryRequired

    text = str(exc)
    if isinstance(exc, CategoryRequired):
        text = text.replace("give a category", "give one with --category TAG", 1)
    return text

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
from functools import cached_property
from typing import TYPE_CHECKING

from inbox_tui import __version__
from inbox_tui.errors import UserError, explain_unexpected, log_path

if TYPE_CHECKING:
    from inbox_tui.config import Config
    from inbox_tui.store import Store

# Order here is the order in --help.
COMMAND_MODULES = [
    "inbox_tui.commands.demo",
    "inbox_tui.commands.mail",
    "inbox_tui.commands.chat",
    "inbox_tui.commands.sync",
    "inbox_tui.commands.outbox",
    "inbox_tui.commands.export",
    "inbox_tui.commands.articles",
    "inbox_tui.commands.macros",
    "inbox_tui.commands.stats",
    "inbox_tui.commands.admin",
]

log = logging.getLogger("inbox_tui")


class Context:
    """What a command needs, opened lazily: the config, the store, the acting agent."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    @cached_property
    def config(self) -> Config:
        from inbox_tui.config import load_config

        return load_config(self.args.config, db=self.args.db)

    @cached_property
    def store(self) -> Store:
        from inbox_tui.store import Store, default_db_path, sqlite_url

        url = self.config.db_url or sqlite_url(default_db_path())
        store = Store(url)
        self._ensure_me(store)
        return store

    @property
    def agent(self) -> str:
        return self.config.agent.username

    def _ensure_me(self, store: Store) -> None:
        from inbox_tui.services.triage import ensure_agent

        me = self.config.agent
        store.run(ensure_agent, me.username, me.name, me.email)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox-tui",
        description="A team inbox for support agents, in the terminal. With no command, opens the inbox.",
    )
    parser.add_argument("--version", action="version", version=f"inbox-tui {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $INBOX_TUI_CONFIG or ~/.config/inbox-tui/config.toml)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="store URL (default: $INBOX_TUI_DB, the config's db, or a per-user SQLite file)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    parser.set_defaults(func=_run_tui)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _run_tui(ctx: Context) -> int:
    from inbox_tui.tui.app import run_app

    return run_app(ctx)


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
        logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    )
    root.addHandler(handler)
    if verbose:
        err = logging.StreamHandler()
        err.setLevel(logging.INFO)
        root.addHandler(err)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    ctx = Context(args)
    func: Callable[[Context], int] = args.func
    saved = sys.stdout, sys.stderr
    try:
        if not getattr(args, "opens_tui", False) and func is not _run_tui:
            # Commands print file names, server replies and stored text written by
            # strangers: no terminal control sequence gets through, whatever prints it.
            from inbox_tui.sanitize import TerminalSafeStream

            sys.stdout = TerminalSafeStream(sys.stdout)  # type: ignore[assignment]
            sys.stderr = TerminalSafeStream(sys.stderr)  # type: ignore[assignment]
        return _dispatch(func, ctx)
    finally:
        sys.stdout, sys.stderr = saved


def _dispatch(func: Callable[[Context], int], ctx: Context) -> int:
    try:
        return int(func(ctx) or 0)
    except UserError as exc:
        print(f"inbox-tui: {exc}", file=sys.stderr)
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

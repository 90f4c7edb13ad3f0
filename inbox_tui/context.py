"""What a command or the TUI needs, opened lazily: the config, the store, the acting agent.

Its own module so the commands and the TUI can name it without importing the CLI (which
imports the TUI to open it).
"""

from __future__ import annotations

import argparse
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.config import Config
    from inbox_tui.store import Store


class Context:
    """What a command needs, opened lazily: the config, the store, the acting agent."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # A command that prepares a store and then hands over to the screen (``demo``)
        # sets this; the CLI opens the TUI after it, so commands never import the TUI.
        self.open_tui = False

    @cached_property
    def config(self) -> Config:
        from inbox_tui.config import load_config

        return load_config(self.args.config, db=self.args.db)

    @cached_property
    def store(self) -> Store:
        from inbox_tui.store import Store, default_db_path, sqlite_url

        url = self.config.db_url or sqlite_url(default_db_path())
        store = Store(url)
        self.print_store_warnings(store)
        self._ensure_me(store)
        return store

    def print_store_warnings(self, store: Store) -> None:
        """Not only in the log file: the person who can fix it should see it. Commands
        print it on stderr; the TUI (whose screen would hide stderr) shows the same
        ``Store.warnings`` as notifications."""
        import sys

        func = getattr(self.args, "func", None)
        if getattr(self.args, "opens_tui", False) or getattr(func, "__name__", "") == "_run_tui":
            return
        for warning in store.warnings:
            print(f"inbox-tui: warning: {warning}", file=sys.stderr)

    @property
    def agent(self) -> str:
        return self.config.agent.username

    def _ensure_me(self, store: Store) -> None:
        from inbox_tui.services.core import ensure_agent

        me = self.config.agent
        store.run(ensure_agent, me.username, me.name, me.email)

"""What a command or the TUI needs, opened lazily: the config, the store, the acting agent.

Its own module so the commands and the TUI can name it without importing the CLI (which
imports the TUI to open it).
"""

from __future__ import annotations

import argparse
import sys
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
        # Store warnings (a world-readable store, ...) on stderr: the person who can fix
        # it should see it, not only the log file.
        self.print_warnings = False

    @cached_property
    def config(self) -> Config:
        from inbox_tui.config import load_config

        config = load_config(self.args.config, db=self.args.db)
        if not config.semantic:  # [suggest] semantic = false: words only in this process
            from inbox_tui.services import embeddings

            embeddings.set_enabled(False)
        # The search language (sla:breached) has no config: it reads the policy set here.
        # Without an [sla] section there is none to set (unless one was, in this
        # process): importing the SLA service loads SQLAlchemy and the models, which
        # put ~0.5 s of CPU in front of the TUI's first frame.
        from inbox_tui.services.first_page import is_demo_file, store_url

        if is_demo_file(store_url(config.db_url)):
            # A demo store behaves as the demo whatever opens it: nothing is sent, and
            # its response targets apply when the config has none (services/demo_mode).
            from inbox_tui.services.demo_mode import use_demo_settings

            use_demo_settings(config)
        if config.sla or "inbox_tui.services.sla" in sys.modules:
            from inbox_tui.services import sla

            sla.configure(sla.SlaPolicy.from_config(config.sla, config.business_hours))
        return config

    @cached_property
    def store(self) -> Store:
        from inbox_tui.store import Store, default_db_path, sqlite_url

        url = self.config.db_url or sqlite_url(default_db_path())
        store = Store(url)
        if self.print_warnings:
            for warning in store.warnings:
                print(f"inbox-tui: warning: {warning}", file=sys.stderr)
        self.ensure_me(store)
        return store

    @property
    def agent(self) -> str:
        return self.config.agent.username

    def ensure_me(self, store: Store) -> None:
        """The agent's row as the config says: ``[agent] name`` and email, when the config
        gives them, win over the store's (the review's From and other agents' "is
        viewing" read them); a config without them leaves the store's as they are."""
        from inbox_tui.services.core import ensure_agent

        me = self.config.agent
        store.run(ensure_agent, me.username, me.name, me.email)

"""One module per CLI command; each has ``register(subparsers)``.

Several modules add a subcommand to the shared ``import`` group (``import mail``,
``import chat``, ``import articles``, ``import macros``): they call ``import_group``,
which creates the group the first time and returns its subparsers after that.
"""

from __future__ import annotations

import argparse
import weakref
from typing import Any

# Per parser: keyed by the subparsers object itself, weakly (by id(), a new parser could
# get a freed one's id and with it a stale group: "conflicting subparser: mail").
_IMPORT_GROUPS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def import_group(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """The subparsers of ``inbox-tui import``, shared by every module that imports data."""
    key = sub
    if key not in _IMPORT_GROUPS:
        parser = sub.add_parser(
            "import",
            help="import mail, chat logs, help articles or macros into the store",
            description="Import data into the store. Every import is idempotent: running it again adds only what is new.",
        )
        group = parser.add_subparsers(title="what to import", metavar="KIND")
        group.required = True
        _IMPORT_GROUPS[key] = group
    return _IMPORT_GROUPS[key]

"""``inbox-tui demo``: the TUI on a freshly built demo inbox."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo",
        help="open the inbox on a demo store (no config needed)",
        description="Builds a realistic demo inbox in a private SQLite file and opens it. "
        "The demo store is rebuilt each time unless --keep is given.",
    )
    p.add_argument(
        "--path",
        metavar="FILE",
        help="where to keep the demo store (default: the user data folder)",
    )
    p.add_argument("--keep", action="store_true", help="reuse the demo store if it exists")
    p.add_argument(
        "--build-only", action="store_true", help="build the demo store, print its URL and exit"
    )
    p.set_defaults(func=run, opens_tui=True)


def run(ctx: Context) -> int:
    from pathlib import Path

    from inbox_tui.demo import build_demo, default_demo_path
    from inbox_tui.store import Store, sqlite_url

    args = ctx.args
    path = Path(args.path) if args.path else default_demo_path()
    if path.exists() and not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    fresh = not path.exists()
    store = Store(sqlite_url(path))
    if fresh:
        build_demo(store, me=ctx.config.agent.username)
    if args.build_only:
        print(sqlite_url(path))
        return 0
    ctx.__dict__["store"] = store  # the TUI opens this store, not the configured one
    ctx.config.db_url = sqlite_url(path)
    ctx.config.demo = True  # replies are recorded, never sent
    ctx.open_tui = True  # the CLI opens the TUI on this store next
    return 0

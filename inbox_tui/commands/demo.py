"""``inbox-tui demo``: the TUI on a demo inbox, built on first use and kept (with the
day's work in it) until ``--fresh`` asks for a new one."""

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
        "The store is kept between runs, with whatever you did in it; --fresh builds a new one.",
    )
    p.add_argument(
        "--path",
        metavar="FILE",
        help="where to keep the demo store (default: the user data folder)",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="throw the demo store away and build a new one (your changes in it are lost)",
    )
    # Keeping is the default now; --keep is still accepted so old scripts keep working.
    p.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--build-only", action="store_true", help="build the demo store, print its URL and exit"
    )
    p.set_defaults(func=run, opens_tui=True)


def run(ctx: Context) -> int:
    from pathlib import Path

    from inbox_tui.demo import build_demo, default_demo_path, is_empty
    from inbox_tui.errors import UserError
    from inbox_tui.services.demo_mode import mark_demo, use_demo_settings
    from inbox_tui.store import Store, sqlite_url

    args = ctx.args
    path = Path(args.path) if args.path else default_demo_path()
    if args.fresh and args.keep:
        raise UserError("--fresh and --keep contradict each other; the store is kept by default.")
    if path.exists() and args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store(sqlite_url(path))
    if is_empty(store):  # new, or a build that was interrupted before it committed
        me = ctx.config.agent
        build_demo(store, me=me.username, my_name=me.name or me.username)
    if args.build_only:
        print(sqlite_url(path))
        return 0
    ctx.__dict__["store"] = store  # the TUI opens this store, not the configured one
    ctx.ensure_me(store)  # the config's name, not the one the demo store has (walk5)
    ctx.config.db_url = sqlite_url(path)
    store.run(mark_demo)  # a demo store built before stores could say so
    use_demo_settings(ctx.config)  # replies are recorded, never sent; targets to see
    ctx.open_tui = True  # the CLI opens the TUI on this store next
    return 0

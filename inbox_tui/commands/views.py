"""``inbox-tui views list|save|rename|delete``: the team's saved views (the TUI's
``ctrl+s``), each a search with the view it was saved in."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "views",
        help="list, save, rename or delete saved views",
        description="A saved view is a search (the language of the TUI's /) and the view it "
        "narrows (its scope: unassigned, mine, open, pending, snoozed, closed, tag:NAME, or all).",
    )
    vsub = p.add_subparsers(title="actions", metavar="ACTION")
    vsub.required = True
    ls = vsub.add_parser("list", help="every saved view with its scope and search")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)
    sv = vsub.add_parser("save", help="save a search as a view (replaces one of that name)")
    sv.add_argument("name")
    sv.add_argument("query", nargs="+", metavar="QUERY")
    sv.add_argument("--scope", default="all", help="the view it narrows (default: all)")
    sv.set_defaults(func=run_save, extra_args="query")
    rn = vsub.add_parser("rename", help="rename a saved view")
    rn.add_argument("old")
    rn.add_argument("new")
    rn.set_defaults(func=run_rename)
    rm = vsub.add_parser("delete", help="delete a saved view")
    rm.add_argument("name")
    rm.set_defaults(func=run_delete)


def run_list(ctx: Context) -> int:
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.views import list_saved_views, scope_label

    with ctx.store.read() as s:
        views = list_saved_views(s)
    if ctx.args.json:
        for v in views:
            print(json.dumps({"name": v.name, "scope": v.scope, "query": v.query}))
        return 0
    if not views:
        print("No saved views yet (ctrl+s in the TUI, or inbox-tui views save).")
    for v in views:
        print(
            f"{one_line(v.name, 40):<40}  in {scope_label(v.scope):<16}  {one_line(v.query, 200)}"
        )
    return 0


def run_save(ctx: Context) -> int:
    from inbox_tui.services.views import save_view, scope_label

    view = ctx.store.run(save_view, ctx.args.name, " ".join(ctx.args.query), ctx.args.scope)
    print(f"Saved the view “{view.name}” (in {scope_label(view.scope)}).")
    return 0


def run_rename(ctx: Context) -> int:
    from inbox_tui.services.views import rename_view

    view = ctx.store.run(rename_view, ctx.args.old, ctx.args.new)
    print(f"Renamed the view to “{view.name}”.")
    return 0


def run_delete(ctx: Context) -> int:
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.views import delete_view

    ctx.store.run(delete_view, ctx.args.name)
    print(f"Deleted the view “{one_line(ctx.args.name, 100)}”.")
    return 0

"""``inbox-tui tags list|kind``: the team's tags and their kind. A category says what a
conversation is about (the stats' "closed without a category" share and the question
asked on closing count only categories); a modifier says how it is ("angry", "vip").
A tag made on the fly (the TUI's ``t`` picker, ``conv tag``, a macro, a rule) is a
modifier; ``tags kind NAME category`` makes it a category, and back."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_tui.context import Context

KINDS = ("category", "modifier")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "tags",
        help="list the tags with their kind, or change a tag's kind",
        description=__doc__.split("\n\n")[0].replace("``", "") if __doc__ else None,
    )
    tsub = p.add_subparsers(title="actions", metavar="ACTION")
    tsub.required = True
    ls = tsub.add_parser("list", help="every tag: its kind and how many conversations carry it")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)
    kind = tsub.add_parser("kind", help="make a tag a category or a modifier")
    kind.add_argument("name", metavar="TAG")
    kind.add_argument("kind", choices=KINDS, metavar="KIND", help="category or modifier")
    kind.set_defaults(func=run_kind)


def run_list(ctx: Context) -> int:
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.triage import list_tags

    with ctx.store.read() as s:
        tags = list_tags(s)
    for name, kind, n in tags:
        if ctx.args.json:
            print(json.dumps({"name": name, "kind": kind, "conversations": n}))
        else:
            print(f"{one_line(name, 40):<40}  {one_line(kind, 12):<8}  {n:>7,}")
    if not tags and not ctx.args.json:
        print("No tags yet.")
    return 0


def run_kind(ctx: Context) -> int:
    from inbox_tui.models import TagKind
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.triage import set_tag_kind

    changed = ctx.store.run(set_tag_kind, ctx.args.name, TagKind(ctx.args.kind))
    name = one_line(ctx.args.name.strip().lower(), 60)
    print(f"{name} is {'now' if changed else 'already'} a {ctx.args.kind}.")
    return 0

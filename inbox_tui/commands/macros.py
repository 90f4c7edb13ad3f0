"""``inbox-tui macros lint|list`` and ``inbox-tui import macros``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_tui.commands import import_group
from inbox_tui.errors import UserError
from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "macros",
        help="check and list macros",
        description="Check macro files and list the store's macros.",
    )
    msub = p.add_subparsers(title="actions", metavar="ACTION")
    msub.required = True
    lint = msub.add_parser(
        "lint",
        help="check macro files and report every problem with file and line",
        description="Reads TOML/YAML macro files (or folders of them) and reports every problem as FILE:LINE: message. Exit 0 when all are fine.",
    )
    lint.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    lint.set_defaults(func=run_lint)
    ls = msub.add_parser("list", help="list the macros in the store")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=run_list)

    imp = import_group(sub).add_parser(
        "macros",
        help="load macro files (TOML/YAML) into the store",
        description="Loads macros from files or folders into the store, by slug: new ones are added, changed ones updated. Nothing is imported if any file has a problem.",
    )
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.add_argument("--json", action="store_true", help='print {"added", "updated", "unchanged"}')
    imp.set_defaults(func=run_import)


def run_lint(ctx: Context) -> int:
    from inbox_tui.macros.files import load

    specs, problems = load(ctx.args.paths)
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{count(len(problems), 'problem')}; {count(len(specs), 'macro')} {'is' if len(specs) == 1 else 'are'} fine.",
            file=sys.stderr,
        )
        return 1
    print(f"{count(len(specs), 'macro')}, no problems.")
    return 0


def run_import(ctx: Context) -> int:
    from inbox_tui.macros.files import load
    from inbox_tui.services.macros import import_specs

    specs, problems = load(ctx.args.paths)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        raise UserError(
            f"Nothing was imported: {count(len(problems), 'problem')} in the macro files (listed above); fix them and run again."
        )
    counts = ctx.store.run(import_specs, specs)
    if ctx.args.json:
        print(json.dumps(counts))
    else:
        print(
            f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged."
        )
    return 0


def run_list(ctx: Context) -> int:
    from inbox_tui.services.macros import list_macros

    with ctx.store.read() as session:
        items = list_macros(session)
    if ctx.args.json:
        print(
            json.dumps(
                [
                    {
                        "slug": m.slug,
                        "name": m.name,
                        "pinned": m.pinned,
                        "kind": m.body_kind,
                        "actions": m.actions,
                    }
                    for m in items
                ]
            )
        )
        return 0
    for m in items:
        pin = f"[{m.pinned}]" if m.pinned else "   "
        actions = ", ".join(m.describe_actions())
        print(f"{pin} {m.slug:24} {m.name}" + (f"  ({actions})" if actions else ""))
    return 0

"""``inbox-tui import contacts FILE.csv``: customers' attributes (plan, company, ...)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_tui.commands import import_group

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = import_group(sub).add_parser(
        "contacts",
        help="customers' attributes from a CSV file (email, name, plan, company, ...)",
        description="Loads a CSV file whose header names the columns: email (required) says "
        "whose row it is, name sets the customer's name, every other column is an attribute "
        "(search contact.plan:enterprise, rules, response targets). An empty cell removes "
        "that attribute. The whole file is checked first: a broken line is reported with "
        "its number and nothing is imported.",
    )
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p.add_argument(
        "--json", action="store_true", help='print {"rows", "created", "attributes", "removed"}'
    )
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.services.contactimport import check_file, import_contacts

    path: Path = ctx.args.file
    check_file(path)  # the whole file, before anything is stored
    report = ctx.store.run(import_contacts, path)
    if ctx.args.json:
        print(json.dumps(report.as_dict()))
    else:
        print(
            f"{report.rows:,} rows: {report.created:,} new customers, {report.attributes:,} "
            f"attributes set, {report.removed:,} empty cells."
        )
    return 0

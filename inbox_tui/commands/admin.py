"""``inbox-tui admin``: set-up help for a shared store."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from inbox_tui.errors import UserError

if TYPE_CHECKING:
    from sqlmodel import Session

    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "admin",
        help="set-up help for a shared store",
        description="Administration helpers for a team's shared store.",
    )
    asub = p.add_subparsers(title="actions", metavar="ACTION")
    asub.required = True
    pg = asub.add_parser(
        "postgres-roles",
        help="print SQL giving each agent their own PostgreSQL role with an append-only event log",
        description="Prints SQL for the database owner to run (psql -f -): a group role for agents that can "
        "work normally but cannot update or delete events, and one login role per agent.",
    )
    pg.add_argument("--database", required=True, help="the database name")
    pg.add_argument(
        "--group", default="inbox_agents", help="the agents' group role (default: inbox_agents)"
    )
    pg.add_argument("agents", nargs="*", metavar="AGENT", help="agent login names to create")
    pg.set_defaults(func=run_postgres_roles)
    rb = asub.add_parser(
        "rebuild-stats",
        help="recompute the stats aggregates from the event log",
        description="Recomputes the tables the stats are read from (kept up to date on every "
        "change) from the append-only event log, in one transaction: after restoring a backup "
        "of only some tables, or to be sure no one edited them. Prints how many conversations "
        "were folded.",
    )
    rb.set_defaults(func=run_rebuild_stats)


def run_rebuild_stats(ctx: Context) -> int:
    from inbox_tui.store import waiting
    from inbox_tui.store.aggregates import rebuild

    def both(s: Session) -> int:
        waiting.rebuild(s.connection())  # the stored waiting time is kept the same way
        return rebuild(s.connection())

    n = ctx.store.run(both)
    print(f"Folded the history of {n:,} conversations.")
    return 0


def run_postgres_roles(ctx: Context) -> int:
    from inbox_tui.admin.postgres_roles import agent_role_sql, group_setup_sql

    args = ctx.args
    try:
        print(group_setup_sql(args.database, args.group), end="")
        for agent in args.agents:
            print(agent_role_sql(agent, args.group), end="")
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    return 0

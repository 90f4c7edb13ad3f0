"""``inbox-tui assign [--reoffer] [--json]``: fair auto-assignment for cron or a check:
every open, unassigned conversation is given to whoever's turn it is (``[assignment]``
in the config), one transaction each, so several running at once share the work fairly
and never give a conversation twice. ``--reoffer`` first takes the open conversations of
agents who went away and gives them to present ones; with ``reoffer_after`` in the
config, the unanswered ones of agents away that long are re-offered every run."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.context import Context

MAX_ROUNDS = 100_000


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "assign",
        help="give unassigned conversations to present agents, fairly ([assignment])",
        description="Round-robin or least-open assignment among present agents under "
        "their cap, as set in the config's [assignment].",
    )
    p.add_argument("--reoffer", action="store_true", help="also re-give absent agents' work")
    p.add_argument("--json", action="store_true", help="one JSON object per assignment")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.autoassign import AssignPolicy, give_out, reoffer, reoffer_lapsed
    from inbox_tui.services.export import jsonl

    policy = AssignPolicy.from_config(ctx.config.assignment)
    if policy is None:
        raise UserError(
            'Auto-assignment is off; set mode = "round-robin" or "least-open" in the '
            "config's [assignment] (see docs/config.md)."
        )
    given: list[tuple[int, str, str]] = []
    if ctx.args.reoffer:
        given += [(c, a, "away") for c, a in ctx.store.run(reoffer, policy)]
    given += [(c, a, "away") for c, a in reoffer_lapsed(ctx.store, policy)]
    given += [(cid, agent, "new") for cid, agent in give_out(ctx.store, policy, MAX_ROUNDS)]
    for cid, agent, reason in given:
        if ctx.args.json:
            sys.stdout.write(jsonl({"id": cid, "to": agent, "reason": reason}))
        else:
            print(
                f"#{cid} → {one_line(agent, 100)}{' (its agent is away)' if reason == 'away' else ''}"
            )
    print(f"Assigned {count(len(given), 'conversation')}.", file=sys.stderr)
    return 0

"""``inbox-tui issue``: conversations linked to a bug, and the follow-up when it is fixed."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from inbox_tui.errors import UserError

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "issue",
        help="conversations linked to a bug; follow up when it is fixed",
        description="A conversation is linked to a bug (ENG-4812, an issue URL) when one of its notes names it or it was confirmed as part of an incident with that bug.",
    )
    isub = p.add_subparsers(title="actions", metavar="ACTION")
    isub.required = True
    ls = isub.add_parser("list", help="the conversations linked to a bug")
    ls.add_argument("ref", metavar="REF")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=run_list)
    ln = isub.add_parser("link", help="link a conversation to a bug (adds a note naming it)")
    ln.add_argument("conversation", type=int, metavar="ID")
    ln.add_argument("ref", metavar="REF")
    ln.set_defaults(func=run_link)
    fx = isub.add_parser(
        "fixed",
        help="reply with a macro to every conversation linked to a fixed bug",
        description="Shows how many conversations would get the macro's reply, asks, then queues the replies in batches (closed conversations are reopened). Each conversation is followed up once per bug: running it again skips those already done.",
    )
    fx.add_argument("ref", metavar="REF")
    fx.add_argument("--macro", required=True, metavar="SLUG")
    fx.add_argument(
        "--category",
        metavar="TAG",
        help="a macro that closes: the category tag for those without one "
        '(needed under [insight] category_on_close = "require")',
    )
    fx.add_argument("--yes", action="store_true", help="do not ask")
    fx.set_defaults(func=run_fixed)


def run_list(ctx: Context) -> int:
    from inbox_tui.services.buglinks import linked

    with ctx.store.read() as session:
        ids = linked(session, ctx.args.ref, ctx.config.bug_pattern)
    if ctx.args.json:
        print(json.dumps({"ref": ctx.args.ref, "conversations": ids}))
    elif ids:
        print(" ".join(str(i) for i in ids))
    else:
        print(f"No conversation is linked to {ctx.args.ref!r}.")
    return 0


def run_link(ctx: Context) -> int:
    from inbox_tui.services.buglinks import link

    ctx.store.run(link, ctx.agent, ctx.args.conversation, ctx.args.ref, ctx.config.bug_pattern)
    print(f"Conversation {ctx.args.conversation} is linked to {ctx.args.ref!r}.")
    return 0


def run_fixed(ctx: Context) -> int:
    from inbox_tui.services.buglinks import batches, check_category, follow_up, plan_fixed

    a = ctx.args
    with ctx.store.read() as session:
        plan = plan_fixed(session, a.ref, a.macro, ctx.config.bug_pattern)
        # Refused once, before anything is queued (not batch by batch, after some went).
        check_category(
            session, plan.to_follow_up, a.macro, ctx.config.category_on_close, a.category
        )
    todo = len(plan.to_follow_up)
    print(
        f"{len(plan.linked)} conversations are linked to {plan.ref!r}; "
        f"{todo} will get the reply of {a.macro!r}."
    )
    if not todo:
        return 0
    if not a.yes:
        if not sys.stdin.isatty():
            raise UserError(f"Add --yes to queue the {todo} follow-ups.")
        if input("Queue them? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing was queued.")
            return 0
    done = 0
    for chunk in batches(plan.to_follow_up):
        done += ctx.store.run(
            follow_up, ctx.agent, plan.ref, a.macro, chunk, config=ctx.config, category=a.category
        )
    print(f"{done} follow-ups queued in the outbox.")
    return 0

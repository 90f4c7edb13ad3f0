"""``inbox-tui incidents``: bursts of similar new conversations; confirm or dismiss them."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from inbox_tui.errors import UserError

if TYPE_CHECKING:
    from inbox_tui.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "incidents",
        help="bursts of similar new conversations (many customers, one problem)",
        description="Lists groups of similar conversations that arrived in the last few hours far more often than such conversations arrive in the same hours of other weeks. Spam-tagged conversations are ignored. `confirm` tags a burst's conversations incident:NAME (and can answer all of them with a macro); `dismiss` stops it being raised again.",
    )
    _detect_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--confirmed",
        action="store_true",
        help="list the incidents confirmed in the last --weeks instead of the bursts",
    )
    p.set_defaults(func=run_list)
    isub = p.add_subparsers(title="actions", metavar="ACTION")
    c = isub.add_parser("confirm", help="confirm a burst as an incident")
    c.add_argument("key", type=int, metavar="BURST", help="the burst's number, as listed")
    c.add_argument("--name", required=True, help="the incident's name (its tag: incident:NAME)")
    c.add_argument("--bug", metavar="REF", help="the bug or ticket it is, e.g. ENG-4812")
    c.add_argument("--macro", metavar="SLUG", help="a macro to apply to every conversation")
    c.add_argument(
        "--category",
        metavar="TAG",
        help="a macro that closes: the category tag for those without one "
        '(needed under [insight] category_on_close = "require")',
    )
    _detect_options(c)
    c.set_defaults(func=run_confirm)
    d = isub.add_parser("dismiss", help="not an incident: do not raise it again")
    d.add_argument("key", type=int, metavar="BURST")
    _detect_options(d)
    d.set_defaults(func=run_dismiss)


def _detect_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--window", default="3h", help="how far back is new (default 3h)")
    p.add_argument("--weeks", type=int, default=4, help="weeks of history (default 4)")


def _detect_args(args: argparse.Namespace) -> dict[str, Any]:
    from inbox_tui.when import parse_duration

    try:
        window: timedelta = parse_duration(args.window)
    except ValueError as exc:
        raise UserError(f"--window: {exc}.") from exc
    return {"window": window, "weeks": args.weeks}


def run_confirmed(ctx: Context) -> int:
    from inbox_tui.models import utcnow
    from inbox_tui.sanitize import json_terminal_safe, one_line
    from inbox_tui.services.agent_clock import agent_time, agent_zone
    from inbox_tui.services.incidents import confirmed

    zone = agent_zone(ctx.config.agent.timezone)  # JSON stays UTC
    weeks = _detect_args(ctx.args)["weeks"]
    with ctx.store.read() as session:
        found = confirmed(session, utcnow() - timedelta(weeks=weeks))
    if ctx.args.json:
        print(json_terminal_safe(json.dumps([c.as_dict() for c in found], ensure_ascii=False)))
        return 0
    if not found:
        print(f"No incident was confirmed in the last {weeks} weeks.")
        return 0
    for c in found:
        bug = f" ({one_line(c.bug, 60)})" if c.bug else ""
        print(
            f"{one_line(c.name, 60)!r}{bug}: {len(c.conversations)} conversations, confirmed "
            f"{agent_time(c.confirmed_at, zone)} by {one_line(c.by, 40)}; search tag:{one_line(c.tag, 80)}"
        )
        print(f"  conversations: {' '.join(str(i) for i in sorted(c.conversations))}")
    return 0


def run_list(ctx: Context) -> int:
    from inbox_tui.sanitize import json_terminal_safe, one_line
    from inbox_tui.services.agent_clock import agent_zone
    from inbox_tui.services.incidents import detect

    if ctx.args.confirmed:
        return run_confirmed(ctx)
    with ctx.store.read() as session:
        bursts = detect(session, **_detect_args(ctx.args))
    if ctx.args.json:
        print(json_terminal_safe(json.dumps([b.as_dict() for b in bursts], ensure_ascii=False)))
        return 0
    if not bursts:
        print("No bursts: nothing is arriving faster than usual.")
        return 0
    zone = agent_zone(ctx.config.agent.timezone)  # "since 09:40 CET"
    for b in bursts:
        print(
            f"burst {b.key}: {b.count} conversations like {one_line(b.subject, 60)!r} "
            f"(usually {b.expected:.1f} in these hours; by {b.method}; {b.since_text(zone)})"
        )
        print(f"  conversations: {' '.join(str(c) for c in b.conversations)}")
    print("\nConfirm: inbox-tui incidents confirm BURST --name NAME [--bug REF] [--macro SLUG]")
    return 0


def run_confirm(ctx: Context) -> int:
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.incidents import confirm

    a = ctx.args
    burst = ctx.store.run(
        confirm,
        ctx.agent,
        a.key,
        a.name,
        bug=a.bug,
        macro=a.macro,
        config=ctx.config if a.macro else None,
        category=a.category,
        **_detect_args(a),
    )
    answered = f", answered with {one_line(a.macro, 80)!r}" if a.macro else ""
    print(f"Incident {one_line(a.name, 80)!r}: {burst.count} conversations tagged{answered}.")
    return 0


def run_dismiss(ctx: Context) -> int:
    from inbox_tui.services.incidents import dismiss

    burst = ctx.store.run(dismiss, ctx.agent, ctx.args.key, **_detect_args(ctx.args))
    print(f"Burst {burst.key} dismissed ({burst.count} conversations).")
    return 0

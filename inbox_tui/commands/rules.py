"""``inbox-tui rules lint|list|run FILE``: rule files (``inbox_tui/rules.py``), kept in
git like macros. ``run`` applies them to the customers' messages received since
``--since`` (default 1d), each rule at most once per message, so it is safe after every
sync or from cron."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.context import Context
    from inbox_tui.rules import Rule


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "rules",
        help="check, list or run rule files (when mail arrives: tag, assign, set status)",
        description="Rules: when a conversation arrives, a customer writes again or it is "
        "tagged, if conditions hold (subject/body words, from, channel, tag, customer "
        "attributes), then actions (tag, assign, status, a macro's actions, a response "
        "target). A broken file is reported and nothing of it runs.",
    )
    rsub = p.add_subparsers(title="actions", metavar="ACTION")
    rsub.required = True
    lint = rsub.add_parser("lint", help="report every problem of a rule file")
    lint.add_argument("file", metavar="FILE")
    lint.set_defaults(func=run_lint)
    ls = rsub.add_parser("list", help="the rules of a file")
    ls.add_argument("file", metavar="FILE")
    ls.set_defaults(func=run_list)
    run = rsub.add_parser("run", help="apply the rules to messages received since --since")
    run.add_argument("file", metavar="FILE")
    run.add_argument("--since", default="1d", metavar="AGE", help="30m, 12h, 2d (default 1d)")
    run.add_argument("--json", action="store_true", help="one JSON object per rule that fired")
    run.set_defaults(func=run_run)


def _load(file: str) -> list[Rule]:
    from pathlib import Path

    from inbox_tui.errors import UserError
    from inbox_tui.rules import RulesError, load_rules

    try:
        return load_rules(Path(file))
    except RulesError as exc:
        for problem in exc.problems[1:]:
            print(f"inbox-tui: {problem}", file=sys.stderr)
        raise UserError(f"{exc.problems[0]} Nothing of the file was loaded.") from None


def run_lint(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.macros import unknown_macros

    rules = _load(ctx.args.file)
    slugs = [r.macro for r in rules if r.macro is not None]
    missing = set(ctx.store.run(unknown_macros, slugs)) if slugs else set()
    problems = [
        f"rule {r.name!r}: there is no macro called {r.macro!r} (inbox-tui macros list)."
        for r in rules
        if r.macro in missing
    ]
    if problems:
        for problem in problems[1:]:
            print(f"inbox-tui: {one_line(problem, 500)}", file=sys.stderr)
        raise UserError(one_line(problems[0], 500))
    targets = [r.name for r in rules if r.target_first or r.target_next]
    if targets and not ctx.config.sla:
        _note(
            f"rule {targets[0]!r} sets a response target, which counts only when "
            "response targets are on ([sla] in the config)."
        )
    from inbox_tui.services.rules import unknown_assignees

    for name in ctx.store.run(unknown_assignees, rules):
        _note(
            f"there is no agent called {name!r} yet (an agent is known once they run "
            "inbox-tui); until then a rule assigning to them leaves the conversation as it "
            "is and says so in its history."
        )
    timed = [r.name for r in rules if r.in_hours is not None]
    if timed and not ctx.config.business_hours:
        _note(
            f"rule {timed[0]!r} asks for business hours, and the config has no "
            "[business_hours]: it will never fire."
        )
    print(f"{count(len(rules), 'rule')}, no problems.")
    return 0


def _note(sentence: str) -> None:
    from inbox_tui.sanitize import one_line

    print(one_line(f"inbox-tui: note: {sentence}", 500), file=sys.stderr)


def run_list(ctx: Context) -> int:
    from inbox_tui.sanitize import one_line

    for r in _load(ctx.args.file):
        cond = [f"subject:{'|'.join(r.subject)}"] if r.subject else []
        cond += [f"body:{'|'.join(r.body)}"] if r.body else []
        cond += [f"from:{r.sender}"] if r.sender else []
        cond += [f"channel:{r.channel}"] if r.channel else []
        cond += [f"tag:{'|'.join(r.tagged)}"] if r.tagged else []
        cond += [f"contact.{name}:{'|'.join(values)}" for name, values in r.contact]
        cond += [f"to:{'|'.join(r.to)}"] if r.to else []
        cond += [f"mailbox:{'|'.join(r.mailbox)}"] if r.mailbox else []
        if r.in_hours is not None:
            cond.append("in business hours" if r.in_hours else "outside business hours")
        acts = [f"tag {t}" for t in r.tags] + ([f"assign {r.assign}"] if r.assign else [])
        acts += [f"status {r.status}"] if r.status else []
        acts += [f"macro {r.macro}"] if r.macro else []
        acts += [f"target {_target(r)}"] if r.target_first or r.target_next else []
        print(
            one_line(
                f"{r.name}: when {r.when} if {' '.join(cond) or 'always'} then {', '.join(acts)}",
                500,
            )
        )
    return 0


def _target(rule: Rule) -> str:
    """``then.target`` as written back: "4h", or "first 1h, next 8h"."""
    from inbox_tui.services.sla import amount

    if rule.target_first == rule.target_next and rule.target_first is not None:
        return amount(rule.target_first)
    parts = [(k, v) for k, v in (("first", rule.target_first), ("next", rule.target_next)) if v]
    return " ".join(f"{k} {amount(v)}" for k, v in parts)


def run_run(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.models import utcnow
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.agent_clock import agent_zone, stored_times
    from inbox_tui.services.export import jsonl
    from inbox_tui.services.rules import run_rules, with_config
    from inbox_tui.when import parse_duration

    rules = with_config(_load(ctx.args.file), ctx.config)
    try:
        since = utcnow() - parse_duration(ctx.args.since)
    except ValueError as exc:
        raise UserError(f"--since: {exc}.") from None
    fired = ctx.store.run(run_rules, rules, since)
    zone = agent_zone(ctx.config.agent.timezone)  # JSON keeps the stored UTC words
    for f in fired:
        if ctx.args.json:
            sys.stdout.write(jsonl({"id": f.conversation_id, "rule": f.rule, "actions": f.actions}))
        else:
            print(
                one_line(
                    f"#{f.conversation_id}: {f.rule}: "
                    + (stored_times(", ".join(f.actions), zone) or "nothing to change"),
                    500,
                )
            )
    print(f"{count(len(fired), 'rule firing')}.", file=sys.stderr)
    return 0


def configured(ctx: Context) -> list[Rule]:
    """The config's ``[rules] file`` for a sync or an import: its rules, or none, with
    the one sentence why on stderr (said once; the mail still comes in)."""
    from inbox_tui.services.rules import configured_rules

    rules, problem = configured_rules(ctx.config)
    if problem:
        print(f"inbox-tui: {problem}", file=sys.stderr, flush=True)
    return rules


def say_fired(n: int) -> None:
    if n:
        print(f"{count(n, 'rule firing')}.", file=sys.stderr, flush=True)

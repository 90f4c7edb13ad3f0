"""``inbox-tui conv show|tag|untag|assign|status|snooze|note|reply|target ID ...``: every triage
action of the TUI for scripts, cron jobs and checks, through the same services (one
``Store.run`` transaction each, the same events, the same undo batch).

Output: one sentence per action, or with ``--json`` one JSON object
(``{"id", "action", "changed", "conversation": {...}}``; ``show`` prints the object
``export`` writes). Doing nothing (tagging twice) is not an error: ``changed`` is false.
Exit codes: 0 done (or nothing to do), 2 bad input, 3 no such conversation or agent,
1 anything unexpected (details in the log file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.context import Context

# A note or reply read from standard input is at most this many characters.
MAX_TEXT_CHARS = 200_000
STATUSES = ("open", "pending", "closed")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "conv",
        help="show or change one conversation (tag, assign, status, snooze, note, reply)",
        description="The TUI's triage actions for scripts. Exit codes: 0 done or nothing "
        "to do, 2 bad input, 3 no such conversation or agent, 1 unexpected.",
    )
    csub = p.add_subparsers(title="actions", metavar="ACTION")
    csub.required = True

    def action(name: str, help: str, func: Any) -> argparse.ArgumentParser:
        a = csub.add_parser(name, help=help)
        a.add_argument("id", metavar="ID", help="the conversation's number")
        a.add_argument("--json", action="store_true", help="print one JSON object")
        a.set_defaults(func=func)
        return a

    action("show", "the conversation with its messages and notes", run_show)
    tag = action("tag", "add tags", run_tag)
    tag.add_argument("tags", nargs="+", metavar="TAG")
    untag = action("untag", "remove tags", run_untag)
    untag.add_argument("tags", nargs="+", metavar="TAG")
    assign = action("assign", "assign to an agent (me, a username, or none)", run_assign)
    assign.add_argument("agent", metavar="AGENT")
    status = action("status", "set the status: open, pending or closed", run_status)
    status.add_argument("status", metavar="STATUS")
    category_help = (
        "closing: the category tag for it when it has none (needed under "
        '[insight] category_on_close = "require")'
    )
    status.add_argument("--category", metavar="TAG", help=category_help)
    snooze = action(
        "snooze",
        "hide until a time (30m, 3h, 2d, tomorrow 2pm, friday, ISO; your [agent] timezone)",
        run_snooze,
    )
    snooze.add_argument("until", metavar="WHEN")
    note = action("note", "add an internal note (TEXT, or - to read standard input)", run_note)
    note.add_argument("text", nargs="+", metavar="TEXT")
    note.add_argument(
        "--attach",
        action="append",
        default=[],
        type=Path,
        metavar="PATH",
        help="a file kept with the note (repeatable; the [mail] size caps apply)",
    )
    reply = action("reply", "queue a reply to the customer (TEXT, or - for stdin)", run_reply)
    reply.add_argument("text", nargs="+", metavar="TEXT")
    reply.add_argument("--close", action="store_true", help="close it after the reply")
    reply.add_argument("--category", metavar="TAG", help=category_help)
    reply.add_argument(
        "--send-at",
        metavar="WHEN",
        help="hold it in the outbox until then: morning (the customer's 9:00, when their "
        "mail said their zone), 3h, tomorrow, 2026-12-01 09:00 (your [agent] timezone)",
    )
    rate = action("rate", "record the customer's rating: good, ok or bad", run_rate)
    rate.add_argument("rating", metavar="RATING")
    links = action("rating-links", "the Good / OK / Bad mailto: links for a reply", run_links)
    links.add_argument(
        "--to", metavar="ADDRESS", help="the team address (default: where the customer wrote)"
    )
    merge = action("merge", "merge conversation ID into another (--into TARGET)", run_merge)
    merge.add_argument("--into", required=True, metavar="TARGET", help="the conversation kept")
    action("unmerge", "take back the latest merge into conversation ID", run_unmerge)
    target = action(
        "target",
        "set this conversation's response target (30m: first and next reply), as a rule's "
        "then.target does",
        run_target,
    )
    target.add_argument("time", nargs="?", metavar="TIME", help="for both replies: 30m, 4h, 2d")
    target.add_argument("--first", metavar="TIME", help="the first reply's target")
    target.add_argument("--next", metavar="TIME", help="the next replies' target")
    target.add_argument(
        "--clear", action="store_true", help="remove its own targets: the [sla] ones apply"
    )
    split = action("split", "move a message and its replies to a new conversation", run_split)
    split.add_argument("message", metavar="MESSAGE", help="the message's number (conv show)")


def conversation_id(value: str) -> int:
    """The ID argument as a number, or one sentence."""
    from inbox_tui.errors import UserError
    from inbox_tui.sanitize import one_line

    text = value.strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) == 0:
        raise UserError(f"“{one_line(value, 40)}” is not a conversation number (like 42).")
    return int(text)


def read_text(words: list[str]) -> str:
    """TEXT words joined by spaces, or standard input for ``-``; bounded."""
    from inbox_tui.errors import UserError

    text = sys.stdin.read(MAX_TEXT_CHARS + 1) if words == ["-"] else " ".join(words)
    if len(text) > MAX_TEXT_CHARS:
        raise UserError(
            f"The text is longer than {MAX_TEXT_CHARS:,} characters; nothing was saved."
        )
    return text


def summary(ctx: Context, cid: int) -> dict[str, Any]:
    """What a script needs to know about the conversation after an action."""
    from inbox_tui.models import utcnow
    from inbox_tui.services import sla
    from inbox_tui.services.conversations import get_conversation

    policy = sla.current()
    with ctx.store.read() as s:
        row = get_conversation(s, cid)
        due = sla.due_for(s, policy, [cid]).get(cid) if policy else None
    return {
        "sla": due.as_dict(utcnow(), policy) if due and policy else None,
        "id": row.id,
        "subject": row.subject,
        "status": row.status,
        "assignee": row.assignee,
        "tags": row.tags,
        "snoozed_until": row.snoozed_until.isoformat() if row.snoozed_until else None,
        "last_activity_at": row.last_activity_at.isoformat(),
    }


def report(ctx: Context, cid: int, action: str, changed: bool, sentence: str, **extra: Any) -> int:
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.export import jsonl

    if ctx.args.json:
        record = {"id": cid, "action": action, "changed": changed, **extra}
        sys.stdout.write(jsonl({**record, "conversation": summary(ctx, cid)}))
    else:
        print(one_line(sentence, 500))
    return 0


def run_show(ctx: Context) -> int:
    from inbox_tui.sanitize import for_display, one_line
    from inbox_tui.services.conversations import get_conversation, get_thread
    from inbox_tui.services.export import conversation_records, jsonl

    cid = conversation_id(ctx.args.id)
    with ctx.store.read() as s:
        if ctx.args.json:
            record = conversation_records(s, [get_conversation(s, cid)])[0]
            sys.stdout.write(jsonl(record))
            return 0
        thread = get_thread(s, cid, bug_pattern=ctx.config.bug_pattern)
    from inbox_tui.services.agent_clock import agent_time, agent_zone, stored_times

    zone = agent_zone(ctx.config.agent.timezone)
    c = thread.conversation
    tags = f"  [{one_line(', '.join(c.tags), 200)}]" if c.tags else ""
    print(f"#{c.id}  {one_line(c.subject or '(no subject)', 200)}")
    print(f"{c.status} · {one_line(c.assignee or 'unassigned', 100)} · {c.channel}{tags}")
    for fired in thread.rules_fired:
        print(f"rule {stored_times(fired, zone)}")
    if thread.target_set:
        print(f"target {thread.target_set}")
    for m in thread.messages:
        who = one_line(m.agent or m.author_name or m.author_email or "?", 100)
        kind = "forward" if m.forwarded else m.direction
        when = agent_time(m.sent_at, zone, "%Y-%m-%d %H:%M")  # on the agent's clock
        print(f"\n--- message {m.id} · {kind} · {who} · {when}")
        if addressed := m.addressees():  # already cleaned
            print(addressed)
        print(for_display(m.body).rstrip())
        for note in m.clock_notes:  # already cleaned
            print(f"Note: {note}.")
        if m.links:
            print(f"Linked to {one_line(', '.join(m.links), 500)}.")
    return 0


def run_tag(ctx: Context) -> int:
    return _tags(ctx, add=True)


def run_untag(ctx: Context) -> int:
    return _tags(ctx, add=False)


def _tags(ctx: Context, *, add: bool) -> int:
    from inbox_tui.sanitize import one_line
    from inbox_tui.services import triage

    cid = conversation_id(ctx.args.id)
    names: list[str] = ctx.args.tags
    from inbox_tui.commands.rules import configured
    from inbox_tui.services.rules import newest_event, run_new

    act = triage.tag if add else triage.untag
    rules = configured(ctx) if add else []  # tagged rules fire in the same transaction

    def work(s: Any) -> list[str]:
        before = newest_event(s) if rules else 0
        done = [name for name in names if act(s, ctx.agent, cid, name)]
        run_new(s, rules, before)
        return done

    changed = ctx.store.run(work)
    shown = ", ".join(one_line(n, 100) for n in changed)
    if add:
        sentence = f"Tagged #{cid} {shown}." if changed else f"#{cid} already had those tags."
    else:
        sentence = f"Removed {shown} from #{cid}." if changed else f"#{cid} had none of those tags."
    return report(ctx, cid, "tag" if add else "untag", bool(changed), sentence, tags=changed)


def run_assign(ctx: Context) -> int:
    from inbox_tui.sanitize import one_line
    from inbox_tui.services import triage

    cid = conversation_id(ctx.args.id)
    raw: str = ctx.args.agent.strip()
    who: str | None = None if raw.lower() in ("none", "nobody", "-") else raw
    if who is not None and who.lower() == "me":
        who = ctx.agent
    changed = ctx.store.run(triage.assign, ctx.agent, cid, who)
    target = one_line(who, 100) if who else "nobody"
    sentence = (
        f"Assigned #{cid} to {target}." if changed else f"#{cid} was already assigned to {target}."
    )
    return report(ctx, cid, "assign", changed, sentence)


def run_status(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.models import Status
    from inbox_tui.sanitize import one_line
    from inbox_tui.services import triage

    cid = conversation_id(ctx.args.id)
    status = ctx.args.status.strip().lower()
    if status not in STATUSES:
        raise UserError(
            f"“{one_line(ctx.args.status, 40)}” is not a status; use open, pending or closed "
            "(or conv snooze)."
        )
    category = ctx.args.category
    if category is not None and status != "closed":
        raise UserError("--category goes with closing (conv status ID closed --category TAG).")

    mode = ctx.config.category_on_close
    asked: list[int] = []

    def change(session: Any) -> bool:
        if status == "closed":
            from inbox_tui.services.category_guard import before_close, needs_category

            if category is None and mode == "ask":  # the question the TUI would ask
                asked[:] = needs_category(session, [cid], mode)
            before_close(session, ctx.agent, [cid], category, mode)
        return triage.set_status(session, ctx.agent, cid, Status(status))

    changed = ctx.store.run(change)
    sentence = f"#{cid} is now {status}." if changed else f"#{cid} was already {status}."
    if changed and asked:
        sentence = f"#{cid} is now closed, with no category tag{_likely(ctx, cid)}."
    return report(ctx, cid, "status", changed, sentence)


def _likely(ctx: Context, cid: int) -> str:
    """How to give a closed conversation its category, the likely ones first (what the
    TUI asks when closing under ``category_on_close = "ask"``)."""
    from inbox_tui.services.categories import choices

    with ctx.store.read() as s:
        found = choices(s, cid)
    likely = [c.name for c in found if c.hint][:3]
    if likely:
        return f"; conv tag {cid} NAME gives it one (likely: {', '.join(likely)})"
    names = ", ".join(c.name for c in found[:8]) + (" …" if len(found) > 8 else "")
    return f"; conv tag {cid} NAME gives it one" + (f" (one of: {names})" if found else "")


def run_snooze(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.models import utcnow
    from inbox_tui.services import triage
    from inbox_tui.services.agent_clock import agent_time, agent_zone, read_time

    cid = conversation_id(ctx.args.id)
    zone = agent_zone(ctx.config.agent.timezone)  # "tomorrow 2pm" on the agent's clock
    try:
        until = read_time(ctx.args.until, utcnow(), zone)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    changed = ctx.store.run(triage.snooze, ctx.agent, cid, until)
    sentence = f"#{cid} is snoozed until {agent_time(until, zone, '%Y-%m-%d %H:%M')}."
    return report(ctx, cid, "snooze", changed, sentence)


def run_note(ctx: Context) -> int:
    from inbox_tui.services import buglinks

    cid = conversation_id(ctx.args.id)
    text = read_text(ctx.args.text)
    files = ctx.args.attach
    note = ctx.store.run(
        lambda s: buglinks.add_note(
            s, ctx.agent, cid, text, pattern=ctx.config.bug_pattern,
            attachments=files, config=ctx.config,
        )
    )  # fmt: skip
    with_files = f" with {count(len(files), 'file')}" if files else ""
    linked = buglinks.linked_sentence(note.links)
    sentence = f"Noted on #{cid}{with_files}. {linked}".strip()
    return report(ctx, cid, "note", True, sentence, message=note.id, links=note.links)


def run_reply(ctx: Context) -> int:
    from inbox_tui.services.compose import send_reply

    cid = conversation_id(ctx.args.id)
    text = read_text(ctx.args.text)
    then = "closed" if ctx.args.close else None
    if ctx.args.category is not None and then is None:
        from inbox_tui.errors import UserError

        raise UserError("--category goes with --close (conv reply ID TEXT --close --category TAG).")
    send_at = None
    if ctx.args.send_at is not None:
        from inbox_tui.models import utcnow
        from inbox_tui.services.agent_clock import agent_zone
        from inbox_tui.services.schedule import send_at_for

        zone = agent_zone(ctx.config.agent.timezone)
        with ctx.store.read() as session:
            send_at = send_at_for(session, cid, ctx.args.send_at, utcnow(), zone)
    asked = []
    if then == "closed" and ctx.args.category is None and ctx.config.category_on_close == "ask":
        from inbox_tui.services.category_guard import needs_category

        with ctx.store.read() as session:  # the question the TUI would ask
            asked = needs_category(session, [cid], "ask")
    sent = ctx.store.run(
        send_reply, ctx.agent, cid, text, config=ctx.config, then_status=then,
        category=ctx.args.category, send_at=send_at,
    )  # fmt: skip
    if sent.sentence.startswith("Reply scheduled"):
        sentence = f"#{cid}: {sent.sentence} (outbox {sent.outbox_id})"
    elif sent.logged:
        sentence = f"Replied on #{cid} (recorded in the conversation, not delivered)."
    else:
        sentence = f"Queued the reply on #{cid} (outbox {sent.outbox_id}; `inbox-tui outbox flush` sends it)."
    if asked:
        sentence += f" It is closed with no category tag{_likely(ctx, cid)}."
    return report(ctx, cid, "reply", True, sentence, outbox=sent.outbox_id, logged=sent.logged)


def run_merge(ctx: Context) -> int:
    from inbox_tui.services.merge import merge

    cid, target = conversation_id(ctx.args.id), conversation_id(ctx.args.into)
    moved = ctx.store.run(merge, ctx.agent, cid, target)
    sentence = (
        f"Merged #{cid} into #{target} ({count(moved.messages, 'message')}); "
        f"`inbox-tui conv unmerge {target}` takes it back."
    )
    return report(ctx, target, "merge", True, sentence, merged=cid, messages=moved.messages)


def run_unmerge(ctx: Context) -> int:
    from inbox_tui.services.merge import unmerge

    cid = conversation_id(ctx.args.id)
    moved = ctx.store.run(unmerge, ctx.agent, cid)
    sentence = (
        f"#{moved.other} is back on its own ({count(moved.messages, 'message')} left #{cid})."
    )
    return report(
        ctx, cid, "unmerge", True, sentence, restored=moved.other, messages=moved.messages
    )


def run_split(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.merge import split

    cid = conversation_id(ctx.args.id)
    raw = ctx.args.message.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise UserError(f"“{one_line(raw, 40)}” is not a message number (conv show lists them).")
    moved = ctx.store.run(split, ctx.agent, cid, int(raw))
    sentence = f"Split {count(moved.messages, 'message')} of #{cid} into the new conversation #{moved.other}."
    return report(ctx, cid, "split", True, sentence, new=moved.other, messages=moved.messages)


def run_target(ctx: Context) -> int:
    from inbox_tui.services import sla

    cid = conversation_id(ctx.args.id)
    first, next_, clear = target_args(ctx.args.time, ctx.args.first, ctx.args.next, ctx.args.clear)
    changed = ctx.store.run(sla.set_by_hand, ctx.agent, cid, first, next_, clear)
    if changed:
        sentence = f"#{cid}: {'; '.join(changed)}."
    else:
        sentence = f"#{cid} already had {'no target of its own' if clear else 'that target'}."
    if not sla.current() and not clear:
        sentence += " (No [sla] in the config: targets count once it has one.)"
    extra = {"first": first.total_seconds() if first else None}
    extra["next"] = next_.total_seconds() if next_ else None
    return report(ctx, cid, "target", bool(changed), sentence, **extra)


def target_args(
    time: str | None, first: str | None, next_: str | None, clear: bool
) -> tuple[Any, Any, bool]:
    """``conv target``'s arguments as (first, next, clear), or one sentence (the rules'
    words for a target: a time like 30m, at most a year)."""
    from inbox_tui.errors import UserError
    from inbox_tui.services.sla import target_time

    if clear:
        if time or first or next_:
            raise UserError("--clear takes no time; nothing was changed.")
        return None, None, True
    if time and (first or next_):
        raise UserError("Give one time for both replies (30m) or --first / --next, not both.")
    if not (time or first or next_):
        raise UserError("Give a time (30m, 4h, 2d), --first / --next, or --clear.")

    def parsed(text: str | None) -> Any:
        return target_time(text) if text is not None else None

    if time:
        return parsed(time), parsed(time), False
    return parsed(first), parsed(next_), False


def run_rate(ctx: Context) -> int:
    from inbox_tui.services import triage

    cid = conversation_id(ctx.args.id)
    rating = ctx.args.rating.strip().lower()
    changed = ctx.store.run(triage.set_rating, ctx.agent, cid, rating, via="agent")
    sentence = f"#{cid} is rated {rating}." if changed else f"#{cid} was already rated {rating}."
    return report(ctx, cid, "rate", changed, sentence)


def run_links(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.services.export import jsonl
    from inbox_tui.services.ratings import links, links_line

    cid = conversation_id(ctx.args.id)
    with ctx.store.read() as s:
        found = links(s, cid, ctx.args.to)
    if not found:
        raise UserError(f"Conversation {cid} has no address to rate to; give one with --to.")
    if ctx.args.json:
        sys.stdout.write(jsonl({"id": cid, **found}))
    else:
        print(links_line(found))
    return 0

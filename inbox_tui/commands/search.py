"""``inbox-tui search QUERY``: the TUI's ``/`` for scripts and for checking, over every
conversation. Prints one line per conversation, or with ``--json`` the objects
``export`` writes (one per line); a summary goes to standard error."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from inbox_tui.words import count

if TYPE_CHECKING:
    from inbox_tui.context import Context

MAX_LIMIT = 10_000


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "search",
        help="find conversations with the search language of the TUI's /",
        description='Words and "phrases" (subject or any message, a word also as a prefix), '
        "is:open|pending|snoozed|closed, tag:NAME, -tag:NAME, assignee:me|NAME|none, "
        "from:TEXT, after:DATE, before:DATE (2026-01-31, 2026-01-31T09:30 or 3d), "
        "channel:chat|email. Every conversation is searched, newest activity first. "
        "A term that starts with '-' works anywhere on the line.",
    )
    p.add_argument("query", nargs="*", metavar="QUERY", help="search terms (all must match)")
    p.add_argument(
        "--json",
        action="store_true",
        help="print each conversation as export does: one JSON object per line, with messages",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=50,
        metavar="N",
        help=f"print at most N conversations (default 50, at most {MAX_LIMIT:,})",
    )
    # "-tag:spam" looks like an option to argparse: unknown dashed words are search terms.
    p.set_defaults(func=run, extra_args="query")


def run(ctx: Context) -> int:
    from inbox_tui.errors import UserError
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.agent_clock import agent_zone
    from inbox_tui.services.export import conversation_records, jsonl
    from inbox_tui.services.search import search_conversations

    limit: int = ctx.args.limit
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"--limit must be between 1 and {MAX_LIMIT:,}.")
    query = " ".join(ctx.args.query)
    zone = agent_zone(ctx.config.agent.timezone)  # times typed, dates shown: the agent's
    with ctx.store.read() as session:
        rows, total = search_conversations(session, query, ctx.agent, limit=limit, zone=zone)
        records = conversation_records(session, rows) if ctx.args.json else []
    out = sys.stdout
    if ctx.args.json:
        for record in records:
            out.write(jsonl(record))
    else:
        from inbox_tui.services.agent_clock import agent_time

        for row in rows:
            who = row.assignee or "-"
            at = agent_time(row.last_activity_at, zone, "%Y-%m-%d %H:%M", named=False)
            contact = one_line(row.contact_name or row.contact_email or "", 40)
            tags = f"  [{one_line(', '.join(row.tags), 60)}]" if row.tags else ""
            out.write(
                f"{row.id:>7}  {row.status:<8} {one_line(who, 16):<16} "
                f"{at}  {one_line(row.subject or '(no subject)', 80)}"
                f"  · {contact}{tags}\n"
            )
    if total == 0:
        print("No conversation matches." + _as_text_note(query, ctx.agent), file=sys.stderr)
    elif len(rows) < total:
        print(f"{len(rows):,} of {total:,} conversations (--limit to see more).", file=sys.stderr)
    else:
        print(f"{count(total, 'conversation')}.", file=sys.stderr)
    return 0


def _as_text_note(query: str, me: str) -> str:
    """When a ``key:value`` that is no operator was looked for as text, say so: "foo:bar"
    finding nothing could otherwise read as an operator that matched nothing."""
    from inbox_tui.sanitize import one_line
    from inbox_tui.services.search import parse_query

    as_text = [t for t in parse_query(query, me, complete=True).text if ":" in t.strip(":")]
    if not as_text:
        return ""
    return f" ('{one_line(as_text[0], 40)}' was looked for as text: it is not a search operator.)"

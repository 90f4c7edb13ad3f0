"""``inbox-tui stats``: per-agent and per-tag figures from the event log."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from inbox_tui.errors import UserError

if TYPE_CHECKING:
    from inbox_tui.context import Context
    from inbox_tui.services.stats import Report


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from inbox_tui.services.stats_definitions import DEFINITIONS

    epilog = "Definitions:\n" + "\n".join(f"  {k}: {v}" for k, v in DEFINITIONS.items())
    epilog += "\n\nDurations are seconds in JSON/CSV (mean, median, p90 by nearest rank, with their count)."
    p = sub.add_parser(
        "stats",
        help="per-agent and per-tag statistics",
        description="Per-agent replies, closes and response times (mean, median, p90), busiest hours and what each tag costs, computed from the event log. The period defaults to the last 30 days and is compared with the 30 days before.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--since", metavar="DATE", help="start (YYYY-MM-DD or ISO time, UTC); default: 30 days ago"
    )
    p.add_argument("--until", metavar="DATE", help="end, exclusive (default: now)")
    p.add_argument("--period", choices=["7d", "30d", "6m"], help="a preset period ending now")
    p.add_argument("--agent", metavar="NAME", help="only this agent")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument(
        "--per-conversation",
        action="store_true",
        help="CSV/JSON rows per conversation with its times",
    )
    p.add_argument(
        "--sla-by-tag",
        action="store_true",
        help="rows per tag: replies judged against their response target, and how many were late",
    )
    p.add_argument(
        "--exclude-incidents",
        action="store_true",
        help="leave conversations confirmed as part of an incident out of the response times (CSV and JSON rows say how many; --per-conversation leaves them out)",
    )
    p.add_argument(
        "--repeat-days",
        type=int,
        default=None,
        metavar="N",
        help="a customer writing again within N days of a close is a repeat contact (default: [insight] repeat_days, 7)",
    )
    p.add_argument(
        "--tz",
        metavar="ZONE",
        help="the zone of the weekday x hour heatmaps, e.g. Europe/Berlin (default: "
        "[business_hours] timezone, else UTC; JSON names it as heatmap_zone)",
    )
    p.add_argument(
        "--week",
        type=int,
        choices=[5, 7],
        default=5,
        help="working days per week for per-day figures (default 5)",
    )
    p.set_defaults(func=run)


def _date(value: str, what: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"--{what} {value!r} is not a date like 2026-01-31.") from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def run(ctx: Context) -> int:
    from inbox_tui.services.agent_clock import agent_zone
    from inbox_tui.services.stats import BusinessHours, compute_report, period

    args = ctx.args
    now = datetime.now(UTC)
    if args.period:
        since, until = period(args.period, now)
    else:
        until = _date(args.until, "until") if args.until else now
        since = _date(args.since, "since") if args.since else until - timedelta(days=30)
    bh = BusinessHours.from_config(ctx.config.business_hours)
    zone = args.tz or str((ctx.config.business_hours or {}).get("timezone", "UTC"))
    with ctx.store.read() as session:
        report = compute_report(
            session,
            since,
            until,
            agent=args.agent,
            business_hours=bh,
            days_per_week=args.week,
            zone=zone,
            exclude_incidents=args.exclude_incidents,
            subjects=args.per_conversation,
        )
    breaches = _breaches(ctx, since, until, now)
    out = sys.stdout
    if args.per_conversation:
        _print_per_conversation(report, args.format, out)
        return 0
    if args.sla_by_tag:
        _print_tag_breaches(breaches, args.format, out)
        return 0
    if args.format == "json":
        from inbox_tui.services.continuity import handoffs

        data = report.as_dict()
        with ctx.store.read() as session:
            data["repeat_contacts"] = _repeats(
                session, since, until, args.repeat_days or ctx.config.repeat_days
            ).as_dict()
            data["handoffs"] = [h.as_dict() for h in handoffs(session, since, until)]
        # Replies after their response target ([sla]), per agent and tag; null unset.
        data["breaches"] = breaches.as_dict() if breaches else None
        json.dump(data, out, indent=1, default=str)
        out.write("\n")
        return 0
    rows = [report.agent_row(a) for a in sorted(report.agents.values(), key=lambda a: a.agent)] + [
        report.agent_row(report.team)
    ]
    if breaches is not None:
        for r in rows:
            judged, late = breaches.by_agent.get(r["agent"], [0, 0])
            if r["agent"] == "team":
                judged, late = breaches.responses, breaches.breached
            r["sla_replies"], r["sla_breached"] = judged, late
    if args.format == "csv":
        with ctx.store.read() as session:
            days = args.repeat_days or ctx.config.repeat_days
            _add_continuity(rows, session, since, until, days)
        _print_csv(rows, out)
        return 0
    _print_table(report, rows, since, until, agent_zone(ctx.config.agent.timezone))
    if breaches is not None:
        _print_breaches(breaches)
    from inbox_tui.services.continuity import handoffs

    with ctx.store.read() as session:
        rep = _repeats(session, since, until, args.repeat_days or ctx.config.repeat_days)
        _print_repeats(rep, {h.agent: h.handoffs for h in handoffs(session, since, until)})
    _print_gaps(rep)
    print("\nDefinitions: inbox-tui stats --help")
    return 0


def _breaches(ctx: Context, since: datetime, until: datetime, now: datetime) -> Any:
    """Replies after their response target in the period (``sla.breach_report``), or
    None when the config sets no targets."""
    from inbox_tui.services import sla

    policy = sla.SlaPolicy.from_config(ctx.config.sla, ctx.config.business_hours)
    if policy is None:
        return None
    with ctx.store.read() as session:
        return sla.breach_report(session, policy, since, until, now)


def _print_breaches(rep: Any) -> None:
    from inbox_tui.sanitize import one_line

    print(
        f"\nReplies after their response target: {rep.breached:,} of {rep.responses:,} "
        "(agent or tag, late, replies judged):"
    )
    for by, book in (("agent", rep.by_agent), ("tag", rep.by_tag)):
        for name, (judged, late) in sorted(book.items(), key=lambda kv: (-kv[1][1], kv[0])):
            print(f"  {by:<5} {one_line(name, 24):<24} {late:>5} {judged:>6}")


def _repeats(session: Any, since: datetime, until: datetime, days: int, gaps: bool = True) -> Any:
    from inbox_tui.services.repeats import report

    return report(session, since, until, days=days, gaps=gaps)


def _print_gaps(rep: Any) -> None:
    """Help-content gaps: category tags and groups of similar conversations closed with
    no article sent (the help centre may lack their answer)."""
    from inbox_tui.sanitize import one_line

    tags, groups = rep.tags_without_article, rep.groups_without_article
    if not tags and not groups:
        return
    print("\nClosed with no help article sent (answers the help centre may lack):")
    for r in tags:
        print(f"  tag   {one_line(r.key, 40):<40} {len(rep.gap_ids.get(r.key, [])):>5}")
    for g in groups[:10]:
        print(f"  like  {one_line(g['subject'], 40):<40} {g['count']:>5}")


def _print_repeats(rep: Any, moved: dict[str, int] | None = None) -> None:
    """Repeat contacts, conversations closed without a category and handoffs, per agent."""
    from inbox_tui.sanitize import one_line

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    uncat = {u.agent: u.as_dict() for u in rep.uncategorised}
    moved = moved or {}
    print(
        f"\nRepeat contacts within {rep.days} days of a close "
        "(agent, closes, rate, no category, handoffs):"
    )
    for r in [*rep.agents, rep.team]:
        u = uncat.get(r.key, {})
        print(
            f"  {one_line(r.key, 12):<12} {r.closes:>6}  {pct(r.rate):>5}  "
            f"{pct(u.get('share')):>5}  {moved.get(r.key, 0):>5}"
            + (f"  ({r.pending} too recent)" if r.pending else "")
        )


def _print_per_conversation(report: Report, fmt: str, out: TextIO) -> None:
    """``--per-conversation``: one row per conversation, as JSON or CSV."""
    conv_rows = [
        {
            "id": c.id,
            "subject": c.subject,
            "first_message_at": c.first_message_at.isoformat() if c.first_message_at else "",
            "first_response_seconds": (c.first_response_at - c.first_message_at).total_seconds()
            if c.first_response_at and c.first_message_at
            else "",
            "first_responder": c.first_responder or "",
            "closed_at": c.closed_at.isoformat() if c.closed_at else "",
            "closer": c.closer or "",
            "tags": " ".join(sorted(t for t in c.tags if t)),
            "rating": c.rating or "",
        }
        for c in report.conversations
        if c.id not in report.excluded_ids  # --exclude-incidents
    ]
    if fmt == "json":
        json.dump(conv_rows, out, indent=1)
        out.write("\n")
    else:
        w = csv.DictWriter(out, fieldnames=list(conv_rows[0]) if conv_rows else ["id"])
        w.writeheader()
        w.writerows(conv_rows)


def _add_continuity(
    rows: list[dict[str, Any]], session: Any, since: datetime, until: datetime, days: int
) -> None:
    """The CSV's repeat-contact, no-category and handoff columns on each agent row and
    the team's (definitions: ``stats --help``; JSON carries them in full)."""
    from inbox_tui.services.continuity import handoffs

    rep = _repeats(session, since, until, days, gaps=False)
    repeat = {r.key: r for r in [*rep.agents, rep.team]}
    uncat = {u.agent: u.as_dict() for u in rep.uncategorised}
    moved = {h.agent: h.handoffs for h in handoffs(session, since, until)}
    for r in rows:
        got = repeat.get(r["agent"])
        r["repeat_days"] = days
        r["repeat_closes"] = got.closes if got else 0
        r["repeat_contacts"] = got.repeated if got else 0
        r["repeat_contact_rate"] = got.rate if got else None
        r["repeat_pending"] = got.pending if got else 0
        r["closed_without_category"] = uncat.get(r["agent"], {}).get("without_category", 0)
        r["handoffs"] = moved.get(r["agent"], 0)


def _print_csv(rows: list[dict[str, Any]], out: TextIO) -> None:
    """The agent rows as CSV, nested figures flattened to ``figure_stat`` columns (with
    response targets set, ``sla_replies`` and ``sla_breached`` too)."""
    flat = []
    for r in rows:
        f = {k: v for k, v in r.items() if not isinstance(v, dict)}
        for metric in (
            "first_response",
            "response",
            "time_to_close",
            "first_response_business",
        ):
            if metric in r:
                for stat, value in r[metric].items():
                    f[f"{metric}_{stat}"] = value
        for rating, n in r["csat"].items():
            f[f"csat_{rating}"] = n
        flat.append(f)
    w = csv.DictWriter(out, fieldnames=list(flat[0]))
    w.writeheader()
    w.writerows(flat)


def _print_tag_breaches(breaches: Any, fmt: str, out: TextIO) -> None:
    """``--sla-by-tag``: one row per tag, replies judged against their target and late."""
    if breaches is None:
        raise UserError(
            "No response targets are set; add an [sla] section to the config (see docs/config.md)."
        )
    rows = [
        {"tag": name, "sla_replies": judged, "sla_breached": late}
        for name, (judged, late) in sorted(breaches.by_tag.items())
    ]
    if fmt == "json":
        json.dump(rows, out, indent=1)
        out.write("\n")
    elif fmt == "csv":
        w = csv.DictWriter(out, fieldnames=["tag", "sla_replies", "sla_breached"])
        w.writeheader()
        w.writerows(rows)
    else:
        _print_breaches(breaches)


def _print_table(
    report: Report, rows: list[dict[str, Any]], since: datetime, until: datetime, zone: str
) -> None:
    """The report as the text table a person reads (its period on the agent's clock)."""
    from inbox_tui.services.agent_clock import agent_time
    from inbox_tui.services.stats import human

    start, end = (agent_time(at, zone, "%Y-%m-%d %H:%M") for at in (since, until))
    print(f"{start} to {end} ({report.working_days:g} working days)")
    head = f"{'agent':<12} {'replies':>7} {'notes':>5} {'closed':>6} {'/day':>5} {'1st resp med':>12} {'p90':>6} {'n':>4} {'close med':>9} {'csat +/~/-':>10}"
    print(head)
    print("-" * len(head))
    for r in rows:
        fr, tc = r["first_response"], r["time_to_close"]
        csat = r["csat"]
        print(
            f"{r['agent'][:12]:<12} {r['replies_sent']:>7} {r['notes_written']:>5} {r['conversations_closed']:>6} "
            f"{r['handled_per_day'] if r['handled_per_day'] is not None else '—':>5} {human(fr['median']):>12} {human(fr['p90']):>6} {fr['count']:>4} "
            f"{human(tc['median']):>9} {csat['good']:>4}/{csat['ok']}/{csat['bad']}"
        )
    if report.previous is not None:
        prev = report.previous.agent_row(report.previous.team)
        print(
            f"\nPrevious period: {prev['replies_sent']} replies, {prev['conversations_closed']} closed, "
            f"median first response {human(prev['first_response']['median'])}."
        )
    if report.tags:
        print("\nWhere the time goes (tag, conversations, median handle time):")
        for t in report.tags[:10]:
            print(
                f"  {t['tag'][:24]:<24} {t['conversations']:>5}  {human(t['median_handle_time']):>6}"
            )
    if report.feature_requests:
        print("\nTop feature requests:")
        for fr_ in report.feature_requests[:5]:
            print(f"  {fr_['count']:>3} × {fr_['subject'][:60]}")

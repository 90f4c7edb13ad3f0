"""Per-agent and per-tag statistics, computed from the event log.

Every figure has a one-line definition in ``DEFINITIONS``; the CLI's ``--help``, the
README and the TUI all show these same sentences. Durations are reported as mean,
median and p90 with the count behind them. Percentiles use the nearest-rank method:
p90 of n values is the value at rank ceil(0.9 n) in sorted order (so it is always one of
the observed values, and p50 of [1, 2, 3, 4] is 2).

Reports read the aggregates kept in step with the log (``inbox_tui.store.aggregates``):
a few range scans of one covering index per period, never a pass over the events. The
drill-down functions at the end read the same rows with the same conditions, so the
conversations listed behind a number always add up to it.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, text
from sqlmodel import Session

from inbox_tui.errors import UserError
from inbox_tui.sanitize import base_subject
from inbox_tui.services.core import find_agent
from inbox_tui.services.feature_groups import feature_requests as _feature_requests
from inbox_tui.services.feature_groups import from_scores
from inbox_tui.services.stats_definitions import DEFINITIONS
from inbox_tui.services.stats_figures import AgentStats as AgentStats
from inbox_tui.services.stats_figures import ConversationFigures, Tally, agent_filter, paused_gc
from inbox_tui.services.stats_figures import ConversationTimes as ConversationTimes
from inbox_tui.services.stats_figures import Summary as Summary
from inbox_tui.services.stats_figures import percentile as percentile
from inbox_tui.services.stats_queries import (
    BUCKET_US,
    CONVERSATIONS,
    FIRST_MESSAGES,
    INCIDENT_CONVERSATIONS,
    INCOMING,
    RATINGS,
    events_query,
    local_cell,
    period_params,
    rating_owner,
)
from inbox_tui.store import dialect, subject_keys
from inbox_tui.store.aggregates import to_us
from inbox_tui.store.subject_keys import FEATURE_REQUEST  # the tag grouped by subject

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass
class BusinessHours:
    """Working time: a zone, weekdays (0 = Monday) and daily hours."""

    zone: ZoneInfo
    days: set[int]
    start: time
    end: time

    @classmethod
    def from_config(cls, section: dict[str, Any] | None) -> BusinessHours | None:
        if not section:
            return None
        try:
            zone = ZoneInfo(str(section.get("timezone", "UTC")))
        except ZoneInfoNotFoundError as exc:
            raise UserError(
                f"[business_hours] timezone {section.get('timezone')!r} is not a known time zone."
            ) from exc
        names = [d.lower()[:3] for d in section.get("days", ["mon", "tue", "wed", "thu", "fri"])]
        lookup = {n.lower(): i for i, n in enumerate(WEEKDAYS)}
        if any(n not in lookup for n in names):
            raise UserError("[business_hours] days must be names like mon, tue, …")
        try:
            start = time.fromisoformat(str(section.get("start", "09:00")))
            end = time.fromisoformat(str(section.get("end", "17:00")))
        except ValueError as exc:
            raise UserError("[business_hours] start and end must be times like 09:00.") from exc
        if end <= start:
            raise UserError("[business_hours] end must be after start.")
        return cls(zone, {lookup[n] for n in names}, start, end)

    def seconds_between(self, a: datetime, b: datetime) -> float:
        """Working seconds in [a, b), walking local days (DST-correct: each day's window
        is built in local time, then compared as instants)."""
        if b <= a:
            return 0.0
        total = 0.0
        day = a.astimezone(self.zone).date()
        last = b.astimezone(self.zone).date()
        while day <= last:
            if day.weekday() in self.days:
                open_ = datetime.combine(day, self.start, self.zone)
                close = datetime.combine(day, self.end, self.zone)
                lo, hi = max(a, open_), min(b, close)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total


@dataclass
class Report:
    since: datetime
    until: datetime
    working_days: float
    agents: dict[str, AgentStats]
    team: AgentStats
    incoming_heatmap: list[list[int]]  # [weekday][hour]
    first_response_by_hour: list[float | None]  # median seconds, by hour of the customer message
    # median seconds, [weekday][hour] of the customer's first message
    first_response_heatmap: list[list[float | None]]
    tags: list[dict[str, Any]]
    feature_requests: list[dict[str, Any]]
    conversations: list[ConversationTimes]
    daily_incoming: list[int]
    business_hours: bool
    previous: Report | None = None
    excluded_incidents: int | None = None  # conversations left out of the times, on request
    excluded_ids: frozenset[int] = frozenset()  # which (per-conversation output leaves them out)
    zone: str = "UTC"  # the heatmaps' weekday and hour are in this zone

    def agent_row(self, a: AgentStats) -> dict[str, Any]:
        row: dict[str, Any] = {
            "agent": a.agent,
            "replies_sent": a.replies_sent,
            "notes_written": a.notes_written,
            "conversations_closed": a.conversations_closed,
            "close_events": a.close_events,
            "handled_per_day": round(a.handled / self.working_days, 2)
            if self.working_days
            else None,
            "macros_applied": a.macros_applied,
            "articles_sent": a.articles_sent,
            "first_response": a.summary("first_response").as_dict(),
            "response": a.summary("response").as_dict(),
            "time_to_close": a.summary("time_to_close").as_dict(),
            "csat": dict(a.csat),
        }
        if self.business_hours:
            row["first_response_business"] = a.summary("first_response_bh").as_dict()
        if self.excluded_incidents is not None:  # a CSV row says its times leave them out
            row["excluded_incident_conversations"] = self.excluded_incidents
        return row

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "working_days": self.working_days,
            "definitions": DEFINITIONS,
            "percentile_method": "nearest-rank",
            "units": "seconds",
            "team": self.agent_row(self.team),
            "agents": [
                self.agent_row(a) for a in sorted(self.agents.values(), key=lambda a: a.agent)
            ],
            "heatmap_zone": self.zone,
            "incoming_by_weekday_hour": {"weekdays": WEEKDAYS, "counts": self.incoming_heatmap},
            "median_first_response_by_hour": self.first_response_by_hour,
            "median_first_response_by_weekday_hour": {
                "weekdays": WEEKDAYS,
                "seconds": self.first_response_heatmap,
            },
            "daily_incoming": self.daily_incoming,
            "tags": self.tags,
            "feature_requests": self.feature_requests,
        }
        if self.excluded_incidents is not None:
            out["excluded_incident_conversations"] = self.excluded_incidents
        if self.previous is not None:
            out["previous"] = {
                "since": self.previous.since.isoformat(),
                "until": self.previous.until.isoformat(),
                "team": self.previous.agent_row(self.previous.team),
            }
        return out


def _aware(dt: Any) -> datetime:
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def working_days(since: datetime, until: datetime, days_per_week: int, zone: ZoneInfo) -> float:
    if days_per_week == 7:
        return max((until - since).total_seconds() / 86400, 0.0)
    count = 0
    day = since.astimezone(zone).date()
    end = until.astimezone(zone).date()
    while day < end or (day == end and until.astimezone(zone).time() > time(0)):
        if day.weekday() < 5:
            count += 1
        day += timedelta(days=1)
    return float(count)


def compute_report(
    session: Session,
    since: datetime,
    until: datetime,
    *,
    agent: str | None = None,
    business_hours: BusinessHours | None = None,
    days_per_week: int = 5,
    zone: str = "UTC",
    compare: bool = True,
    detail: bool = True,
    exclude_incidents: bool = False,
    subjects: bool = False,
) -> Report:
    """The report for [since, until), with the previous period of the same length when
    ``compare`` (only its team figures: that is all anyone shows of it).

    ``exclude_incidents``: the conversations confirmed as part of an incident count in
    no response time (first response, response, time to close), since an outage skews
    them; the counts keep them.

    ``detail=False`` leaves out what only the CLI prints and costs most on a large store:
    feature-request grouping (fuzzy comparison of subjects) and ``conversations``.
    ``subjects``: fill in the subject of every conversation in ``conversations`` (the
    per-conversation output); otherwise only the grouped ones have theirs.

    Raises UserError for an empty or reversed period, or an unknown time zone, and
    NotFound for an unknown ``agent``."""
    since, until = _aware(since), _aware(until)
    if until <= since:
        raise UserError("The period is empty: --until must be after --since.")
    try:
        tz = ZoneInfo(zone)
    except ZoneInfoNotFoundError as exc:
        raise UserError(f"{zone!r} is not a known time zone.") from exc
    if agent is not None:
        find_agent(session, agent)  # NotFound: one sentence, not a report of zeros
    skip = (
        frozenset(int(r[0]) for r in session.execute(INCIDENT_CONVERSATIONS))
        if exclude_incidents
        else frozenset()
    )
    args = (agent, business_hours, days_per_week, tz)
    with paused_gc():
        report = _compute(session, since, until, *args, detail, skip)
        if subjects:
            load_subjects(session, [c for c in report.conversations if not c.subject])
        report.zone = zone
        if exclude_incidents:
            report.excluded_incidents, report.excluded_ids = len(skip), skip
        if compare:
            report.previous = _compute(session, since - (until - since), since, *args, None, skip)
    return report


def _agent_names(session: Session) -> dict[int, str]:
    return {int(i): str(u) for i, u in session.execute(text("SELECT id, username FROM agent"))}


def load_subjects(session: Session, convs: list[Any]) -> None:
    """Fill in the ``subject`` of ``convs`` (ConversationTimes or DrillRow), by id."""
    by_id = {c.id if isinstance(c, ConversationTimes) else c.conversation_id: c for c in convs}
    ids = list(by_id)
    stmt = text("SELECT id, subject FROM conversation WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for i in range(0, len(ids), 5000):
        for conv_id, subject in session.execute(stmt, {"ids": ids[i : i + 5000]}).all():
            by_id[conv_id].subject = subject


def _compute(
    session: Session,
    since: datetime,
    until: datetime,
    only_agent: str | None,
    bh: BusinessHours | None,
    days_per_week: int,
    tz: ZoneInfo,
    detail: bool | None,
    skip: frozenset[int] = frozenset(),
) -> Report:
    """The report for one period, from the aggregates (``inbox_tui.store.aggregates``): a
    handful of range scans of one covering index, no pass over the event log.

    ``detail`` None: team and agent figures only (heatmaps, tags and conversations
    stay empty), for the previous period."""
    p = period_params(since, until)
    tally = Tally(_agent_names(session), only_agent)
    agents = sorted(tally.wanted_set)
    events = events_query(dialect.is_postgres(session.connection()), len(agents))
    ids = {f"a{i}": agent_id for i, agent_id in enumerate(agents)}
    tally.count_events(dialect.raw_rows(session, events, {**p, **ids}), skip)

    times = ConversationFigures(tally, bh, tz, detail, p["lo"], p["hi"])
    heat = [[0] * 24 for _ in range(7)]
    n_days = max(1, math.ceil((until - since).total_seconds() / 86400))
    daily = [0] * n_days
    for bucket, day, n in session.execute(INCOMING, p).all() if detail is not None else ():
        wd, hour = times.cell(bucket * BUCKET_US)  # shared: first messages are incoming
        heat[wd][hour] += n
        daily[min(n_days - 1, day)] += n

    rows = dialect.raw_rows(session, CONVERSATIONS if detail is not None else FIRST_MESSAGES, p)
    times.skip = skip
    times.add_all(rows)
    times.summarise()
    by_id = {c.id: c for c in times.convs}
    requests: list[dict[str, Any]] = []
    if detail:
        # Only the grouping reads subjects here (loading every one was 1 s of the full
        # report on a 1 M-message store); ``--per-conversation`` loads the rest.
        wanted = [c for c in times.convs if FEATURE_REQUEST in c.tags]
        load_subjects(session, wanted)
        similar = subject_keys.neighbours(session, (base_subject(c.subject) for c in wanted))
        requests = _feature_requests(wanted, match=from_scores(similar))
    tally.count_ratings(session.execute(RATINGS, p).all(), by_id)

    return Report(
        since=since,
        until=until,
        working_days=working_days(since, until, days_per_week, tz),
        agents=tally.agents,
        team=tally.team,
        incoming_heatmap=heat,
        first_response_by_hour=[times.median_s(v) for v in times.fr_by_hour],
        first_response_heatmap=[[times.median_s(v) for v in row] for row in times.fr_by_cell],
        tags=_tag_costs_us(times.tagged, p["lo"], p["hi"]),
        feature_requests=requests,
        conversations=sorted(times.convs, key=lambda c: c.id),
        daily_incoming=daily,
        business_hours=bh is not None,
    )


def _tag_costs(
    convs: Iterable[ConversationTimes], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    def us(dt: datetime | None) -> int | None:
        return None if dt is None else to_us(dt)

    items = ((c.tags, us(c.first_response_at), us(c.closed_at)) for c in convs)
    return _tag_costs_us(items, to_us(since), to_us(until))


def _tag_costs_us(
    convs: Iterable[tuple[set[str], int | None, int | None]], lo: int, hi: int
) -> list[dict[str, Any]]:
    """Per tag of the conversations given as (tags, first response, last close), in
    microseconds: how many, and the median handle time of those closed in [lo, hi)."""
    per_tag: dict[str, list[tuple[int | None, int | None]]] = defaultdict(list)
    for tags, first_resp, closed in convs:
        for t in tags:
            if t:
                per_tag[t].append((first_resp, closed))
    rows: list[dict[str, Any]] = []
    for tag, items in per_tag.items():
        handle = [
            (closed - first_resp) / 1_000_000
            for first_resp, closed in items
            if closed is not None
            and first_resp is not None
            and closed >= first_resp
            and lo <= closed < hi
        ]
        median = percentile(handle, 50)
        rows.append(
            {
                "tag": tag,
                "conversations": len(items),
                "median_handle_time": median,
                "handled_count": len(handle),
                "total_cost": (median or 0) * len(items),
            }
        )
    rows.sort(key=lambda r: (-r["total_cost"], -r["conversations"], r["tag"]))
    return rows


# -- drill-down: the conversations behind a number ---------------------------------

# Figures that count events of one kind (or kinds) by an agent in the period.
_EVENT_FIGURES: dict[str, tuple[str, ...]] = {
    "replies_sent": ("replied",),
    "notes_written": ("noted",),
    "conversations_closed": ("closed",),
    "close_events": ("closed",),
    "handled": ("replied", "noted", "closed"),
    "macros_applied": ("macro",),
    "articles_sent": ("article",),
    "response": ("replied",),
    "time_to_close": ("closed",),
}
DRILL_FIGURES = (*_EVENT_FIGURES, "first_response", "csat", "incoming", "tag")


@dataclass
class DrillRow:
    """One conversation behind a figure. ``count``: how many of the counted things it
    holds (replies, closes, messages, ...; 1 where the figure counts conversations), so
    the counts add up to the figure. ``seconds``: for a time, the longest it contributes."""

    conversation_id: int
    subject: str
    count: int
    seconds: float | None = None


def conversations_behind(
    session: Session,
    since: datetime,
    until: datetime,
    figure: str,
    *,
    agent: str | None = None,
    tag: str | None = None,
    cell: tuple[int, int] | None = None,
    zone: str = "UTC",
) -> list[DrillRow]:
    """The conversations behind one number of ``compute_report`` for the same period:
    ``figure`` is a name from ``DRILL_FIGURES``; ``agent`` a username, or None for the
    team; ``tag`` for a tag's row; ``cell`` (weekday, hour in ``zone``) for a heatmap
    cell of ``incoming`` or ``first_response``. Read from the same rows with the same
    conditions as the report, so the counts add up to the figure (and the number of
    rows is the figure for counts of conversations). Slowest first for times, else most
    first. Raises UserError for an unknown figure or time zone."""
    if figure not in DRILL_FIGURES:
        raise UserError(f"There is no figure called {figure!r}.")
    try:
        tz = ZoneInfo(zone)
    except ZoneInfoNotFoundError as exc:
        raise UserError(f"{zone!r} is not a known time zone.") from exc
    since, until = _aware(since), _aware(until)
    p = period_params(since, until)
    names = _agent_names(session)
    wanted = agent_filter(names, agent)
    ids = [i for i in names if wanted(i)] or [-1]
    found: dict[int, DrillRow] = {}

    def add(conv_id: int, count: int = 1, duration_us: int | None = None) -> None:
        row = found.setdefault(conv_id, DrillRow(conv_id, "", 0))
        row.count += count
        if duration_us is not None:
            seconds = duration_us / 1_000_000
            row.seconds = seconds if row.seconds is None else max(row.seconds, seconds)

    if figure in _EVENT_FIGURES:
        _drill_events(session, figure, p, ids, add)
    elif figure == "first_response":
        for conv_id, first, first_resp, responder, *_ in dialect.raw_rows(
            session, FIRST_MESSAGES, p
        ):
            if first_resp is None or responder not in ids:
                continue
            if cell is None or local_cell(first, tz) == cell:
                add(conv_id, 1, first_resp - first)
    elif figure == "csat":
        for conv_id, rating, owner_id, assignee_id in session.execute(RATINGS, p).all():
            if rating in ("good", "ok", "bad") and wanted(
                rating_owner(owner_id, assignee_id, names)
            ):
                add(conv_id)
    elif figure == "incoming":
        stmt = text(
            "SELECT conversation_id, t_us FROM stat_event "
            "WHERE kind = 'received' AND t_us >= :lo AND t_us < :hi"
        )
        for conv_id, t in session.execute(stmt, p).all():
            if cell is None or local_cell(t, tz) == cell:
                add(conv_id)
    else:  # tag: the conversations the tag's row counts
        for conv_id, *_, tags in dialect.raw_rows(session, CONVERSATIONS, p):
            if tag in json.loads(tags):
                add(conv_id)
    rows_out = list(found.values())
    load_subjects(session, rows_out)
    rows_out.sort(key=lambda r: (-(r.seconds or 0), -r.count, r.conversation_id))
    return rows_out


def _drill_events(
    session: Session,
    figure: str,
    p: dict[str, int],
    ids: list[int],
    add: Callable[[int, int, int | None], None],
) -> None:
    """``conversations_behind`` for a figure counted from ``stat_event`` rows."""
    timed = figure in ("response", "time_to_close")
    stmt = text(
        "SELECT conversation_id, count(*), max(duration_us) FROM stat_event "
        "WHERE kind IN :kinds AND t_us >= :lo AND t_us < :hi AND agent_id IN :ids "
        + ("AND duration_us IS NOT NULL " if timed else "")
        + "GROUP BY conversation_id"
    ).bindparams(bindparam("kinds", expanding=True), bindparam("ids", expanding=True))
    rows = session.execute(stmt, {**p, "kinds": list(_EVENT_FIGURES[figure]), "ids": ids})
    for conv_id, n, longest in rows.all():
        # Counts of conversations list each once; counts of events say how many.
        distinct = figure in ("conversations_closed", "handled")
        add(conv_id, 1 if distinct else n, longest if timed else None)


def period(name: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """'7d', '30d', '6m' (about 182 days) → (since, until) ending now."""
    now = now or datetime.now(UTC)
    spans = {"7d": 7, "30d": 30, "6m": 182}
    if name not in spans:
        raise UserError(f"Unknown period {name!r}; use 7d, 30d or 6m, or --since/--until.")
    return now - timedelta(days=spans[name]), now


def human(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"

"""Per-agent and per-tag statistics, computed from the event log.

Every figure has a one-line definition in ``DEFINITIONS``; the CLI's ``--help``, the
README and the TUI all show these same sentences. Durations are reported as mean,
median and p90 with the count behind them. Percentiles use the nearest-rank method:
p90 of n values is the value at rank ceil(0.9 n) in sorted order (so it is always one of
the observed values, and p50 of [1, 2, 3, 4] is 2).

The log is read once, streamed in event order per conversation (one indexed scan of the
``event`` table), so the report costs a few sequential scans, never a query per
conversation.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text
from sqlmodel import Session

from inbox_tui.errors import UserError
from inbox_tui.services.stats_definitions import DEFINITIONS

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Summary:
    count: int
    mean: float | None
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: list[float]) -> Summary:
        if not values:
            return cls(0, None, None, None)
        return cls(
            len(values), sum(values) / len(values), percentile(values, 50), percentile(values, 90)
        )

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "median": self.median, "p90": self.p90}


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
class AgentStats:
    agent: str
    replies_sent: int = 0
    notes_written: int = 0
    conversations_closed: set[int] = field(default_factory=set)
    close_events: int = 0
    handled: set[int] = field(default_factory=set)
    macros_applied: int = 0
    articles_sent: int = 0
    first_response: list[float] = field(default_factory=list)
    response: list[float] = field(default_factory=list)
    time_to_close: list[float] = field(default_factory=list)
    first_response_bh: list[float] = field(default_factory=list)
    csat: dict[str, int] = field(default_factory=lambda: {"good": 0, "ok": 0, "bad": 0})


@dataclass
class ConversationTimes:
    id: int
    subject: str
    first_message_at: datetime | None = None
    first_response_at: datetime | None = None
    first_responder: str | None = None
    closed_at: datetime | None = None
    closer: str | None = None
    tags: set[str] = field(default_factory=set)
    rating: str | None = None


@dataclass
class Report:
    since: datetime
    until: datetime
    working_days: float
    agents: dict[str, AgentStats]
    team: AgentStats
    incoming_heatmap: list[list[int]]  # [weekday][hour]
    first_response_by_hour: list[float | None]  # median seconds, by hour of the customer message
    tags: list[dict[str, Any]]
    feature_requests: list[dict[str, Any]]
    conversations: list[ConversationTimes]
    daily_incoming: list[int]
    business_hours: bool
    previous: Report | None = None

    def agent_row(self, a: AgentStats) -> dict[str, Any]:
        row: dict[str, Any] = {
            "agent": a.agent,
            "replies_sent": a.replies_sent,
            "notes_written": a.notes_written,
            "conversations_closed": len(a.conversations_closed),
            "close_events": a.close_events,
            "handled_per_day": round(len(a.handled) / self.working_days, 2)
            if self.working_days
            else None,
            "macros_applied": a.macros_applied,
            "articles_sent": a.articles_sent,
            "first_response": Summary.of(a.first_response).as_dict(),
            "response": Summary.of(a.response).as_dict(),
            "time_to_close": Summary.of(a.time_to_close).as_dict(),
            "csat": dict(a.csat),
        }
        if self.business_hours:
            row["first_response_business"] = Summary.of(a.first_response_bh).as_dict()
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
            "incoming_by_weekday_hour": {"weekdays": WEEKDAYS, "counts": self.incoming_heatmap},
            "median_first_response_by_hour": self.first_response_by_hour,
            "daily_incoming": self.daily_incoming,
            "tags": self.tags,
            "feature_requests": self.feature_requests,
        }
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
) -> Report:
    """The full report for [since, until). Raises UserError for an empty or reversed
    period."""
    since, until = _aware(since), _aware(until)
    if until <= since:
        raise UserError("The period is empty: --until must be after --since.")
    try:
        tz = ZoneInfo(zone)
    except ZoneInfoNotFoundError as exc:
        raise UserError(f"{zone!r} is not a known time zone.") from exc
    report = _compute(session, since, until, agent, business_hours, days_per_week, tz)
    if compare:
        span = until - since
        report.previous = _compute(
            session, since - span, since, agent, business_hours, days_per_week, tz
        )
    return report


def _stream(
    session: Session, since: datetime, until: datetime
) -> Iterable[tuple[int | None, str | None, str, datetime, str]]:
    """The whole history of every conversation with at least one event in the period,
    in order. Every figure counted for a period needs an event inside it, so the other
    conversations cannot change the report and are not read."""
    from sqlalchemy import bindparam
    from sqlmodel.sql.sqltypes import UTCDateTime

    # Raw rows (no per-value type processing: 1.3 M datetimes cost about a second), with
    # the period bounds bound through the column's own type so formats always match.
    stmt = text(
        "SELECT e.conversation_id, a.username, e.kind, e.at, e.data FROM event e "
        "LEFT JOIN agent a ON a.id = e.agent_id "
        "WHERE e.conversation_id IN (SELECT DISTINCT conversation_id FROM event WHERE at >= :lo AND at < :hi) "
        "ORDER BY e.conversation_id, e.at, e.id"
    ).bindparams(
        bindparam("lo", since, type_=UTCDateTime()), bindparam("hi", until, type_=UTCDateTime())
    )
    for conv_id, username, kind, at, data in session.execute(
        stmt.execution_options(yield_per=5000)
    ):
        yield conv_id, username, kind, _aware(at), data


def _compute(
    session: Session,
    since: datetime,
    until: datetime,
    only_agent: str | None,
    bh: BusinessHours | None,
    days_per_week: int,
    tz: ZoneInfo,
) -> Report:
    agents: dict[str, AgentStats] = {}
    team = AgentStats("team")
    heat = [[0] * 24 for _ in range(7)]
    fr_by_hour: list[list[float]] = [[] for _ in range(24)]
    n_days = max(1, math.ceil((until - since).total_seconds() / 86400))
    daily = [0] * n_days
    subjects = dict(session.execute(text("SELECT id, subject FROM conversation")).all())
    ratings_owner = dict(
        session.execute(
            text(
                "SELECT c.id, a.username FROM conversation c LEFT JOIN agent a ON a.id = c.assignee_id"
            )
        ).all()
    )
    convs: dict[int, ConversationTimes] = {}

    def stats_for(name: str) -> AgentStats:
        if name not in agents:
            agents[name] = AgentStats(name)
        return agents[name]

    def wanted(name: str | None) -> bool:
        return name is not None and (only_agent is None or name == only_agent)

    def in_period(at: datetime) -> bool:
        return since <= at < until

    current: int | None = None
    state: dict[str, Any] = {}

    def finish() -> None:
        if current is None or not state:
            return
        ct = state["ct"]
        if ct.first_message_at is not None and (
            in_period(ct.first_message_at) or (ct.closed_at and in_period(ct.closed_at))
        ):
            convs[ct.id] = ct

    for conv_id, username, kind, at, data in _stream(session, since, until):
        if conv_id != current:
            finish()
            current = conv_id
            state = {
                "ct": ConversationTimes(conv_id or 0, str(subjects.get(conv_id, ""))),
                "waiting_since": None,  # first unanswered customer message
                "open_since": None,  # start or reopen, for time to close
                "first_reply": None,
            }
        if conv_id is None:
            continue
        ct: ConversationTimes = state["ct"]
        if kind == "received":
            if ct.first_message_at is None:
                ct.first_message_at = at
                state["open_since"] = at
            if state["waiting_since"] is None:
                state["waiting_since"] = at
            if state["open_since"] is None:
                state["open_since"] = at
            if in_period(at):
                local = at.astimezone(tz)
                heat[local.weekday()][local.hour] += 1
                daily[min(n_days - 1, int((at - since).total_seconds() // 86400))] += 1
        elif kind == "replied" and username:
            if ct.first_response_at is None and ct.first_message_at is not None:
                ct.first_response_at = at
                ct.first_responder = username
                if in_period(ct.first_message_at) and wanted(username):
                    seconds = (at - ct.first_message_at).total_seconds()
                    for s in (stats_for(username), team):
                        s.first_response.append(seconds)
                        if bh:
                            s.first_response_bh.append(bh.seconds_between(ct.first_message_at, at))
                    fr_by_hour[ct.first_message_at.astimezone(tz).hour].append(seconds)
            if state["waiting_since"] is not None:
                if in_period(at) and wanted(username):
                    seconds = (at - state["waiting_since"]).total_seconds()
                    stats_for(username).response.append(seconds)
                    team.response.append(seconds)
                state["waiting_since"] = None
            if in_period(at) and wanted(username):
                stats_for(username).replies_sent += 1
                team.replies_sent += 1
                stats_for(username).handled.add(conv_id)
                team.handled.add(conv_id)
        elif kind == "noted" and in_period(at) and wanted(username):
            assert username is not None
            stats_for(username).notes_written += 1
            team.notes_written += 1
            stats_for(username).handled.add(conv_id)
            team.handled.add(conv_id)
        elif kind == "status_changed":
            info = json.loads(data or "{}")
            if info.get("to") == "closed":
                ct.closed_at, ct.closer = at, username
                if in_period(at) and wanted(username):
                    assert username is not None
                    for s in (stats_for(username), team):
                        s.close_events += 1
                        s.conversations_closed.add(conv_id)
                        s.handled.add(conv_id)
                        if state["open_since"] is not None:
                            s.time_to_close.append((at - state["open_since"]).total_seconds())
                state["open_since"] = None
                state["waiting_since"] = None
            elif info.get("from") == "closed" and info.get("to") == "open":
                state["open_since"] = at
        elif kind == "tagged":
            ct.tags.add(json.loads(data or "{}").get("tag", ""))
        elif kind == "untagged":
            ct.tags.discard(json.loads(data or "{}").get("tag", ""))
        elif kind == "macro_applied" and in_period(at) and wanted(username):
            assert username is not None
            stats_for(username).macros_applied += 1
            team.macros_applied += 1
        elif kind == "article_sent" and in_period(at) and wanted(username):
            assert username is not None
            stats_for(username).articles_sent += 1
            team.articles_sent += 1
        elif kind == "rated" and in_period(at):
            rating = json.loads(data or "{}").get("rating")
            ct.rating = rating
            owner = ct.closer or ratings_owner.get(conv_id)
            if rating in ("good", "ok", "bad") and wanted(owner):
                assert owner is not None
                stats_for(owner).csat[rating] += 1
                team.csat[rating] += 1
    finish()

    tag_rows = _tag_costs(convs.values(), since, until)
    return Report(
        since=since,
        until=until,
        working_days=working_days(since, until, days_per_week, tz),
        agents=agents,
        team=team,
        incoming_heatmap=heat,
        first_response_by_hour=[percentile(v, 50) for v in fr_by_hour],
        tags=tag_rows,
        feature_requests=_feature_requests(convs.values()),
        conversations=sorted(convs.values(), key=lambda c: c.id),
        daily_incoming=daily,
        business_hours=bh is not None,
    )


def _tag_costs(
    convs: Iterable[ConversationTimes], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    per_tag: dict[str, list[ConversationTimes]] = defaultdict(list)
    for c in convs:
        for t in c.tags:
            if t:
                per_tag[t].append(c)
    rows: list[dict[str, Any]] = []
    for tag, items in per_tag.items():
        handle = [
            (c.closed_at - c.first_response_at).total_seconds()
            for c in items
            if c.closed_at
            and c.first_response_at
            and c.closed_at >= c.first_response_at
            and since <= c.closed_at < until
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


def _feature_requests(
    convs: Iterable[ConversationTimes], threshold: int = 70
) -> list[dict[str, Any]]:
    """Conversations tagged 'feature request', grouped by similar subject."""
    from rapidfuzz import fuzz, process

    from inbox_tui.sanitize import base_subject

    groups: list[dict[str, Any]] = []
    keys: list[str] = []
    for c in sorted(convs, key=lambda c: c.id):
        if "feature request" not in c.tags:
            continue
        subject = base_subject(c.subject)
        # The most similar existing group (rapidfuzz compares in C: a Python loop over
        # groups took over a second on a large store).
        best = process.extractOne(
            subject, keys, scorer=fuzz.token_set_ratio, score_cutoff=threshold
        )
        if best is not None:
            groups[best[2]]["conversations"].append(c.id)
        else:
            keys.append(subject)
            groups.append({"key": subject, "subject": c.subject, "conversations": [c.id]})
    groups.sort(key=lambda g: (-len(g["conversations"]), g["subject"]))
    return [
        {
            "subject": g["subject"],
            "count": len(g["conversations"]),
            "conversations": g["conversations"],
        }
        for g in groups
    ]


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

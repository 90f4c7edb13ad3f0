"""The figures of one stats period, counted from the aggregate rows
(``services.stats_queries``): per-agent and team counts and time summaries, and the
per-conversation facts (first response, close, tags) read in one pass. ``services.stats``
runs the queries and assembles the report."""

from __future__ import annotations

import gc
import json
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from inbox_tui.services.stats_queries import BUCKET_US, local_cell, rating_owner
from inbox_tui.store.aggregates import EPOCH, from_us


class WorkingTime(Protocol):
    """``services.stats.BusinessHours``, as the figures use it."""

    def seconds_between(self, a: datetime, b: datetime) -> float: ...


_gc_lock = threading.Lock()
_gc_paused = [0, False]  # reports running; whether the collector was on before the first


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a report runs. A report reads a few hundred
    thousand rows (tuples, none in a cycle); each allocation counts towards the
    collector's thresholds, and its full collections walk the whole heap (SQLAlchemy,
    the models, ...): 0.35-0.6 s of a 1 M-message report's 1.2 s of CPU. Reports may run
    in several threads at once: the collector is back on when the last one ends."""
    with _gc_lock:
        if _gc_paused[0] == 0:
            _gc_paused[1] = gc.isenabled()
            gc.disable()
        _gc_paused[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_paused[0] -= 1
            if _gc_paused[0] == 0 and _gc_paused[1]:
                gc.enable()


def percentile(values: Sequence[float], p: float) -> float | None:
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
        # Durations are whole microseconds (as stored): the mean is taken from their exact
        # integer total, so it does not depend on the order values were read in, and
        # integers can be summed anywhere (``of_us``) with the same result to the bit.
        total_us = sum(round(v * 1_000_000) for v in values)
        return cls(
            len(values),
            total_us / len(values) / 1_000_000,
            percentile(values, 50),
            percentile(values, 90),
        )

    @classmethod
    def of_us(cls, values: list[int]) -> Summary:
        """From whole microseconds (sorts ``values``); the same result as ``of`` on the
        same durations in seconds, to the bit: nearest ranks ceil(n/2), ceil(9n/10)."""
        n = len(values)
        if not n:
            return cls(0, None, None, None)
        values.sort()
        return cls(
            n,
            sum(values) / n / 1_000_000,
            values[(n + 1) // 2 - 1] / 1_000_000,
            values[(9 * n + 9) // 10 - 1] / 1_000_000,
        )

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "median": self.median, "p90": self.p90}


@dataclass
class AgentStats:
    agent: str
    replies_sent: int = 0
    notes_written: int = 0
    conversations_closed: int = 0  # distinct conversations
    close_events: int = 0
    handled: int = 0  # distinct conversations replied to, noted or closed
    macros_applied: int = 0
    articles_sent: int = 0
    first_response: list[float] = field(default_factory=list)
    response: list[float] = field(default_factory=list)
    time_to_close: list[float] = field(default_factory=list)
    first_response_bh: list[float] = field(default_factory=list)
    csat: dict[str, int] = field(default_factory=lambda: {"good": 0, "ok": 0, "bad": 0})
    # Summaries the database computed (instead of the lists above), by figure name.
    summaries: dict[str, Summary] = field(default_factory=dict)

    def summary(self, figure: str) -> Summary:
        return self.summaries.get(figure) or Summary.of(getattr(self, figure))


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


def agent_filter(names: dict[int, str], only_agent: str | None) -> Callable[[int | None], bool]:
    """Whether an agent id counts: any known agent, or only ``only_agent``."""

    def wanted(agent_id: int | None) -> bool:
        name = names.get(agent_id) if agent_id is not None else None
        return name is not None and (only_agent is None or name == only_agent)

    return wanted


class Tally:
    """The per-agent and team figures of one report, filled query by query; only the
    wanted agents (``only_agent``, or everyone) count."""

    def __init__(self, names: dict[int, str], only_agent: str | None) -> None:
        self.names = names
        self.wanted = agent_filter(names, only_agent)
        self.wanted_set = set([i for i in names if self.wanted(i)] or [-1])
        self.agents: dict[str, AgentStats] = {}
        self.team = AgentStats("team")

    def stats_for(self, agent_id: int) -> AgentStats:
        name = self.names[agent_id]
        if name not in self.agents:
            self.agents[name] = AgentStats(name)
        return self.agents[name]

    def count_events(self, rows: Iterable[tuple[Any, ...]], skip: frozenset[int]) -> None:
        """From the period's ``events_query`` rows, one per (kind, agent): how many, and
        their conversations and durations as comma-separated lists in the same order (a
        missing duration is empty). The counts, the distinct conversations closed and
        handled (per agent, and for the team, whose members may share them), and the
        response and time-to-close summaries (durations of the ``skip`` conversations
        left out). Conversations are compared as their decimal text: the same ids."""
        closed_by: dict[int, set[str]] = {}
        handled_by: dict[int, set[str]] = defaultdict(set)
        durations: dict[tuple[str, int | None], list[int]] = {}
        skipped = {str(c) for c in skip}
        for kind, agent_id, n, convs_text, times_text in sorted(rows, key=lambda r: r[:2]):
            if agent_id not in self.wanted_set:
                continue
            a = self.stats_for(agent_id)
            convs = convs_text.split(",")
            if kind == "replied":
                a.replies_sent = n
                handled_by[agent_id].update(convs)
            elif kind == "noted":
                a.notes_written = n
                handled_by[agent_id].update(convs)
            elif kind == "closed":
                a.close_events = n
                closed_by[agent_id] = set(convs)
                handled_by[agent_id].update(convs)
            elif kind == "macro":
                a.macros_applied = n
            elif kind == "article":
                a.articles_sent = n
            if kind in ("replied", "closed"):
                times = times_text.split(",")
                kept = (
                    [int(t) for c, t in zip(convs, times, strict=True) if t and c not in skipped]
                    if skipped
                    else list(map(int, filter(None, times)))
                )
                if kept:
                    kept.sort()
                    durations[(kind, agent_id)] = kept
        team = self.team
        for a in self.agents.values():
            team.replies_sent += a.replies_sent
            team.notes_written += a.notes_written
            team.close_events += a.close_events
            team.macros_applied += a.macros_applied
            team.articles_sent += a.articles_sent
        for agent_id, convs_closed in closed_by.items():
            self.stats_for(agent_id).conversations_closed = len(convs_closed)
        for agent_id, convs_handled in handled_by.items():
            self.stats_for(agent_id).handled = len(convs_handled)
        team.conversations_closed = len(set().union(*closed_by.values()))
        team.handled = len(set().union(*handled_by.values()))
        self._summarise(durations)

    def _summarise(self, durations: dict[tuple[str, int | None], list[int]]) -> None:
        """Response and time-to-close summaries, per agent and for the team, from each
        agent's sorted durations (the team's list is their concatenation: sorting runs
        already in order is a merge)."""
        for kind in ("replied", "closed"):
            merged: list[int] = []
            for (k, _), values in durations.items():
                if k == kind:
                    merged.extend(values)
            if merged:
                durations[(kind, None)] = merged
        for (kind, agent_id), values in durations.items():
            figure = "response" if kind == "replied" else "time_to_close"
            target = self.team if agent_id is None else self.stats_for(agent_id)
            target.summaries[figure] = Summary.of_us(values)

    def count_ratings(
        self, rows: Iterable[tuple[Any, ...]], by_id: dict[int, ConversationTimes]
    ) -> None:
        for conv_id, rating, owner_id, assignee_id in rows:
            if conv_id in by_id:
                by_id[conv_id].rating = rating
            owner = rating_owner(owner_id, assignee_id, self.names)
            if rating in ("good", "ok", "bad") and self.wanted(owner):
                assert owner is not None
                self.stats_for(owner).csat[rating] += 1
                self.team.csat[rating] += 1


class ConversationFigures:
    """Per conversation of the period, in one pass over its ``stat_conversation`` rows:
    first-response times (per agent, team, hour and weekday cell), tags and, with
    ``detail``, the conversation list."""

    def __init__(
        self,
        tally: Tally,
        bh: WorkingTime | None,
        tz: ZoneInfo,
        detail: bool | None,
        lo: int,
        hi: int,
    ) -> None:
        self.tally, self.bh, self.tz, self.detail, self.lo, self.hi = tally, bh, tz, detail, lo, hi
        # First-response times in whole microseconds (summarised and ranked at the end).
        self.first_us: dict[int | None, list[int]] = defaultdict(list)  # None: the team
        self.fr_by_hour: list[list[int]] = [[] for _ in range(24)]
        self.fr_by_cell: list[list[list[int]]] = [[[] for _ in range(24)] for _ in range(7)]
        self.convs: list[ConversationTimes] = []
        self.tagged: list[tuple[set[str], int | None, int | None]] = []
        self.skip: frozenset[int] = frozenset()  # no first response counted for these
        self._cells: dict[int, tuple[int, int]] = {}  # 15-minute bucket → local cell
        self._tag_lists: dict[str, frozenset[str]] = {"[]": frozenset()}

    def cell(self, t_us: int) -> tuple[int, int]:
        """``local_cell``, once per 15-minute bucket (all its instants share the cell)."""
        bucket = t_us // BUCKET_US
        found = self._cells.get(bucket)
        if found is None:
            found = self._cells[bucket] = local_cell(bucket * BUCKET_US, self.tz)
        return found

    def add_all(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Every (conversation, first message, first response, its agent, last close, its
        agent, tags) row of the period, in one pass (the per-conversation rows, tags and
        first responses). Times become datetimes as ``from_us`` makes them, inlined."""
        detail, names, tally, lo, hi = self.detail, self.tally.names, self.tally, self.lo, self.hi
        wanted, skip, first_us = tally.wanted_set, self.skip, self.first_us
        parsed, convs, tagged = self._tag_lists, self.convs, self.tagged
        epoch, us_ = EPOCH, timedelta
        for conv_id, first, first_resp, responder, closed, closer, tags in rows:
            if detail is not None:
                tag_list = parsed.get(tags)
                if tag_list is None:
                    tag_list = parsed[tags] = frozenset(json.loads(tags))
                tag_set = set(tag_list)
                if tag_set:
                    tagged.append((tag_set, first_resp, closed))
                if detail:
                    convs.append(
                        ConversationTimes(
                            conv_id,
                            "",
                            epoch + us_(0, 0, first),
                            None if first_resp is None else epoch + us_(0, 0, first_resp),
                            names.get(responder),
                            None if closed is None else epoch + us_(0, 0, closed),
                            names.get(closer),
                            tag_set,
                        )
                    )
            if first_resp is None or responder not in wanted or conv_id in skip:
                continue
            if lo <= first < hi:
                us = first_resp - first
                first_us[responder].append(us)
                first_us[None].append(us)
                if self.bh is not None:
                    business = self.bh.seconds_between(from_us(first), from_us(first_resp))
                    tally.stats_for(responder).first_response_bh.append(business)
                    tally.team.first_response_bh.append(business)
                if detail is not None:
                    wd, hour = self.cell(first)
                    self.fr_by_hour[hour].append(us)
                    self.fr_by_cell[wd][hour].append(us)

    def summarise(self) -> None:
        """The first-response summaries, per agent and for the team."""
        for agent_id, values in self.first_us.items():
            target = self.tally.team if agent_id is None else self.tally.stats_for(agent_id)
            target.summaries["first_response"] = Summary.of_us(values)

    @staticmethod
    def median_s(values: list[int]) -> float | None:
        """The nearest-rank median of durations in microseconds, in seconds."""
        median = percentile(values, 50)
        return None if median is None else median / 1_000_000

"""The stats report replayed from the raw event log: the pre-aggregate implementation,
kept as the reference the aggregate-based report (``services.stats``) must equal.

It reads the whole history of every conversation with an event in the period, in order,
and folds it in Python: slow on a large store (28 scans of the message table), but its
definitions are the ones the hand-computed tests pinned down.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from inbox_tui.services.stats import (
    AgentStats,
    BusinessHours,
    ConversationTimes,
    Report,
    _aware,
    _feature_requests,
    _tag_costs,
    percentile,
    working_days,
)


def replay_report(
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
    since, until = _aware(since), _aware(until)
    tz = ZoneInfo(zone)
    report = _compute(session, since, until, agent, business_hours, days_per_week, tz)
    if compare:
        span = until - since
        report.previous = _compute(
            session, since - span, since, agent, business_hours, days_per_week, tz
        )
    return report


def _stream(
    session: Session, since: datetime, until: datetime
) -> Iterable[tuple[int, int | None, str | None, str, datetime, str]]:
    """The whole history of every conversation with at least one event in the period,
    in order. Every figure counted for a period needs an event inside it, so the other
    conversations cannot change the report and are not read."""
    from sqlalchemy import bindparam
    from sqlmodel.sql.sqltypes import UTCDateTime

    # Raw rows (no per-value type processing: 1.3 M datetimes cost about a second), with
    # the period bounds bound through the column's own type so formats always match.
    stmt = text(
        "SELECT e.id, e.conversation_id, a.username, e.kind, e.at, e.data FROM event e "
        "LEFT JOIN agent a ON a.id = e.agent_id "
        "WHERE e.conversation_id IN (SELECT DISTINCT conversation_id FROM event WHERE at >= :lo AND at < :hi) "
        "ORDER BY e.conversation_id, e.at, e.id"
    ).bindparams(
        bindparam("lo", since, type_=UTCDateTime()), bindparam("hi", until, type_=UTCDateTime())
    )
    for eid, conv_id, username, kind, at, data in session.execute(
        stmt.execution_options(yield_per=5000)
    ):
        yield eid, conv_id, username, kind, _aware(at), data


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
    closed_sets: dict[str, set[int]] = defaultdict(set)
    handled_sets: dict[str, set[int]] = defaultdict(set)
    heat = [[0] * 24 for _ in range(7)]
    fr_by_hour: list[list[float]] = [[] for _ in range(24)]
    fr_by_cell: list[list[list[float]]] = [[[] for _ in range(24)] for _ in range(7)]
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

    def count_rating() -> None:
        if state.get("rating"):
            owner, rating = state["rating"]
            stats_for(owner).csat[rating] += 1
            team.csat[rating] += 1

    # Undo send: replies taken back (by their event) never count.
    taken = [
        json.loads(d or "{}")
        for (d,) in session.execute(text("SELECT data FROM event WHERE kind = 'reply_cancelled'"))
    ]
    cancelled = {d.get("replied_event") for d in taken}
    cancelled_boxes = {d.get("outbox") for d in taken}  # a macro's reply taken back

    def reply(conv_id: int, username: str, at: datetime) -> None:
        ct: ConversationTimes = state["ct"]
        if ct.first_response_at is None and ct.first_message_at is not None:
            ct.first_response_at = at
            ct.first_responder = username
            if in_period(ct.first_message_at) and wanted(username):
                seconds = (at - ct.first_message_at).total_seconds()
                for s in (stats_for(username), team):
                    s.first_response.append(seconds)
                    if bh:
                        s.first_response_bh.append(bh.seconds_between(ct.first_message_at, at))
                local = ct.first_message_at.astimezone(tz)
                fr_by_hour[local.hour].append(seconds)
                fr_by_cell[local.weekday()][local.hour].append(seconds)
        if state["waiting_since"] is not None:
            if in_period(at) and wanted(username):
                seconds = (at - state["waiting_since"]).total_seconds()
                stats_for(username).response.append(seconds)
                team.response.append(seconds)
            state["waiting_since"] = None
        if in_period(at) and wanted(username):
            stats_for(username).replies_sent += 1
            team.replies_sent += 1
            handled_sets[username].add(conv_id)
            handled_sets["team"].add(conv_id)

    def article(username: str, at: datetime) -> None:
        if in_period(at) and wanted(username):
            stats_for(username).articles_sent += 1
            team.articles_sent += 1

    def status_changed(conv_id: int, username: str | None, at: datetime, info: dict) -> None:
        ct: ConversationTimes = state["ct"]
        if info.get("to") == "closed" and state["reclose"]:  # no new close
            state["open_since"] = state["waiting_since"] = None
            state["reclose"] = False
            state["undoable"] = None
        elif info.get("to") == "closed":
            undo: dict[str, Any] = {
                "before": (
                    ct.closed_at,
                    ct.closer,
                    state["open_since"],
                    state["waiting_since"],
                ),
                "counted": [],
            }
            ct.closed_at, ct.closer = at, username
            if in_period(at) and wanted(username):
                assert username is not None
                for s in (stats_for(username), team):
                    had = (conv_id in closed_sets[s.agent], conv_id in handled_sets[s.agent])
                    s.close_events += 1
                    closed_sets[s.agent].add(conv_id)
                    handled_sets[s.agent].add(conv_id)
                    timed = state["open_since"] is not None
                    if timed:
                        s.time_to_close.append((at - state["open_since"]).total_seconds())
                    undo["counted"].append((s, had, timed))
            state["undoable"] = undo
            state["open_since"] = None
            state["waiting_since"] = None
        elif (
            info.get("from") == "closed"
            and info.get("cause") in ("undo", "undo send")
            and state["undoable"]
        ):
            undo = state["undoable"]  # the close is taken back: it never happened
            ct.closed_at, ct.closer, state["open_since"], state["waiting_since"] = undo["before"]
            for s, (had_closed, had_handled), timed in undo["counted"]:
                s.close_events -= 1
                if not had_closed:
                    closed_sets[s.agent].discard(conv_id)
                if not had_handled:
                    handled_sets[s.agent].discard(conv_id)
                if timed:
                    s.time_to_close.pop()
            state["undoable"] = None
        elif info.get("from") == "closed":
            state["undoable"] = None
            state["reclose"] = bool(info.get("cause"))
            if info.get("to") == "open":
                state["open_since"] = at

    def in_the_outbox(
        conv_id: int, eid: int, username: str | None, kind: str, at: datetime, info: dict
    ) -> bool:
        """A reply waiting in the outbox ("on_send") counts when it goes (its ``sent``
        event), with the help articles sent with it and its send-and-close; taken back,
        never; its close does not happen if the conversation left closed before it went.
        True when the event is dealt with here."""
        box = info.get("outbox")
        outbox = state["outbox"]  # outbox id -> {"reply": ..., "articles": [...]}
        if kind == "replied" and username and info.get("on_send") and box is not None:
            outbox[box] = {"reply": username, "articles": []}  # until sent or taken back
            return True
        if kind == "article_sent" and username and box in outbox:
            outbox[box]["articles"].append(username)
            return True
        if kind == "sent":
            waiting = outbox.pop(box, None)
            if waiting is not None:
                reply(conv_id, waiting["reply"], at)
                for who in waiting["articles"]:
                    article(who, at)
            held = state["held_close"]
            if held is not None and held[0] == box:
                state["held_close"] = None
                status_changed(conv_id, held[1], at, {"to": "closed"})
            return True
        if kind == "reply_cancelled":
            outbox.pop(box, None)
            if state["held_close"] is not None and state["held_close"][0] == box:
                state["held_close"] = None
                state["skip_undo_send"] = True
            return True
        if kind == "status_changed":
            if info.get("to") == "closed" and box in outbox:
                state["held_close"] = (box, username)
                return True
            if state["held_close"] is not None and info.get("from") == "closed":
                state["held_close"] = None
                return True
            if state.get("skip_undo_send") and info.get("cause") == "undo send":
                state["skip_undo_send"] = False
                return True
        return False

    for eid, conv_id, username, kind, at, data in _stream(session, since, until):
        if conv_id != current:
            count_rating()
            finish()
            current = conv_id
            state = {
                "ct": ConversationTimes(conv_id or 0, str(subjects.get(conv_id, ""))),
                "waiting_since": None,  # first unanswered customer message
                "open_since": None,  # start or reopen, for time to close
                "reclose": False,  # out of closed by another action's side effect
                "undoable": None,  # how to take back the last close (an undo right after)
                "first_reply": None,
                "outbox": {},  # replies waiting to go out
                "held_close": None,  # (outbox, agent): a send-and-close waiting for its reply
                "skip_undo_send": False,
            }
        if conv_id is None:
            continue
        ct: ConversationTimes = state["ct"]
        info = json.loads(data or "{}")
        skip = state["skip_undo_send"]
        state["skip_undo_send"] = False
        if kind == "status_changed":
            state["skip_undo_send"] = skip
        if in_the_outbox(conv_id, eid, username, kind, at, info):
            continue
        if kind == "received":
            if ct.first_message_at is None:
                ct.first_message_at = at
                state["open_since"] = at
            if state["waiting_since"] is None:
                state["waiting_since"] = at
            if state["open_since"] is None:
                state["open_since"] = at
            state["reclose"] = False
            state["undoable"] = None
            if in_period(at):
                local = at.astimezone(tz)
                heat[local.weekday()][local.hour] += 1
                daily[min(n_days - 1, int((at - since).total_seconds() // 86400))] += 1
        elif kind == "replied" and username and eid not in cancelled:
            reply(conv_id, username, at)
        elif kind == "noted" and in_period(at) and wanted(username):
            assert username is not None
            stats_for(username).notes_written += 1
            team.notes_written += 1
            handled_sets[username].add(conv_id)
            handled_sets["team"].add(conv_id)
        elif kind == "status_changed":
            status_changed(conv_id, username, at, info)
        elif kind == "tagged":
            ct.tags.add(info.get("tag", ""))
        elif kind == "untagged":
            ct.tags.discard(info.get("tag", ""))
        elif (
            kind == "macro_applied"
            and in_period(at)
            and wanted(username)
            and not ("outbox" in info and info["outbox"] in cancelled_boxes)
        ):
            assert username is not None
            stats_for(username).macros_applied += 1
            team.macros_applied += 1
        elif kind == "article_sent" and username:
            article(username, at)
        elif kind == "rated":
            # The latest rating of a conversation wins: a later one, in the period or
            # not, takes the place of what was counted (at the end of its history).
            rating = info.get("rating")
            state["rating"] = None
            ct.rating = rating if in_period(at) else None
            if in_period(at):
                owner = ct.closer or ratings_owner.get(conv_id)
                if rating in ("good", "ok", "bad") and wanted(owner):
                    state["rating"] = (owner, rating)
    count_rating()
    finish()
    for s in [*agents.values(), team]:
        s.conversations_closed = len(closed_sets[s.agent])
        s.handled = len(handled_sets[s.agent])

    tag_rows = _tag_costs(convs.values(), since, until)
    return Report(
        since=since,
        until=until,
        working_days=working_days(since, until, days_per_week, tz),
        agents=agents,
        team=team,
        incoming_heatmap=heat,
        first_response_by_hour=[percentile(v, 50) for v in fr_by_hour],
        first_response_heatmap=[[percentile(v, 50) for v in row] for row in fr_by_cell],
        tags=tag_rows,
        feature_requests=_feature_requests(convs.values()),
        conversations=sorted(convs.values(), key=lambda c: c.id),
        daily_incoming=daily,
        business_hours=bh is not None,
        zone=str(tz),  # the heatmaps' zone, as the report names it (heatmap_zone)
    )

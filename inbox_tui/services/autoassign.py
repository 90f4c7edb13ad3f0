"""Fair auto-assignment (the config's ``[assignment]``, off unless a mode is set).

New open, unassigned conversations go to one of the agents who take part (``agents``,
or everyone), only those present (their TUI's heartbeat, ``services.presence``) unless
``present_only`` is off, and only below ``cap`` open or pending conversations:

- ``round-robin``: the next agent after the one who got the last automatic assignment,
  in username order;
- ``least-open``: the agent with the fewest open or pending conversations (ties: in
  username order after the last one given work).

Every pick first locks the agent rows (``FOR UPDATE`` on PostgreSQL; SQLite's write
transaction already serialises), so concurrent assigners, in any number of processes,
see each other's choices: no conversation is given twice and the turn order holds.
An automatic assignment is an ``assigned`` event with ``"auto"`` in its data and no
acting agent (it is not anyone's undo).

Re-offering (``reoffer_next``, one conversation per transaction): the open
conversations of agents who went away are given again, the same way, to present ones
(never back to an absent one). By hand (``inbox-tui assign --reoffer``): every open
conversation of a taking-part agent who is not present. By itself, when the config
sets ``reoffer_after = "15m"`` (opt-in): the open conversations still waiting for a
reply (``conversation.waiting_since``) of agents whose presence lapsed that long ago
(their TUI's heartbeat stopped; an agent who never ran one has no presence to lapse),
at every TUI's poll and every ``inbox-tui assign``. Each is an ``assigned`` event with
``"reason": "away"`` and when the agent was last seen. The conversation is re-read
under its lock after the agents' lock is taken, so two assigners never move it twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from inbox_tui.models import Agent, Conversation, Event, EventKind, Presence, Status, utcnow
from inbox_tui.services.core import lock_conversation, record
from inbox_tui.services.presence import STALE
from inbox_tui.store import Store
from inbox_tui.when import parse_duration

ACTIVE = (Status.OPEN.value, Status.PENDING.value)
LOOK_BACK = 500  # recent assigned events read to find whose turn it is


@dataclass(frozen=True)
class AssignPolicy:
    mode: str  # "round-robin" or "least-open"
    cap: int = 20
    agents: tuple[str, ...] = ()
    present_only: bool = True
    sources: tuple[str, ...] = ()
    # Opt-in: an agent away this long has their unanswered conversations re-offered.
    reoffer_after: timedelta | None = None
    # Only the conversations a view's search finds ("tag:billing -tag:spam"): auto-
    # assignment per view, as ``sources`` is per mailbox. Checked by ``from_config``.
    search: str = ""

    @classmethod
    def from_config(cls, section: dict[str, Any] | None) -> AssignPolicy | None:
        """The policy of a validated ``[assignment]``; None when it is off."""
        if not section or section.get("mode", "off") == "off":
            return None
        return cls(
            mode=str(section["mode"]),
            cap=int(section.get("cap", 20)),
            agents=tuple(section.get("agents") or ()),
            present_only=bool(section.get("present_only", True)),
            sources=tuple(section.get("sources") or ()),
            reoffer_after=(
                max(STALE, parse_duration(section["reoffer_after"]))
                if section.get("reoffer_after")
                else None
            ),
            search=_checked_search(str(section.get("search") or "")),
        )

    def covers(self, source: str) -> bool:
        return not self.sources or any(source.startswith(p) for p in self.sources)

    def outside_view(self, session: Session, ids: list[int]) -> set[int]:
        """Which of ``ids`` the policy's ``search`` does not find (none without one)."""
        if not self.search or not ids:
            return set()
        from inbox_tui.services.conversations import not_in_view
        from inbox_tui.services.search import parse_query

        return set(not_in_view(session, parse_query(self.search, ""), ids))


def _checked_search(query: str) -> str:
    """``[assignment] search``, refused in one sentence when it cannot be run."""
    if not query.strip():
        return ""
    from inbox_tui.errors import UserError
    from inbox_tui.services.search import QueryError, parse_query

    try:
        flt = parse_query(query, "")
    except QueryError as exc:
        raise UserError(f"[assignment] search: {exc}") from None
    if flt.assignee is not None or flt.unassigned:
        raise UserError("[assignment] search cannot name an assignee (it picks the assignee).")
    return query


def candidates(session: Session, policy: AssignPolicy, now: datetime) -> list[Agent]:
    """The agents who may be given a conversation now, in username order, after locking
    every agent row (the point where concurrent assigners take turns)."""
    agents = list(session.exec(select(Agent).order_by(col(Agent.id)).with_for_update()).all())
    if policy.agents:
        wanted = set(policy.agents)
        agents = [a for a in agents if a.username in wanted]
    if policy.present_only:
        present = set(
            session.exec(
                select(Presence.agent_id).where(col(Presence.heartbeat_at) >= now - STALE)
            ).all()
        )
        agents = [a for a in agents if a.id in present]
    loads = open_counts(session, [a.id for a in agents if a.id is not None])
    return sorted(
        (a for a in agents if loads.get(a.id or 0, 0) < policy.cap), key=lambda a: a.username
    )


def open_counts(session: Session, agent_ids: list[int]) -> dict[int, int]:
    if not agent_ids:
        return {}
    rows = session.exec(
        select(Conversation.assignee_id, func.count())
        .where(col(Conversation.assignee_id).in_(agent_ids))
        .where(col(Conversation.status).in_(ACTIVE))
        .group_by(col(Conversation.assignee_id))
    ).all()
    return {int(a): int(n) for a, n in rows if a is not None}


def _last_auto(session: Session) -> str | None:
    """The username the last automatic assignment went to."""
    for raw in session.exec(
        select(Event.data)
        .where(Event.kind == EventKind.ASSIGNED.value)
        .where(col(Event.agent_id).is_(None))
        .order_by(col(Event.id).desc())
        .limit(LOOK_BACK)
    ).all():
        data = json.loads(raw or "{}")
        if data.get("auto") and data.get("to"):
            return str(data["to"])
    return None


def pick(session: Session, policy: AssignPolicy, now: datetime) -> Agent | None:
    """Whose turn it is (None: nobody present below the cap)."""
    pool = candidates(session, policy, now)
    if not pool:
        return None
    last = _last_auto(session)
    # The rotation: agents after the last one given work first, then from the start.
    order = [a for a in pool if last is not None and a.username > last]
    order += [a for a in pool if a not in order]
    if policy.mode == "least-open":
        loads = open_counts(session, [a.id for a in order if a.id is not None])
        return min(order, key=lambda a: loads.get(a.id or 0, 0))  # min keeps the first of ties
    return order[0]


def give(
    session: Session,
    conv: Conversation,
    agent: Agent,
    policy: AssignPolicy,
    now: datetime,
    *,
    reason: str = "new",
    extra: dict[str, Any] | None = None,
) -> None:
    previous = session.get(Agent, conv.assignee_id) if conv.assignee_id else None
    conv.assignee_id = agent.id
    data = {
        "from": previous.username if previous else None,
        "to": agent.username,
        "auto": policy.mode,
        "reason": reason,
        **(extra or {}),
    }
    record(session, conv, None, EventKind.ASSIGNED, data, at=now)


def assign_next(
    session: Session, policy: AssignPolicy, now: datetime | None = None
) -> tuple[int, str] | None:
    """Give the oldest open, unassigned conversation the policy covers to whoever's turn
    it is, in one transaction. None when there is none or nobody can take it."""
    now = now or utcnow()
    agent = pick(session, policy, now)  # locks the agents first: the turn is ours
    if agent is None:
        return None
    stmt = (
        select(Conversation.id, Conversation.source)
        .where(col(Conversation.assignee_id).is_(None))
        .where(Conversation.status == Status.OPEN.value)
        .order_by(col(Conversation.created_at), col(Conversation.id))
    )
    rows = session.exec(stmt.limit(1000)).all()
    outside = policy.outside_view(session, [int(cid or 0) for cid, _ in rows])
    for cid, source in rows:
        if not policy.covers(source or "") or cid in outside:
            continue
        conv = lock_conversation(session, cid)  # type: ignore[arg-type]
        if conv.assignee_id is not None or conv.status != Status.OPEN.value:
            continue
        give(session, conv, agent, policy, now)
        return cid, agent.username  # type: ignore[return-value]
    return None


def give_out(store: Store, policy: AssignPolicy, limit: int = 100_000) -> list[tuple[int, str]]:
    """Every open, unassigned conversation the policy covers, one transaction each, to
    whoever's turn it is, until none is left or nobody can take one (``inbox-tui
    assign`` and the TUI's poll, so a new conversation is given out as it arrives)."""
    given: list[tuple[int, str]] = []
    for _ in range(limit):
        done = store.run(assign_next, policy)
        if done is None:
            break
        given.append(done)
    return given


def _away(
    session: Session, policy: AssignPolicy, now: datetime, after: timedelta | None
) -> dict[int, datetime | None]:
    """The taking-part agents who are away, with when they were last seen: by hand
    (``after`` None) every agent not present; else those whose heartbeat stopped at
    least ``after`` ago."""
    seen = dict(session.exec(select(Presence.agent_id, Presence.heartbeat_at)).all())
    stmt = select(Agent.id, Agent.username)
    if policy.agents:
        stmt = stmt.where(col(Agent.username).in_(policy.agents))
    out: dict[int, datetime | None] = {}
    for agent_id, _name in session.exec(stmt).all():
        last = _aware(seen.get(int(agent_id or 0)))
        if (after is None and (last is None or last < now - STALE)) or (
            after is not None and last is not None and last < now - max(after, STALE)
        ):
            out[int(agent_id or 0)] = last
    return out


def _aware(at: datetime | None) -> datetime | None:
    from datetime import UTC

    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def reoffer_next(
    session: Session,
    policy: AssignPolicy,
    now: datetime | None = None,
    *,
    after: timedelta | None = None,
    unanswered: bool = False,
) -> tuple[int, str] | None:
    """Give the oldest open conversation of an away agent (see ``_away``; with
    ``unanswered`` only one still waiting for a reply) to whoever's turn it is among
    the present agents, in this transaction. None when there is none or nobody can."""
    now = now or utcnow()
    away = _away(session, policy, now, after)
    if not away:
        return None
    stmt = (
        select(Conversation.id, Conversation.source)
        .where(col(Conversation.assignee_id).in_(sorted(away)))
        .where(Conversation.status == Status.OPEN.value)
    )
    if unanswered:
        stmt = stmt.where(col(Conversation.waiting_since).is_not(None))
    found = [
        int(cid or 0)
        for cid, source in session.exec(
            stmt.order_by(col(Conversation.created_at), col(Conversation.id)).limit(1000)
        ).all()
        if policy.covers(source or "")
    ]
    outside = policy.outside_view(session, found)
    found = [cid for cid in found if cid not in outside]
    if not found:
        return None  # nothing to move: no lock taken (every TUI's poll asks)
    # Whose turn, with the agents locked (never back to someone absent); then each
    # conversation is read again under its own lock, as another assigner may have
    # moved it since the list above was read.
    agent = pick(session, replace(policy, present_only=True), now)
    if agent is None:
        return None
    for cid in found:
        conv = lock_conversation(session, cid)
        owner = conv.assignee_id
        if owner is None or owner not in away or conv.status != Status.OPEN.value:
            continue
        if unanswered and conv.waiting_since is None:
            continue
        last = away[owner]
        extra = {"away_since": last.isoformat() if last else None}
        give(session, conv, agent, policy, now, reason="away", extra=extra)
        return cid, agent.username
    return None


def reoffer(
    session: Session, policy: AssignPolicy, now: datetime | None = None
) -> list[tuple[int, str]]:
    """By hand (``assign --reoffer``): every open conversation of taking-part agents
    who are not present, each given to whoever's turn it is among those present (while
    anyone is below the cap), in this transaction."""
    moved = []
    for _ in range(100_000):
        done = reoffer_next(session, policy, now)
        if done is None:
            break
        moved.append(done)
    return moved


def reoffer_lapsed(
    store: Store, policy: AssignPolicy, limit: int = 10_000
) -> list[tuple[int, str]]:
    """By itself (``reoffer_after`` set; the TUI's poll, ``inbox-tui assign``): the
    unanswered open conversations of agents away that long, one transaction each."""
    if policy.reoffer_after is None:
        return []
    moved: list[tuple[int, str]] = []
    for _ in range(limit):
        done = store.run(reoffer_next, policy, after=policy.reoffer_after, unanswered=True)
        if done is None:
            break
        moved.append(done)
    return moved

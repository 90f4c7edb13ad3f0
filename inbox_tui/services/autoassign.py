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

``reoffer``: the open conversations of agents who went away are given to present ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from inbox_tui.models import Agent, Conversation, Event, EventKind, Presence, Status, utcnow
from inbox_tui.services.core import lock_conversation, record
from inbox_tui.services.presence import STALE
from inbox_tui.store import Store

ACTIVE = (Status.OPEN.value, Status.PENDING.value)
LOOK_BACK = 500  # recent assigned events read to find whose turn it is


@dataclass(frozen=True)
class AssignPolicy:
    mode: str  # "round-robin" or "least-open"
    cap: int = 20
    agents: tuple[str, ...] = ()
    present_only: bool = True
    sources: tuple[str, ...] = ()

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
        )

    def covers(self, source: str) -> bool:
        return not self.sources or any(source.startswith(p) for p in self.sources)


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
) -> None:
    previous = session.get(Agent, conv.assignee_id) if conv.assignee_id else None
    conv.assignee_id = agent.id
    data = {
        "from": previous.username if previous else None,
        "to": agent.username,
        "auto": policy.mode,
        "reason": reason,
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
    for cid, source in session.exec(stmt.limit(1000)).all():
        if not policy.covers(source or ""):
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


def reoffer(
    session: Session, policy: AssignPolicy, now: datetime | None = None
) -> list[tuple[int, str]]:
    """The open conversations of taking-part agents who are not present, each given to
    whoever's turn it is among those present (while anyone is below the cap)."""
    now = now or utcnow()
    present = set(
        session.exec(
            select(Presence.agent_id).where(col(Presence.heartbeat_at) >= now - STALE)
        ).all()
    )
    stmt = select(Conversation).join(Agent, col(Agent.id) == Conversation.assignee_id)
    stmt = stmt.where(Conversation.status == Status.OPEN.value)
    if policy.agents:
        stmt = stmt.where(col(Agent.username).in_(policy.agents))
    moved = []
    for conv in session.exec(
        stmt.order_by(col(Conversation.created_at), col(Conversation.id))
    ).all():
        if conv.assignee_id in present or not policy.covers(conv.source or ""):
            continue
        agent = pick(session, policy, now)
        if agent is None:
            break
        locked = lock_conversation(session, conv.id)  # type: ignore[arg-type]
        give(session, locked, agent, policy, now, reason="away")
        moved.append((locked.id, agent.username))
    return moved  # type: ignore[return-value]

"""Who is looking at what: each running TUI sends a heartbeat with the conversation its
agent has open (viewing or replying). Rows older than ``STALE`` are ignored, so a killed
app disappears by itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from inbox_tui.models import Agent, Presence, utcnow
from inbox_tui.services.core import ensure_agent
from inbox_tui.store.hooks import note_core_writes

STALE = timedelta(seconds=60)
HEARTBEAT_SECONDS = 15

_PRESENCE = Presence.__table__  # type: ignore[attr-defined]
_AGENT = Agent.__table__  # type: ignore[attr-defined]
_BEAT = (
    update(_PRESENCE)
    .where(
        _PRESENCE.c.agent_id
        == core_select(_AGENT.c.id).where(_AGENT.c.username == bindparam("me")).scalar_subquery()
    )
    .values(
        conversation_id=bindparam("conv"),
        activity=bindparam("act"),
        heartbeat_at=bindparam("at"),
    )
)


def heartbeat(
    session: Session, actor: str, conversation_id: int | None, activity: str = "viewing"
) -> None:
    """Say what ``actor`` has open now. Every open of a thread writes one: an agent
    seen before is one Core UPDATE (the ORM's lookup, load and flush cost ~1 ms more of
    CPU beside the thread's read); the first one creates the agent and their row."""
    now = utcnow()
    params = {"me": actor, "conv": conversation_id, "act": activity, "at": now}
    if session.connection().execute(_BEAT, params).rowcount == 1:
        note_core_writes(session, [])  # PostgreSQL: the other agents hear of it
        return
    agent = ensure_agent(session, actor)
    row = session.get(Presence, agent.id)
    if row is None:
        row = Presence(agent_id=agent.id)  # type: ignore[arg-type]
        session.add(row)
    row.conversation_id = conversation_id
    row.activity = activity
    row.heartbeat_at = now


def leave(session: Session, actor: str) -> None:
    agent = session.exec(select(Agent).where(Agent.username == actor)).first()
    if agent is not None:
        row = session.get(Presence, agent.id)
        if row is not None:
            session.delete(row)


def others_by_conversation(session: Session, me: str) -> dict[int, list[tuple[str, str]]]:
    """conversation id → [(agent name, activity)] for other agents seen recently."""
    rows = session.exec(
        select(Presence.conversation_id, Agent.username, Agent.name, Presence.activity)
        .join(Agent, col(Agent.id) == Presence.agent_id)
        .where(col(Presence.heartbeat_at) >= utcnow() - STALE)
        .where(col(Presence.conversation_id).is_not(None))
        .where(Agent.username != me)
    ).all()
    out: dict[int, list[tuple[str, str]]] = {}
    for conv_id, username, name, activity in rows:
        if conv_id is not None:
            out.setdefault(conv_id, []).append((name or username, activity))
    return out


_VIEWERS = (
    core_select(_AGENT.c.username, _AGENT.c.name, _PRESENCE.c.activity)
    .select_from(_PRESENCE.join(_AGENT, _AGENT.c.id == _PRESENCE.c.agent_id))
    .where(_PRESENCE.c.conversation_id == bindparam("conv"))
    .where(_PRESENCE.c.heartbeat_at >= bindparam("since"))
    .where(_AGENT.c.username != bindparam("me"))
)


def viewers(session: Session, me: str, conversation_id: int) -> list[tuple[str, str]]:
    """[(agent name, activity)] of the other agents seen recently on this conversation
    (``others_by_conversation`` for one conversation, in one Core statement)."""
    params = {"conv": conversation_id, "since": utcnow() - STALE, "me": me}
    rows = session.connection().execute(_VIEWERS, params)
    return [(name or username, activity) for username, name, activity in rows]

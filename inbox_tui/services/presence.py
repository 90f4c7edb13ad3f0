"""Who is looking at what: each running TUI sends a heartbeat with the conversation its
agent has open (viewing or replying). Rows older than ``STALE`` are ignored, so a killed
app disappears by itself."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from inbox_tui.models import Agent, Presence, utcnow
from inbox_tui.services.core import ensure_agent

STALE = timedelta(seconds=60)
HEARTBEAT_SECONDS = 15


def heartbeat(
    session: Session, actor: str, conversation_id: int | None, activity: str = "viewing"
) -> None:
    agent = ensure_agent(session, actor)
    row = session.get(Presence, agent.id)
    if row is None:
        row = Presence(agent_id=agent.id)  # type: ignore[arg-type]
        session.add(row)
    row.conversation_id = conversation_id
    row.activity = activity
    row.heartbeat_at = utcnow()


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

"""Continuity: the agent who last helped this customer, and handoffs.

- **previous agent** of a conversation: the agent who wrote the latest reply that went
  to the same customer (contact) in any of their other conversations (a forward, or a
  reply still waiting in the outbox, is not one);
- **handoffs** of a conversation: its reassignments, ``assigned`` events that move it
  from one agent to another (a first assignment, or an unassignment, is not a handoff);
  reported for the conversations closed in a period, per agent who last closed them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from inbox_tui.errors import UserError
from inbox_tui.models import Conversation
from inbox_tui.services import core, triage
from inbox_tui.services.outbox import NOT_GONE
from inbox_tui.store import dialect
from inbox_tui.store.aggregates import to_us

_PREVIOUS = text(
    "SELECT a.username FROM message m JOIN agent a ON a.id = m.agent_id "
    "JOIN conversation c ON c.id = m.conversation_id "
    "WHERE c.contact_id = :contact AND m.conversation_id <> :conv AND m.direction = 'out' "
    # A forward went elsewhere; a reply still waiting in the outbox (or never gone) has
    # not helped anyone yet.
    "AND m.source <> 'outbox:forward' AND NOT EXISTS (SELECT 1 FROM outbox o "
    "WHERE o.status IN :not_gone AND o.message_row_id = m.id) "
    "ORDER BY m.sent_at DESC, m.id DESC LIMIT 1"
).bindparams(bindparam("not_gone", NOT_GONE, expanding=True))


def previous_agent(session: Session, conversation_id: int) -> str | None:
    """The username of the agent who last replied to this customer elsewhere, or None."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise core.conversation_not_found(conversation_id)
    if conv.contact_id is None:
        return None
    row = session.execute(_PREVIOUS, {"contact": conv.contact_id, "conv": conversation_id}).first()
    return None if row is None else str(row[0])


def assign_previous(session: Session, actor: str, conversation_id: int) -> str:
    """Assign the conversation to its previous agent; returns their username."""
    agent = previous_agent(session, conversation_id)
    if agent is None:
        raise UserError(
            f"Nobody has answered the customer of conversation {conversation_id} before."
        )
    triage.assign(session, actor, conversation_id, agent)
    return agent


@dataclass
class Handoffs:
    agent: str
    closed: int = 0
    handoffs: int = 0
    conversations: list[int] = field(default_factory=list)  # with at least one handoff

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "closed": self.closed,
            "handoffs": self.handoffs,
            "per_conversation": round(self.handoffs / self.closed, 4) if self.closed else None,
            "conversations": sorted(self.conversations),
        }


_LAST_CLOSES = (
    "SELECT conversation_id, last_closer_id FROM stat_conversation "
    "WHERE last_closed_us >= :lo AND last_closed_us < :hi"
)
_ASSIGNED = text(
    "SELECT conversation_id, data FROM event WHERE kind = 'assigned' AND conversation_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def handoffs(session: Session, since: datetime, until: datetime) -> list[Handoffs]:
    """Handoffs of the conversations last closed in [since, until), per agent who closed
    them, then the team (module docstring)."""
    names = {int(i): str(u) for i, u in session.execute(text("SELECT id, username FROM agent"))}
    closed = dialect.raw_rows(session, _LAST_CLOSES, {"lo": to_us(since), "hi": to_us(until)})
    counts: dict[int, int] = defaultdict(int)
    ids = [int(c) for c, _ in closed]
    for i in range(0, len(ids), 5000):
        for conv_id, data in session.execute(_ASSIGNED, {"ids": ids[i : i + 5000]}).all():
            info = json.loads(data or "{}")
            if info.get("from") and info.get("to") and info["from"] != info["to"]:
                counts[int(conv_id)] += 1
    per: dict[str, Handoffs] = {}
    team = Handoffs("team")
    for conv_id, closer in closed:
        name = names.get(closer, "?") if closer is not None else "?"
        for row in (per.setdefault(name, Handoffs(name)), team):
            row.closed += 1
            row.handoffs += counts[conv_id]
            if counts[conv_id]:
                row.conversations.append(conv_id)
    return [*sorted(per.values(), key=lambda h: h.agent), team]


def assign_previous_many(session: Session, actor: str, ids: list[int]) -> dict[str, int]:
    """Assign each conversation to the agent who last helped its customer; those whose
    customer nobody has answered before are left as they are. Returns how many went to
    whom (the toast names them: "Assigned to the previous agent" said nothing of who)."""
    moved: dict[str, int] = {}
    for cid in ids:
        agent = previous_agent(session, cid)
        if agent is not None:
            triage.assign(session, actor, cid, agent)
            moved[agent] = moved.get(agent, 0) + 1
    if not moved:
        raise UserError(
            "Nobody has answered the customer of "
            + ("this conversation" if len(ids) == 1 else "any of these conversations")
            + " before."
        )
    return moved

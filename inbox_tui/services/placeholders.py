"""The values of the macro placeholders (``contact.first_name``, ``agent.name``, ...)
for one conversation and agent: used by macros and by signatures, which share the
placeholder language."""

from __future__ import annotations

from sqlmodel import Session, select

from inbox_tui.models import Agent, Contact, Conversation
from inbox_tui.services import core


def values_for(session: Session, actor: str, conversation_id: int) -> dict[str, str | None]:
    """The placeholder values for this conversation and agent."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise core.conversation_not_found(conversation_id)
    contact = session.get(Contact, conv.contact_id) if conv.contact_id else None
    agent = session.exec(select(Agent).where(Agent.username == actor)).first()
    cname = (contact.name if contact else "") or ""
    aname = (agent.name if agent else "") or actor
    return {
        "contact.first_name": cname.split()[0] if cname.split() else None,
        "contact.name": cname or None,
        "contact.email": contact.email if contact else None,
        "contact.company": contact.company if contact else None,
        "agent.first_name": aname.split()[0] if aname.split() else None,
        "agent.name": aname,
        "conversation.id": str(conv.id),
        "conversation.subject": conv.subject,
        **_ratings(session, conversation_id),
    }


def _ratings(session: Session, conversation_id: int) -> dict[str, str | None]:
    """The rating links (none without a team address to send them to: a chat; a
    signature writes ``{{rating.links | fallback: ""}}``)."""
    from inbox_tui.services.ratings import RATINGS, links, links_line

    found = links(session, conversation_id)
    out: dict[str, str | None] = {f"rating.{r}": found.get(r) for r in RATINGS}
    out["rating.links"] = links_line(found) if found else None
    return out

"""Export the store as JSON lines, one conversation per line, streamed page by page."""

from __future__ import annotations

import json
from typing import TextIO

from sqlmodel import col, select

from inbox_tui.models import Agent, Message
from inbox_tui.sanitize import json_terminal_safe
from inbox_tui.services.attachments import entries
from inbox_tui.services.conversations import list_conversations
from inbox_tui.store import Store

PAGE = 500


def export_conversations(store: Store, out: TextIO) -> int:
    """Write every conversation to ``out``. Returns how many."""
    count = 0
    cursor = None
    while True:
        with store.read() as session:
            page = list_conversations(session, after=cursor, limit=PAGE)
            if not page:
                return count
            ids = [row.id for row in page]
            messages: dict[int, list[dict[str, object]]] = {i: [] for i in ids}
            rows = session.exec(
                select(Message, Agent.username)
                .outerjoin(Agent, col(Agent.id) == Message.agent_id)
                .where(col(Message.conversation_id).in_(ids))
                .order_by(col(Message.conversation_id), col(Message.sent_at), col(Message.id))
            ).all()
            for m, username in rows:
                messages[m.conversation_id].append(
                    {
                        "message_id": m.message_id,
                        "direction": m.direction,
                        "author": {
                            "name": m.author_name,
                            "email": m.author_email,
                            "agent": username,
                        },
                        "sent_at": m.sent_at.isoformat(),
                        "to": _addresses(m.to_addrs),
                        "cc": _addresses(m.cc_addrs),
                        "attachments": [
                            {
                                "filename": a.get("name"),
                                "content_type": a.get("type") or a.get("content_type"),
                                "size": a.get("size"),
                                "sha256": a.get("sha256"),
                            }
                            for a in entries(m.attachments)
                        ],
                        "body": m.body,
                    }
                )
        for row in page:
            out.write(
                json_terminal_safe(
                    json.dumps(
                        {
                            "id": row.id,
                            "subject": row.subject,
                            "status": row.status,
                            "assignee": row.assignee,
                            "tags": row.tags,
                            "channel": row.channel,
                            "contact": {"name": row.contact_name, "email": row.contact_email},
                            "last_activity_at": row.last_activity_at.isoformat(),
                            "messages": messages[row.id],
                        },
                        ensure_ascii=False,
                    )
                )
                + "\n"
            )
            count += 1
        cursor = page[-1].cursor


def _addresses(raw: str | None) -> list[dict[str, str]]:
    try:
        pairs = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [{"name": str(n), "email": str(a)} for n, a in pairs if a]

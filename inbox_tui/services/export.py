"""Export the store as JSON lines, one conversation per line, streamed page by page."""

from __future__ import annotations

import json
from typing import Any, TextIO

from sqlmodel import Session, col, select

from inbox_tui.models import Agent, Message
from inbox_tui.sanitize import json_terminal_safe
from inbox_tui.services.attachments import entries
from inbox_tui.services.conversations import ConversationRow, list_conversations
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
            records = conversation_records(session, page)
        for record in records:
            out.write(jsonl(record))
            count += 1
        cursor = page[-1].cursor


def conversation_records(session: Session, rows: list[ConversationRow]) -> list[dict[str, Any]]:
    """The export's JSON object of each conversation (with its messages), in ``rows``'
    order: what ``export`` writes and ``search --json`` prints."""
    ids = [row.id for row in rows]
    messages: dict[int, list[dict[str, object]]] = {i: [] for i in ids}
    found = session.exec(
        select(Message, Agent.username)
        .outerjoin(Agent, col(Agent.id) == Message.agent_id)
        .where(col(Message.conversation_id).in_(ids))
        .order_by(col(Message.conversation_id), col(Message.sent_at), col(Message.id))
    ).all()
    for m, username in found:
        messages[m.conversation_id].append(
            {
                "message_id": m.message_id,
                "direction": m.direction,
                "author": {"name": m.author_name, "email": m.author_email, "agent": username},
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
    return [
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
        }
        for row in rows
    ]


def jsonl(record: dict[str, Any]) -> str:
    """One JSON line, safe to print (see ``sanitize.json_terminal_safe``)."""
    return json_terminal_safe(json.dumps(record, ensure_ascii=False)) + "\n"


def _addresses(raw: str | None) -> list[dict[str, str]]:
    try:
        pairs = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [{"name": str(n), "email": str(a)} for n, a in pairs if a]

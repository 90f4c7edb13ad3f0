"""Customer mail for hand-built histories (stats, repeat contacts, continuity): one
message ingested as a sync would, in a thread by ``refs``. The tests that count by hand
build their stores with it."""

from __future__ import annotations

from datetime import datetime

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor


def mail(
    s,
    key: str,
    when: datetime,
    refs: tuple[str, ...] = (),
    *,
    subject: str = "Help",
    email: str | None = None,
    name: str = "Customer",
    body: str = "text",
    agent: str | None = None,
    domain: str = "c.example",
) -> int:
    """Message ``<key@DOMAIN>`` at ``when`` (answering ``refs``, in the same domain), from
    ``email`` (by default the part of ``key`` before its first "-", at c.example), or
    from ``agent`` (an agent's username: our own reply, no address); its conversation
    id."""
    if email is None and agent is None:
        email = f"{key.split('-')[0]}@c.example"
    return (
        Ingestor(s)
        .add(
            IncomingMessage(
                source="t",
                external_id=key,
                message_id=f"<{key}@{domain}>",
                references=[f"<{r}@{domain}>" for r in refs],
                subject=subject,
                author_email=None if agent else email,
                author_name=agent or name,
                agent_username=agent,
                sent_at=when,
                body=body,
            )
        )
        .conversation_id
    )

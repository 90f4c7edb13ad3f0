"""The one rule for what a new message does to its conversation's summary.

A conversation row keeps denormalised fields so lists are cheap: ``message_count``,
``created_at``, ``last_activity_at``, ``last_customer_at``, ``version`` (the collision
check counts from it) and, for a customer's new message, its ``status``. Every message
that joins a conversation, whoever writes it, goes through ``append_message``:

- ingest (``ingest.writer``) for mail and chat, on its Core row state;
- the services (``services.core.append_message``, used by replies and notes), on the
  ORM ``Conversation``.

It sits in ``ingest`` (below the services) so both can use it with imports that only
go down.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from inbox_tui.models import Direction, Status


class Summary(Protocol):
    """The columns of a conversation that a message changes (``Conversation`` has
    them, and so has ingest's lighter row state)."""

    status: str
    snoozed_until: datetime | None
    created_at: datetime
    last_activity_at: datetime
    last_customer_at: datetime | None
    message_count: int
    version: int


def append_message(conv: Summary, direction: Direction, at: datetime) -> str | None:
    """Fold one message sent at ``at`` into ``conv``: one more message, one more
    version, activity and customer times moved forward, the creation time moved back
    for a message older than the conversation (imported late).

    A customer's message newer than everything else reopens a pending, snoozed or
    closed conversation: the status it had is returned (the caller records the
    ``status_changed`` event), else None."""
    conv.message_count += 1
    conv.version += 1
    if at < conv.created_at:
        conv.created_at = at
    newest = at >= conv.last_activity_at
    if newest:
        conv.last_activity_at = at
    if direction is Direction.INBOUND:
        if conv.last_customer_at is None or at > conv.last_customer_at:
            conv.last_customer_at = at
        # A customer writing again reopens the conversation, snoozed or closed.
        if newest and conv.status != Status.OPEN.value and conv.message_count > 1:
            previous = conv.status
            conv.status = Status.OPEN.value
            conv.snoozed_until = None
            return previous
    return None


def refold(
    conv: Summary, messages: Sequence[tuple[str, datetime]], *, created: bool = True
) -> None:
    """The summary from the messages a conversation has now (direction, sent at), after
    some left it: a merge moved them, or undo send took a reply back (walk7: the reply
    taken back still held the conversation at the top of the list). Count, activity and
    customer times as if the others had never joined; ``created`` False keeps the
    creation time (a reply taken back never made the conversation younger)."""
    conv.message_count = len(messages)
    if messages:
        if created:
            conv.created_at = min(t for _, t in messages)
        conv.last_activity_at = max(t for _, t in messages)
    inbound = [t for d, t in messages if d == Direction.INBOUND.value]
    conv.last_customer_at = max(inbound) if inbound else None

"""Since when a conversation waits for a reply: the one definition, and the stored copy.

``waiting_since`` is the definition (``services.sla.waiting_since`` is this function):
a conversation waits from the first customer message after the last reply an agent
sent. Notes are not replies, a forward is no answer to the customer, and a reply
scheduled for later ("send at") counts only once its time has come. NULL when the latest
message that is not a note is an agent's, or there is none.

Computing it from the messages on every list query cost 0.3-0.4 s a page at 50,000
conversations (the "Needs reply" view), so it is also kept on the conversation
(``conversation.waiting_since``, indexed) and read from there. It stays right the way
the stats aggregates do: every write transaction notes the conversations that got
events (ingest's Core writes note theirs, ``hooks.note_core_writes``), and before commit
``refresh`` recomputes exactly those from this definition, in the same transaction.
The outbox sending a scheduled reply notes its conversation too, since that changes
the answer without any event. Merges and splits record events on both sides,
their undos too. ``rebuild`` recomputes every conversation (migration, bulk loads).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from inbox_tui.models import FORWARD_SOURCE, Conversation, Direction, Message, utcnow

CHUNK = 500


def waiting_since() -> tuple[Any, Any]:
    """SQL for a conversation (correlated to ``Conversation``): (when it started waiting,
    its last agent reply). Waiting starts at the first customer message after the last
    reply an agent sent (notes are not replies); NULL when the latest message that is
    not a note is an agent's, or there is none."""
    out = Message.__table__.alias("last_out")  # type: ignore[attr-defined]
    last_out = (
        select(func.max(out.c.sent_at))
        .where(out.c.conversation_id == Conversation.id)
        .where(out.c.direction == Direction.OUTBOUND.value)
        .where(out.c.source != FORWARD_SOURCE)  # a forward is no answer to the customer
        # A reply scheduled for later ("send at") is dated when it goes: until then the
        # customer has no answer and the clock runs (walk2: it stopped at once).
        .where(out.c.sent_at <= utcnow())
        .correlate(Conversation)
        .scalar_subquery()
    )
    inbound = aliased(Message)
    since = (
        select(func.min(inbound.sent_at))
        .where(inbound.conversation_id == Conversation.id)
        .where(inbound.direction == Direction.INBOUND.value)
        .where(or_(last_out.is_(None), inbound.sent_at > last_out))
        .correlate(Conversation)
        .scalar_subquery()
    )
    return since, last_out


def refresh(session: Any, conversation_ids: Iterable[int]) -> None:
    """Recompute the stored ``waiting_since`` of these conversations (those that no
    longer exist are skipped), inside the caller's transaction."""
    ids = sorted({int(i) for i in conversation_ids if i is not None})
    for i in range(0, len(ids), CHUNK):
        session.execute(
            update(Conversation)
            .where(col(Conversation.id).in_(ids[i : i + CHUNK]))
            .values(waiting_since=waiting_since()[0])
            .execution_options(synchronize_session=False)
        )


def rebuild(connection: Any) -> None:
    """Recompute it for every conversation (the migration's backfill, bulk loads)."""
    connection.execute(
        update(Conversation)
        .values(waiting_since=waiting_since()[0])
        .execution_options(synchronize_session=False)
    )

"""The rows ingest writes: table handles, prebuilt statements, a conversation's
maintained columns (``ConvState``) and the parameters of a message row and its events.
Shared by the one-message path (``ingest.writer``) and the batch path (``ingest.bulk``),
so both write exactly the same rows.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Table, bindparam, func, insert, text, update
from sqlalchemy import select as core_select

from inbox_tui import sanitize
from inbox_tui.incoming import IncomingMessage, normalise_message_id
from inbox_tui.models import (
    Contact,
    Conversation,
    Direction,
    Event,
    EventKind,
    Message,
    Status,
    ThreadRef,
    utcnow,
)

MAX_BODY_CHARS = 2_000_000


@dataclass
class ConvState:
    """The columns of a conversation that ingest maintains, in the order selected."""

    id: int
    status: str
    contact_id: int | None
    created_at: datetime
    last_activity_at: datetime
    last_customer_at: datetime | None
    message_count: int
    snoozed_until: datetime | None
    version: int


CONV = Conversation.__table__  # type: ignore[attr-defined]
MSG = Message.__table__  # type: ignore[attr-defined]
EVENT = Event.__table__  # type: ignore[attr-defined]
CONTACT = Contact.__table__  # type: ignore[attr-defined]
REF = ThreadRef.__table__  # type: ignore[attr-defined]

# Built once: constructing and cache-keying a statement per message cost as much as
# running it.
SELECT_BY_KEY = core_select(MSG.c.id, MSG.c.conversation_id).where(
    MSG.c.dedupe_key == bindparam("key")
)
SELECT_CONTACT = core_select(CONTACT.c.id, CONTACT.c.name).where(CONTACT.c.key == bindparam("key"))
SELECT_STATE = core_select(*(CONV.c[f.name] for f in dataclasses.fields(ConvState))).where(
    CONV.c.id == bindparam("conv_id")
)
INSERT_CONVERSATION = insert(CONV).returning(CONV.c.id)
INSERT_MESSAGE = insert(MSG).returning(MSG.c.id)
INSERT_EVENT = insert(EVENT)
# Many rows in one statement (or a few), their ids in the order the rows were given.
INSERT_CONVERSATION_MANY = insert(CONV).returning(CONV.c.id, sort_by_parameter_order=True)
INSERT_MESSAGE_MANY = insert(MSG).returning(MSG.c.id, sort_by_parameter_order=True)
INSERT_REF = insert(REF)
UPDATE_CONVERSATION = update(CONV).where(CONV.c.id == bindparam("conv_id"))
SELECT_BY_KEYS = core_select(MSG.c.dedupe_key, MSG.c.id, MSG.c.conversation_id).where(
    MSG.c.dedupe_key.in_(bindparam("keys", expanding=True))
)


def events(
    conv_id: int,
    agent_id: int | None,
    row_id: int,
    msg: IncomingMessage,
    sent_at: datetime,
    reopened_from: str | None,
    direction: Direction | None = None,
) -> list[dict[str, object]]:
    """The message's event (received, or replied for an agent's message or another of
    ours, ``direction`` outbound) and, when a
    customer's message reopened the conversation, the status change."""
    events: list[dict[str, object]] = [
        {
            "conversation_id": conv_id,
            "agent_id": agent_id,
            "kind": (
                EventKind.REPLIED
                if agent_id or direction is Direction.OUTBOUND
                else EventKind.RECEIVED
            ).value,
            "at": sent_at,
            "data": json.dumps({"message": row_id, "channel": msg.channel.value}),
        }
    ]
    if reopened_from is not None:
        events.append(
            {
                "conversation_id": conv_id,
                "agent_id": None,
                "kind": EventKind.STATUS_CHANGED.value,
                "at": sent_at,
                "data": json.dumps(
                    {"from": reopened_from, "to": Status.OPEN.value, "reason": "customer replied"}
                ),
            }
        )
    return events


def addr_json(addrs: list[tuple[str, str]]) -> str | None:
    if not addrs:
        return None
    return json.dumps(
        [[sanitize.one_line(n, 300), sanitize.one_line(a, 320)] for n, a in addrs[:200]]
    )


def message_params(
    msg: IncomingMessage,
    key: str,
    conv_id: int,
    mid: str | None,
    refs: list[str],
    direction: Direction,
    agent_id: int | None,
    contact_id: int | None,
    subject: str,
    sent_at: datetime,
    attachments: str | None,
    html_sha256: str | None = None,
) -> dict[str, Any]:
    """The ``message`` row of ``msg`` (the body cleaned and bounded; ``html_sha256``:
    its original HTML part, already kept in ``blob``). The body is clean already:
    ``IncomingMessage`` cleans every text field as it is set (``for_display``, which
    ``clean`` would only repeat: 0.16 CPU-s of the writer's per 6,000 messages)."""
    body = msg.body
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS]
        msg.warnings.append(f"body truncated to {MAX_BODY_CHARS} characters")
    return dict(
        conversation_id=conv_id,
        dedupe_key=key,
        source=msg.source[:400],
        external_id=msg.external_id[:1000] if msg.external_id else None,
        message_id=mid,
        in_reply_to=normalise_message_id(msg.in_reply_to),
        refs=" ".join(refs) or None,
        direction=direction.value,
        author_name=sanitize.one_line(msg.author_name, 300),
        author_email=(msg.author_email or None)
        and sanitize.one_line(msg.author_email, 320).lower(),
        agent_id=agent_id,
        contact_id=contact_id,
        to_addrs=addr_json(msg.to),
        cc_addrs=addr_json(msg.cc),
        reply_to_addrs=addr_json(msg.reply_to),
        subject=subject,
        sent_at=sent_at,
        received_at=utcnow(),
        # The sender's clock (services/clock.py); an offset no zone has is not kept.
        utc_offset=msg.utc_offset
        if msg.utc_offset is not None and -720 <= msg.utc_offset <= 840
        else None,
        body=body,
        attachments=attachments,
        html_sha256=html_sha256,
        parse_warnings="\n".join(sanitize.one_line(w, 500) for w in msg.warnings) or None,
    )


def conversation_update(conv: ConvState) -> dict[str, Any]:
    """Parameters of ``UPDATE_CONVERSATION`` for ``conv``'s maintained columns."""
    return dict(
        conv_id=conv.id,
        status=conv.status,
        snoozed_until=conv.snoozed_until,
        contact_id=conv.contact_id,
        created_at=conv.created_at,
        last_activity_at=conv.last_activity_at,
        last_customer_at=conv.last_customer_at,
        message_count=conv.message_count,
        version=conv.version,
    )


def contact_key(msg: IncomingMessage) -> tuple[str, str] | None:
    """(contact key, lower-cased email or "") of a customer's message; None without any
    address or chat handle."""
    email = (msg.author_email or "").strip().lower()
    if email:
        return email[:400], email
    if msg.author_handle:
        return f"chat:{msg.author_handle}"[:400], ""
    return None


@functools.cache
def insert_contacts(dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` for contacts, many rows at once (a
    contact another writer created a moment ago is theirs)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    return dialect_insert(CONTACT).on_conflict_do_nothing(index_elements=["key"])


def insert_many(
    conn: Connection, table: Table, returning: Insert, params: list[dict[str, Any]]
) -> list[int]:
    """Insert ``params`` as rows of ``table``; their ids, in order. SQLite gives ids
    out of order under a multi-row RETURNING, so SQLAlchemy would send one row per
    statement: there the writer, which holds the database's only write lock for the
    transaction, gives the ids itself, exactly those SQLite would have chosen (the next
    after the largest, or for an AUTOINCREMENT table after the largest ever given: a
    conversation merged away keeps its id, migration 0022). A row someone else inserted
    first makes the insert fail, and the caller redoes the batch one by one."""
    if not params:
        return []
    if conn.dialect.name != "sqlite":
        return [int(i) for i in conn.execute(returning, params).scalars().all()]
    start = int(conn.execute(core_select(func.max(table.c.id))).scalar() or 0)
    if table.dialect_options["sqlite"].get("autoincrement"):
        given = conn.execute(
            text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
        ).scalar()
        start = max(start, int(given or 0))
    ids = list(range(start + 1, start + 1 + len(params)))
    for p, i in zip(params, ids, strict=True):
        p["id"] = i
    insert_rows(conn, table, params)
    return ids


def insert_rows(conn: Connection, table: Table, params: list[dict[str, Any]]) -> None:
    """``INSERT`` ``params`` (dicts with the same keys) into ``table``. On SQLite the
    rows go to the driver's ``executemany`` as tuples, each value through the column
    type's own bind processor: what SQLAlchemy's ``insert`` would send, without its
    per-row parameter building (a fifth of the writer's Python per message)."""
    if not params:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), params)
        return
    key = (table.name, tuple(params[0]))
    found = _RAW_INSERTS.get(key)
    if found is None:
        found = _RAW_INSERTS[key] = _raw_insert(conn.dialect, table, key[1])
    sql, procs = found
    if sql is None:  # a column left out has a default only SQLAlchemy fills in
        conn.execute(insert(table), params)
        return
    conn.exec_driver_sql(
        sql,
        [tuple(p(r[c]) if p is not None else r[c] for c, p in procs) for r in params],
    )


# (table, columns) -> _raw_insert's answer, for SQLite (every SQLite dialect binds alike;
# not keyed by the dialect object, which would keep each closed store's engine alive).
_RAW_INSERTS: dict[tuple[str, tuple[str, ...]], tuple[str | None, tuple[tuple[str, Any], ...]]] = {}


def _raw_insert(
    dialect: Any, table: Table, columns: tuple[str, ...]
) -> tuple[str | None, tuple[tuple[str, Any], ...]]:
    """The driver-level INSERT of ``columns`` into ``table`` and each column's bind
    processor; no statement when a column not given has a client-side default."""
    given = set(columns)
    if any(
        c.name not in given and (c.default is not None or c.onupdate is not None)
        for c in table.columns
    ):
        return None, ()
    prep = dialect.identifier_preparer
    names = ", ".join(prep.format_column(table.c[c]) for c in columns)
    marks = ", ".join("?" for _ in columns)
    procs = tuple((c, table.c[c].type._cached_bind_processor(dialect)) for c in columns)
    return f"INSERT INTO {prep.format_table(table)} ({names}) VALUES ({marks})", procs

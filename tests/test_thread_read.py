"""What a key opens: ``open_thread`` reads everything the thread view shows (the
conversation's row, its newest messages with each reply's outbox time, tags, the rules
that fired, the customer's clock and who else has it open) in a fixed handful of
statements, whatever the thread's length, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from inbox_tui.models import (
    ConversationTag,
    Event,
    EventKind,
    Message,
    Outbox,
    OutboxStatus,
    Tag,
    utcnow,
)
from inbox_tui.services.conversations import get_thread, open_thread
from inbox_tui.services.core import ensure_agent
from inbox_tui.services.presence import heartbeat
from tests.test_customer_clock import mail

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


def _conversation(s) -> int:  # type: ignore[no-untyped-def]
    """Ann (+09:00) wrote three times; Sam replied twice (one reply still waiting in the
    outbox, one tried once already) and left a note; a rule tagged it."""
    refs = "In-Reply-To: <m1@acme.example>\r\n"
    cid = mail(s, 1, "Mon, 16 Nov 2026 09:00:00 +0900")
    mail(s, 2, "Mon, 16 Nov 2026 10:00:00 +0900", refs=refs)
    sam = ensure_agent(s, "sam", "Sam")
    at = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    rows = []
    for i, (direction, body) in enumerate(
        [("out", "Tried already"), ("note", "Ask billing"), ("out", "Goes tomorrow")]
    ):
        m = Message(
            conversation_id=cid, dedupe_key=f"t:{i}", direction=direction, body=body,
            agent_id=sam.id, author_name="Sam", sent_at=at + timedelta(hours=i),
        )  # fmt: skip
        s.add(m)
        rows.append(m)
    mail(s, 3, "Wed, 18 Nov 2026 09:00:00 +0900", refs=refs)
    s.flush()
    tried, _, waiting = rows
    for m, attempts in ((tried, 1), (waiting, 0)):
        s.add(
            Outbox(
                conversation_id=cid, message_row_id=m.id, message_id=f"<o{m.id}@x>",
                status=OutboxStatus.QUEUED.value, attempts=attempts,
                next_attempt_at=datetime(2026, 11, 19, 0, 0, tzinfo=UTC),
            )
        )  # fmt: skip
    for name in ("urgent", "billing"):
        tag = Tag(name=name)
        s.add(tag)
        s.flush()
        s.add(ConversationTag(conversation_id=cid, tag_id=tag.id))
    data = json.dumps({"rule": "Invoices to billing", "actions": ["tagged billing"]})
    s.add(Event(conversation_id=cid, kind=EventKind.RULE_FIRED.value, data=data))
    return cid


def test_open_thread_reads_what_the_view_shows(store):
    cid = store.run(_conversation)
    store.run(lambda s: ensure_agent(s, "kim", "Kim Park"))
    store.run(heartbeat, "kim", cid, "replying")
    store.run(heartbeat, "sam", cid)  # the reader is not among the others
    with store.read() as s:
        thread, viewers = open_thread(s, cid, 4, "sam", NOW)
        whole = get_thread(s, cid)
    assert viewers == [("Kim Park", "replying")]
    assert [m.body.strip() for m in whole.messages] == [
        "Hello", "Hello", "Tried already", "Ask billing", "Goes tomorrow", "Hello",
    ]  # fmt: skip
    assert whole.earlier == 0 and thread.earlier == 2
    assert [m.id for m in thread.messages] == [m.id for m in whole.messages[2:]]
    goes = {m.body: m.waiting_until for m in thread.messages}
    assert goes["Tried already"] is None  # tried once: undo send cannot take it back
    assert goes["Goes tomorrow"] is not None
    assert goes["Goes tomorrow"] == datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    assert [m.agent for m in thread.messages] == ["sam", "sam", "sam", None]
    row = thread.conversation
    assert (row.id, row.tags, row.contact_email) == (cid, ["billing", "urgent"], "ann@acme.example")
    assert row.status == "open" and row.subject == "Export 1"
    assert thread.rules_fired == ["“Invoices to billing”: tagged billing"]
    assert thread.customer_offset == 9 * 60
    assert thread.customer_clock == "their time 00:30 (UTC+09:00), night there"
    assert thread.version == whole.version


def test_open_thread_is_a_few_statements_whatever_the_length(store):
    """Eight ORM statements before (a list query for one row, the row again, the
    messages, a count, the outbox, rules, the clock, every conversation's viewers); a
    per-message query creeping back in would show here."""
    cid = store.run(_conversation)

    def more(s) -> None:  # type: ignore[no-untyped-def]
        for i in range(60):
            s.add(Message(conversation_id=cid, dedupe_key=f"more:{i}", body=f"n{i}"))

    store.run(more)
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    with store.read() as s:
        s.connection()  # the session's own setup is not the read
        event.listen(store.engine, "before_cursor_execute", count)
        try:
            thread, _ = open_thread(s, cid, 30, "sam", utcnow())
        finally:
            event.remove(store.engine, "before_cursor_execute", count)
    assert len(thread.messages) == 30 and thread.earlier == 36
    assert len(seen) <= 6, seen


def test_a_heartbeat_creates_then_updates_the_agents_presence(store):
    """The first heartbeat of an agent creates their row (and the agent); later ones
    are one UPDATE, and what others see follows each."""
    cid = store.run(_conversation)
    store.run(heartbeat, "lee", cid)
    with store.read() as s:
        assert open_thread(s, cid, 30, "sam")[1] == [("lee", "viewing")]
    store.run(heartbeat, "lee", cid, "replying")
    with store.read() as s:
        assert open_thread(s, cid, 30, "sam")[1] == [("lee", "replying")]
        assert open_thread(s, cid, 30, "lee")[1] == []
    store.run(heartbeat, "lee", None)
    with store.read() as s:
        assert open_thread(s, cid, 30, "sam")[1] == []

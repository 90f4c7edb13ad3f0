"""Triage and list services on SQLite and PostgreSQL."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Conversation, Event, Message, Status
from inbox_tui.services import core, triage
from inbox_tui.services.conversations import (
    ConversationFilter,
    count_conversations,
    get_thread,
    list_conversations,
    view_filter,
)

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def seed(store, n=3, same_time=False):
    def work(s):
        ing = Ingestor(s)
        ids = []
        for i in range(n):
            r = ing.add(
                IncomingMessage(
                    source="t",
                    external_id=str(i),
                    message_id=f"<s{i}@x>",
                    subject=f"Subject {i}",
                    author_email=f"c{i}@acme.example",
                    author_name=f"Cust {i}",
                    sent_at=T0 if same_time else T0 + timedelta(minutes=i),
                    body=f"body {i}",
                )
            )
            ids.append(r.conversation_id)
        triage.ensure_agent(s, "sam", "Sam Carter")
        triage.ensure_agent(s, "ann", "Ann Lee")
        return ids

    return store.run(work)


def events(store, conv_id):
    with store.read() as s:
        return [
            (e.kind, json.loads(e.data))
            for e in s.exec(
                select(Event).where(Event.conversation_id == conv_id).order_by(Event.id)
            )
        ]


def test_tag_untag_assign_status_note_record_events(store):
    (cid,) = seed(store, 1)
    assert store.run(triage.tag, "sam", cid, "Bug")
    assert not store.run(triage.tag, "sam", cid, "bug")  # no-op, no event
    assert store.run(triage.assign, "sam", cid, "ann")
    assert not store.run(triage.assign, "sam", cid, "ann")
    assert store.run(triage.set_status, "ann", cid, Status.PENDING)
    note = store.run(triage.add_note, "ann", cid, "checked the logs")
    assert store.run(triage.untag, "ann", cid, "bug")
    assert not store.run(triage.untag, "ann", cid, "bug")
    assert store.run(triage.set_rating, None, cid, "good")
    kinds = events(store, cid)
    assert [k for k, _ in kinds] == [
        "received",
        "tagged",
        "assigned",
        "status_changed",
        "noted",
        "untagged",
        "rated",
    ]
    assert kinds[2][1] == {"from": None, "to": "ann"}
    assert kinds[3][1] == {"from": "open", "to": "pending"}
    with store.read() as s:
        conv = s.get(Conversation, cid)
        assert conv.status == "pending" and conv.rating == "good" and conv.message_count == 2
        assert s.get(Message, note).direction == "note"
        agents = {
            e.agent_id
            for e in s.exec(select(Event).where(Event.kind != "received"))
            if e.kind != "rated"
        }
        assert None not in agents


def test_snooze_and_wake(store):
    (cid,) = seed(store, 1)
    with pytest.raises(UserError, match="in the past"):
        store.run(triage.snooze, "sam", cid, T0 - timedelta(days=1))
    until = datetime.now(UTC) + timedelta(hours=2)
    assert store.run(triage.snooze, "sam", cid, until)
    assert store.run(triage.wake_snoozed, until - timedelta(minutes=1)) == []
    assert store.run(triage.wake_snoozed, until + timedelta(seconds=1)) == [cid]
    with store.read() as s:
        conv = s.get(Conversation, cid)
        assert conv.status == "open" and conv.snoozed_until is None


def test_customer_reply_wakes_snoozed_conversation(store):
    (cid,) = seed(store, 1)
    store.run(triage.snooze, "sam", cid, datetime.now(UTC) + timedelta(days=3))
    store.run(
        lambda s: Ingestor(s).add(
            IncomingMessage(
                source="t",
                external_id="r",
                message_id="<r@x>",
                references=["<s0@x>"],
                author_email="c0@acme.example",
                sent_at=datetime.now(UTC),
                body="any news?",
            )
        )
    )
    with store.read() as s:
        assert s.get(Conversation, cid).status == "open"
    assert events(store, cid)[-1][1]["reason"] == "customer replied"


def test_unknown_conversation_and_agent(store):
    seed(store, 1)
    with pytest.raises(core.NotFound):
        store.run(triage.tag, "sam", 99999, "bug")
    (cid,) = seed(store, 1)[:1]
    with pytest.raises(core.NotFound, match="no agent called"):
        store.run(triage.assign, "sam", cid, "ghost")
    with pytest.raises(UserError, match="empty"):
        store.run(triage.add_note, "sam", cid, "  \n ")


def test_keyset_paging_has_no_gaps_or_duplicates_with_equal_times(store):
    ids = seed(store, 25, same_time=True)
    seen = []
    cursor = None
    with store.read() as s:
        while True:
            page = list_conversations(s, after=cursor, limit=7)
            if not page:
                break
            seen.extend(r.id for r in page)
            cursor = page[-1].cursor
        assert count_conversations(s) == 25
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert seen == sorted(ids, reverse=True)


def test_views_and_filters(store):
    a, b, c = seed(store, 3)
    store.run(triage.assign, "sam", a, "sam")
    store.run(triage.tag, "sam", b, "billing")
    store.run(triage.close, "sam", c)
    with store.read() as s:
        ids = lambda flt: [r.id for r in list_conversations(s, flt)]  # noqa: E731
        assert ids(view_filter("mine", "sam")) == [a]
        assert ids(view_filter("unassigned", "sam")) == [b]
        assert ids(view_filter("closed", "sam")) == [c]
        assert ids(view_filter("tag:billing", "sam")) == [b]
        assert ids(ConversationFilter(without_tags=["billing"])) == [c, a]
        assert ids(ConversationFilter(from_contains="c2@acme")) == [c]
        assert ids(ConversationFilter(text=["body 1"])) == [b]
        thread = get_thread(s, b)
        assert thread.conversation.tags == ["billing"] and [m.body for m in thread.messages] == [
            "body 1"
        ]

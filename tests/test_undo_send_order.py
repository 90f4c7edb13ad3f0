"""A reply taken back with undo send leaves the conversation as if it had never been
queued (walk7: the conversation it was for stayed at the top of All open): its place in
the list, its summary, and every stat (replies sent, first response), the maintained
aggregates equal to a rebuild. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from inbox_tui.models import Conversation, utcnow
from inbox_tui.services import replies, undo_send
from inbox_tui.services.conversations import ConversationFilter, list_conversations
from tests.test_incidents import CONFIG
from tests.test_stats_send_time import agreed, customer, first_response_us

SUMMARY = "message_count, last_activity_at, last_customer_at, created_at, waiting_since, status"


def open_order(store) -> list[int]:
    with store.read() as s:
        return [r.id for r in list_conversations(s, ConversationFilter(statuses={"open"}))]


def summary(store, cid: int) -> tuple:
    with store.read() as s:
        row = s.execute(text(f"SELECT {SUMMARY} FROM conversation WHERE id = :c"), {"c": cid}).one()
    return tuple(row)


def test_a_reply_taken_back_leaves_list_order_summary_and_stats_as_they_were(store):
    start = utcnow()

    def setup(s):
        older = customer(s, "older", start - timedelta(hours=3))
        newer = customer(s, "newer", start - timedelta(hours=1))
        return older, newer

    older, newer = store.run(setup)
    order, before = open_order(store), summary(store, older)
    assert order == [newer, older]
    since, until = start - timedelta(days=1), start + timedelta(days=1)
    outbox = store.run(replies.queue_reply, "sam", older, "On it.", config=CONFIG, then_status=None)
    assert open_order(store) == [older, newer]  # the reply moved it up while it waited
    store.run(undo_send.cancel_outbox, "sam", outbox)
    assert open_order(store) == order
    assert summary(store, older) == before
    with store.read() as s:
        assert s.get(Conversation, older).message_count == 1
    report = agreed(store, since, until)  # aggregates equal a rebuild and a replay
    assert report.team.replies_sent == 0
    assert report.team.summary("first_response").count == 0
    assert first_response_us(store, older) is None


def test_take_back_with_a_status_change_and_the_tuis_path(store):
    """``take_back`` (the TUI's B) after a send that set pending: open again, in its
    place, with its customer's time as it was."""
    start = utcnow()

    def setup(s):
        return [
            customer(s, k, start - timedelta(hours=h)) for k, h in (("a", 5), ("b", 4), ("c", 2))
        ]

    a, b, c = store.run(setup)
    order, before = open_order(store), summary(store, a)
    store.run(replies.queue_reply, "sam", a, "Looking into it.", config=CONFIG)
    assert a not in open_order(store)  # pending while it waits
    taken = store.run(undo_send.take_back, "sam", None, config=CONFIG)
    assert taken.conversation_id == a and taken.text == "Looking into it."
    assert open_order(store) == order == [c, b, a]
    assert summary(store, a) == before

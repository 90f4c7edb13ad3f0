from datetime import UTC, datetime

from sqlmodel import func, select

from inbox_tui.demo import build_demo
from inbox_tui.models import Conversation, Event, Message, Status
from inbox_tui.services.conversations import list_conversations, view_filter

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday


def snapshot(store):
    with store.read() as s:
        return [
            (c.subject, c.status, c.message_count)
            for c in s.exec(select(Conversation).order_by(Conversation.id)).all()
        ]


def test_demo_is_deterministic_and_rich(sqlite_store, tmp_path):
    n = build_demo(sqlite_store, me="tester", now=NOW)
    assert 200 <= n <= 400
    with sqlite_store.read() as s:
        statuses = dict(
            s.exec(select(Conversation.status, func.count()).group_by(Conversation.status)).all()
        )
        assert all(statuses.get(st.value, 0) > 5 for st in Status)
        assert (
            s.exec(
                select(func.count()).select_from(Message).where(Message.direction == "note")
            ).one()
            > 5
        )
        kinds = set(s.exec(select(Event.kind).distinct()).all())
        assert {"received", "replied", "tagged", "assigned", "status_changed", "noted"} <= kinds
        assert len(list_conversations(s, view_filter("unassigned", "tester"))) >= 5
        channels = set(s.exec(select(Conversation.channel).distinct()).all())
        assert channels == {"email", "chat"}

    from inbox_tui.store import Store, sqlite_url

    other = Store(sqlite_url(tmp_path / "again.db"))
    build_demo(other, me="tester", now=NOW)
    assert snapshot(other) == snapshot(sqlite_store)
    other.close()

"""#17/#21: merge, then split, then undo twice puts everything back: the second undo
takes back the agent's merge (not the merge that undid the split), so the merged
conversation returns under its own number with its tags, assignee, notes and messages.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from inbox_tui.models import Conversation, Message
from inbox_tui.services import core, merge, triage, undo
from inbox_tui.services.conversations import get_conversation
from tests.test_merge import T0, add

ME = "mei"


def state(store, cid: int) -> tuple:
    """What the agent sees of a conversation: its row, tags and messages (with notes)."""
    with store.read() as s:
        conv = s.get(Conversation, cid)
        if conv is None:
            return ("gone",)
        view = get_conversation(s, cid)
        bodies = s.exec(
            select(Message.id, Message.body, Message.direction)
            .where(Message.conversation_id == cid)
            .order_by(col(Message.id))
        ).all()
        return (
            conv.subject,
            conv.status,
            conv.assignee_id,
            conv.contact_id,
            sorted(view.tags),
            [tuple(b) for b in bodies],
        )


def test_merge_split_undo_undo_brings_both_conversations_back(store):
    gone = add(store, "g1", 0, subject="Billing question")  # an older number, like #49
    kept = add(store, "k1", 5)
    add(store, "k2", 10, reply_to="k1")
    store.run(core.ensure_agent, ME)
    store.run(core.ensure_agent, "sam")
    store.run(triage.tag, ME, gone, "billing")
    store.run(triage.tag, ME, gone, "vip")
    store.run(triage.assign, ME, gone, "sam")
    store.run(triage.add_note, ME, gone, "Customer since 2019; be gentle.")
    before = {kept: state(store, kept), gone: state(store, gone)}

    store.run(merge.merge, ME, gone, kept)
    with store.read() as s:
        k2 = s.exec(select(Message.id).where(Message.external_id == "k2")).one()
    split = store.run(merge.split, ME, kept, k2)
    now = T0 + timedelta(days=400)  # the events carry the wall clock; the window is wide
    window = timedelta(days=100000)
    first = store.run(undo.undo_last, ME, window=window, now=now)
    assert "the split" in first.summary
    assert state(store, split.other) == ("gone",)
    second = store.run(undo.undo_last, ME, window=window, now=now)
    assert f"#{gone} is back" in second.summary
    assert state(store, gone) == before[gone]
    assert state(store, kept) == before[kept]
    # Nothing more of the two to take back: the split's number stays gone.
    assert state(store, split.other) == ("gone",)

"""Undo of triage changes through the event log (services/undo.py), on SQLite and
PostgreSQL: one batch per action (bulk included), only this agent's, within a window,
refused in one sentence when someone else changed the conversation since."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Conversation, Event, Status, utcnow
from inbox_tui.services import replies, triage, undo
from inbox_tui.services.conversations import get_conversation
from inbox_tui.store import Store


def seed(store: Store, n: int = 3, prefix: str = "u") -> list[int]:
    t0 = utcnow() - timedelta(hours=2)

    def work(s):
        ing = Ingestor(s)
        ids = [
            ing.add(
                IncomingMessage(
                    source="t",
                    external_id=f"{prefix}{i}",
                    message_id=f"<{prefix}{i}@x>",
                    subject=f"Printer {i}",
                    author_email=f"c{i}@acme.example",
                    author_name=f"Cust {i}",
                    sent_at=t0 + timedelta(minutes=i),
                    body=f"my printer {i} jams",
                )
            ).conversation_id
            for i in range(n)
        ]
        for who, name in (("sam", "Sam Carter"), ("ann", "Ann Lee")):
            triage.ensure_agent(s, who, name)
        return ids

    return store.run(work)


def row(store: Store, cid: int):
    with store.read() as s:
        return get_conversation(s, cid)


def state(store: Store, cid: int):
    r = row(store, cid)
    return (r.status, r.assignee, r.tags, r.snoozed_until)


def all_events(store: Store) -> list[Event]:
    with store.read() as s:
        return list(s.exec(select(Event).order_by(col(Event.id))).all())


def test_each_kind_of_change_is_put_back(store):
    a, b, c = seed(store)
    before = {cid: state(store, cid) for cid in (a, b, c)}
    store.run(triage.tag, "sam", a, "pricing")
    store.run(triage.assign, "sam", b, "ann")
    store.run(triage.close, "sam", c)
    assert row(store, c).status == "closed"

    done = store.run(undo.undo_last, "sam")
    assert done.conversations == [(c, "Printer 2")]
    assert done.summary == "Undone: closing “Printer 2”."
    assert state(store, c) == before[c]
    done = store.run(undo.undo_last, "sam")
    assert done.summary == "Undone: assigning “Printer 1” to ann."
    assert state(store, b) == before[b]
    store.run(undo.undo_last, "sam")
    assert state(store, a) == before[a]
    with pytest.raises(undo.NothingToUndo, match=r"^Nothing to undo: you made no tag"):
        store.run(undo.undo_last, "sam")


def test_untag_reassign_and_status_from_a_non_default_value(store):
    (a,) = seed(store, 1)
    store.run(triage.tag, "ann", a, "bug")
    store.run(triage.assign, "ann", a, "ann")
    store.run(triage.set_status, "ann", a, Status.PENDING)
    before = state(store, a)
    store.run(triage.untag, "sam", a, "bug")
    store.run(undo.undo_last, "sam")
    store.run(triage.assign, "sam", a, "sam")
    store.run(undo.undo_last, "sam")
    store.run(triage.set_status, "sam", a, Status.OPEN)
    store.run(undo.undo_last, "sam")
    assert state(store, a) == before == ("pending", "ann", ["bug"], None)


def test_snooze_and_resnooze_restore_the_previous_wake_time(store):
    (a,) = seed(store, 1)
    first = utcnow() + timedelta(hours=3)
    second = utcnow() + timedelta(days=2)
    store.run(triage.snooze, "sam", a, first)
    store.run(triage.snooze, "sam", a, second)
    store.run(undo.undo_last, "sam")
    assert state(store, a) == ("snoozed", None, [], first)
    store.run(undo.undo_last, "sam")
    assert state(store, a) == ("open", None, [], None)
    # Closing a snoozed conversation, undone, snoozes it again until the same time.
    store.run(triage.snooze, "sam", a, first)
    store.run(triage.close, "sam", a)
    store.run(undo.undo_last, "sam")
    assert state(store, a) == ("snoozed", None, [], first)


def test_a_snooze_that_would_have_ended_comes_back_open(store):
    (a,) = seed(store, 1)
    soon = utcnow() + timedelta(minutes=5)
    store.run(triage.snooze, "sam", a, soon)
    store.run(triage.close, "sam", a)
    store.run(undo.undo_last, "sam", now=soon + timedelta(minutes=1))
    assert state(store, a) == ("open", None, [], None)


def test_a_bulk_action_is_undone_as_one(store):
    ids = seed(store, 3)
    before = {cid: state(store, cid) for cid in ids}
    store.run(triage.tag, "sam", ids[0], "vip")  # an earlier, separate action

    def bulk_close(s):
        for cid in ids:
            triage.tag(s, "sam", cid, "billing")
            triage.close(s, "sam", cid)

    store.run(bulk_close)
    done = store.run(undo.undo_last, "sam")
    assert sorted(cid for cid, _ in done.conversations) == sorted(ids)
    assert done.summary.startswith(
        "Undone: tagging 3 conversations with billing and closing them (“Printer"
    )
    assert state(store, ids[0]) == ("open", None, ["vip"], None)
    assert [state(store, cid) for cid in ids[1:]] == [before[cid] for cid in ids[1:]]


def test_the_undo_is_recorded_in_the_log(store):
    (a,) = seed(store, 1)
    with store.read() as s:
        version = s.get(Conversation, a).version
    store.run(triage.close, "sam", a)
    closed = [e for e in all_events(store) if e.kind == "status_changed"]
    store.run(undo.undo_last, "sam")
    after = all_events(store)
    reverse = after[-1]
    assert (reverse.kind, json.loads(reverse.data)) == (
        "status_changed",
        {"from": "closed", "to": "open", "cause": "undo"},  # closing again is no new close
    )
    assert reverse.undoes == closed[-1].batch and reverse.batch != closed[-1].batch
    with store.read() as s:
        assert s.get(Conversation, a).version == version + 2  # the close and its undo


def test_only_this_agents_changes_and_only_triage(store):
    a, b, _ = seed(store)
    store.run(triage.tag, "ann", a, "angry")
    with pytest.raises(undo.NothingToUndo):
        store.run(undo.undo_last, "sam")
    store.run(triage.close, "sam", b)
    demo = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam"), demo=True)
    store.run(replies.queue_reply, "sam", a, "On it.", config=demo, then_status=None)
    # The reply is not a triage change: the close before it is what undo reverts.
    done = store.run(undo.undo_last, "sam")
    assert done.conversations == [(b, "Printer 1")]
    assert row(store, a).tags == ["angry"]


def test_changes_older_than_the_window_are_not_undone(store):
    (a,) = seed(store, 1)
    at = utcnow() - timedelta(minutes=11)
    store.run(triage.tag, "sam", a, "old", at=at)
    with pytest.raises(undo.NothingToUndo, match="in the last 10 minutes"):
        store.run(undo.undo_last, "sam")
    store.run(undo.undo_last, "sam", window=timedelta(minutes=15))
    assert row(store, a).tags == []


def test_refused_when_another_agent_acted_since(store):
    (a,) = seed(store, 1)
    store.run(triage.tag, "sam", a, "pricing")
    store.run(triage.add_note, "ann", a, "I'll take this one")
    before = (state(store, a), len(all_events(store)))
    with pytest.raises(undo.UndoConflict, match=r"^Ann Lee changed “Printer 0” at \d\d:\d\d UTC"):
        store.run(undo.undo_last, "sam")
    assert (state(store, a), len(all_events(store))) == before
    # On the agent's clock (walk6: a Berlin agent read "02:51 UTC").
    note_at = max(e.at for e in all_events(store) if e.kind == "noted")
    berlin = undo.agent_time(note_at, "Europe/Berlin", "%H:%M")
    assert berlin.endswith(("CET", "CEST"))
    with pytest.raises(undo.UndoConflict, match=f"at {berlin}, after your change"):
        store.run(undo.undo_last, "sam", zone="Europe/Berlin")
    # The reply conflict's sentence too (services/replies.changes_since).
    from inbox_tui.models import Conversation
    from inbox_tui.services.replies import changes_since

    with store.read() as s:
        version = s.get(Conversation, a).version
        said = changes_since(s, a, version - 1, "Europe/Berlin")
    assert said == [f"Ann Lee added a note at {berlin}"], said


def test_refused_when_the_conversation_moved_on_without_an_agent(store):
    (a,) = seed(store, 1)
    soon = utcnow() + timedelta(seconds=1)
    store.run(triage.snooze, "sam", a, soon)
    store.run(triage.wake_snoozed, soon)  # the snooze ended: no agent did that
    with pytest.raises(undo.UndoConflict, match=r"has changed since your change \(it is now open"):
        store.run(undo.undo_last, "sam")
    assert row(store, a).status == "open"


def test_a_bulk_undo_changes_nothing_when_one_conversation_conflicts(store):
    ids = seed(store, 3)

    def bulk(s):
        for cid in ids:
            triage.close(s, "sam", cid)

    store.run(bulk)
    store.run(triage.set_status, "ann", ids[1], Status.OPEN)
    with pytest.raises(undo.UndoConflict):
        store.run(undo.undo_last, "sam")
    assert [row(store, cid).status for cid in ids] == ["closed", "open", "closed"]


def test_two_sessions_undoing_at_once_never_undo_one_batch_twice(store):
    (a,) = seed(store, 1)
    for name in ("one", "two", "three"):
        store.run(triage.tag, "sam", a, name)
    sessions = [Store(store.url) for _ in range(4)]
    outcomes: list[str] = []

    def press_undo(session_store: Store) -> None:
        try:
            outcomes.append(session_store.run(undo.undo_last, "sam").batch)
        except undo.NothingToUndo:
            outcomes.append("nothing")

    threads = [threading.Thread(target=press_undo, args=(one,)) for one in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for other in sessions:
        other.close()
    undone = [o for o in outcomes if o != "nothing"]
    assert len(undone) == 3 and len(set(undone)) == 3, outcomes
    assert row(store, a).tags == []
    reverts = [e for e in all_events(store) if e.undoes]
    assert len(reverts) == 3


# -- property: random interleavings of two agents' changes and undos -------------------

CHANGES = ["tag x", "tag y", "untag x", "assign ann", "assign sam", "unassign", "open"]
CHANGES += ["pending", "close", "snooze 1", "snooze 2"]
OPS = st.one_of(
    st.tuples(st.sampled_from(["sam", "ann"]), st.sampled_from(CHANGES), st.integers(0, 1)),
    st.just(("sam", "undo", 0)),
)


def apply_op(s, who: str, op: str, cid: int, now, names: dict[str, str]) -> bool:
    verb, _, arg = op.partition(" ")
    arg = names.get(arg, arg)
    for name in names.values():
        triage.ensure_agent(s, name)
    if verb == "tag":
        return triage.tag(s, who, cid, arg)
    if verb == "untag":
        return triage.untag(s, who, cid, arg)
    if verb == "assign":
        return triage.assign(s, who, cid, arg)
    if verb == "unassign":
        return triage.assign(s, who, cid, None)
    if verb == "snooze":
        return triage.snooze(s, who, cid, now + timedelta(hours=int(arg)))
    status = {"open": Status.OPEN, "pending": Status.PENDING, "close": Status.CLOSED}[verb]
    return triage.set_status(s, who, cid, status)


_EXAMPLE = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=1, max_size=16))
def test_undo_puts_back_exactly_what_this_agent_changed(sqlite_store, ops):
    """A model of undo: this agent's changes form a stack; undo pops the newest and the
    conversation is as it was before it, unless the other agent changed that
    conversation since (then it is refused and nothing changes)."""
    store = sqlite_store  # shared by the examples: each has its own agents and conversations
    run = next(_EXAMPLE)
    ids = seed(store, 2, prefix=f"p{run}-")
    me, other = f"sam{run}", f"ann{run}"
    now = utcnow()
    stack: list[tuple[int, tuple, int]] = []  # sam's changes: (conversation, state before, when)
    ann_changed: dict[int, int] = {}  # conversation -> when the other agent last changed it
    for when, (who, op, n) in enumerate(ops):
        cid = ids[n]
        if op == "undo":
            if who != "sam":
                continue
            who = me
            before_all = {c: state(store, c) for c in ids}
            if not stack:
                with pytest.raises(undo.NothingToUndo):
                    store.run(undo.undo_last, me)
                continue
            target, was, at = stack[-1]
            conflicted = ann_changed.get(target, -1) > at
            if conflicted:
                event("refused")
                with pytest.raises(undo.UndoConflict):
                    store.run(undo.undo_last, me)
                assert {c: state(store, c) for c in ids} == before_all
                continue
            done = store.run(undo.undo_last, me)
            event("undone")
            stack.pop()
            assert [c for c, _ in done.conversations] == [target]
            assert state(store, target) == was
            continue
        before = state(store, cid)
        actor = me if who == "sam" else other
        changed = store.run(apply_op, actor, op, cid, now, {"sam": me, "ann": other})
        if changed and who == "sam":
            stack.append((cid, before, when))
        elif changed:
            ann_changed[cid] = when

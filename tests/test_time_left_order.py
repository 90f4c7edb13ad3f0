"""The list sorted by time left (#21 acceptance: "see which conversations are overdue
and sort by it"): every conversation of the view, those waiting for a reply most
overdue first (their due time under the targets: tags, a source, a rule's own target,
working hours), then those waiting with no target, then the rest by newest activity.
Paged by keyset in small batches it must equal the order computed from every due time
at once (``sla.waiting``, the definition the list's marks use); a far jump (``G``)
lands where that order says. SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from inbox_tui.models import Status, utcnow
from inbox_tui.services import due_order, sla, triage
from inbox_tui.services.conversations import (
    ConversationFilter,
    by_time_left,
    count_conversations,
    list_conversations,
    row_cursor_at,
    view_filter,
)
from inbox_tui.services.listing import ConversationRow
from tests.test_sla import BERLIN, add

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
POLICIES = {
    "clock": {
        "first_response": "4h",
        "next_response": "8h",
        "tags": {"vip": {"first_response": "1h"}, "slow": {"first_response": "3d"}},
    },
    # Working hours, and no next-response target: answered-then-wrote-again waits with
    # no target (after every due time).
    "working": {
        "first_response": "4h",
        "tags": {"vip": {"first_response": "30m"}},
    },
}


def _store(store, rng: random.Random) -> None:
    now = utcnow().replace(microsecond=0)
    for i in range(60):
        at = now - timedelta(minutes=rng.randrange(0, 6 * 24 * 60))
        if i % 9 == 0:
            at = now - timedelta(hours=5)  # ties on the waiting time
        cid = add(store, f"c{i}", at)
        kind = rng.random()
        if kind < 0.2:
            store.run(triage.tag, "sam", cid, "vip")
        elif kind < 0.3:
            store.run(triage.tag, "sam", cid, "slow")
        elif kind < 0.4:  # a rule's own target
            store.run(sla.set_targets, cid, timedelta(minutes=rng.choice([20, 600])), None)
        roll = rng.random()
        if roll < 0.2:  # answered: not waiting
            add(store, f"r{i}", at + timedelta(minutes=30), reply_to=f"c{i}", agent="sam")
        elif roll < 0.3:  # answered, then the customer wrote again: the next response
            add(store, f"r{i}", at + timedelta(minutes=30), reply_to=f"c{i}", agent="sam")
            add(store, f"d{i}", at + timedelta(minutes=90), reply_to=f"r{i}")
        elif roll < 0.35:
            store.run(triage.set_status, "sam", cid, Status.PENDING)
        elif roll < 0.4:
            store.run(triage.set_status, "sam", cid, Status.CLOSED)


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def expected_order(s, policy, flt: ConversationFilter) -> list[int]:
    """Every row of ``flt`` at once, sorted by the definition (module docstring)."""
    rows = list_conversations(s, ConversationFilter(**{**flt.__dict__, "order": None}), limit=10**6)
    due = {d.conversation_id: d for d in sla.waiting(s, policy)}
    waiting_since = {r.id: _aware(r.waiting_since) for r in _waiting_rows(s, flt)}

    def key(r: ConversationRow):
        d = due.get(r.id)
        if d is not None and d.due_at is not None:  # as inbox-tui sla: then waiting longest
            return (0, d.due_at, d.waiting_since, r.id)
        if r.id in waiting_since:
            return (1, waiting_since[r.id], EPOCH, r.id)
        return (2, EPOCH + timedelta(seconds=-r.last_activity_at.timestamp()), EPOCH, r.id)

    return [r.id for r in sorted(rows, key=key)]


def _waiting_rows(s, flt: ConversationFilter) -> list[ConversationRow]:
    from inbox_tui.services.conversations import WAITING

    return list_conversations(
        s, ConversationFilter(**{**flt.__dict__, "order": WAITING}), limit=10**6
    )


@pytest.mark.parametrize("which", sorted(POLICIES))
def test_paged_in_small_batches_it_is_the_order_of_every_due_time(store, which, monkeypatch):
    monkeypatch.setattr(due_order, "BATCH", 4)  # the walk stops and goes on many times
    _store(store, random.Random(f"due-{which}"))
    policy = sla.SlaPolicy.from_config(POLICIES[which], BERLIN if which == "working" else None)
    assert policy is not None
    for view in ("all", "open", "needs-reply"):
        flt = by_time_left(view_filter(view, "sam"))
        flt.sla_policy = policy
        with store.read() as s:
            expected = expected_order(s, policy, flt)
            assert count_conversations(s, flt) == len(expected)
            # Those with a due time come in the order of `inbox-tui sla` (sla.waiting).
            with_due = [d.conversation_id for d in sla.waiting(s, policy) if d.due_at]
            shown = set(expected)
            assert expected[: len(set(with_due) & shown)] == [c for c in with_due if c in shown]
            if view == "needs-reply":  # a sort of the view: the same conversations
                assert sorted(expected) == sorted(r.id for r in _waiting_rows(s, flt))
            seen, cursor = [], None
            while True:
                page = list_conversations(s, flt, after=cursor, limit=7)
                if not page:
                    break
                seen += [r.id for r in page]
                cursor = page[-1].cursor
            assert seen == expected, view
            # A far jump (G) finds its anchor, then pages on by keyset.
            for index in (0, 13, len(expected) // 2, len(expected) - 3):
                anchor = row_cursor_at(s, flt, index)
                after = list_conversations(s, flt, after=anchor, limit=5)
                assert [r.id for r in after] == expected[index + 1 : index + 6], (view, index)


def test_most_overdue_first_and_the_rows_carry_their_time_left(store):
    now = utcnow().replace(microsecond=0)
    late = add(store, "late", now - timedelta(hours=6))  # 2h overdue on 4h
    soon = add(store, "soon", now - timedelta(hours=3))  # 1h left
    vip = add(store, "vip", now - timedelta(hours=2))  # 1h target: 1h overdue
    store.run(triage.tag, "sam", vip, "vip")
    done = add(store, "done", now - timedelta(minutes=5))
    add(store, "r-done", now - timedelta(minutes=1), reply_to="done", agent="sam")
    flt = by_time_left(view_filter("open", "sam"))
    flt.sla_policy = sla.SlaPolicy.from_config(POLICIES["clock"])
    with store.read() as s:
        rows = list_conversations(s, flt)
        due = sla.due_for(s, flt.sla_policy, [late, vip, soon, done])
    assert [r.id for r in rows] == [late, vip, soon, done]
    assert [r.sla_due_at for r in rows] == [
        due[late].due_at,
        due[vip].due_at,
        due[soon].due_at,
        None,
    ]
    assert rows[0].sla_left(now) == -timedelta(hours=2)  # the list's mark: !2h


def test_a_target_of_its_own_is_found_wherever_its_conversation_waits(store, monkeypatch):
    """The walk stops early and starts late by the configured targets; a rule's own
    target may be shorter (a conversation that began waiting later but is due first)
    or longer (one that began long ago, due after a later page's cursor)."""
    monkeypatch.setattr(due_order, "BATCH", 4)
    now = utcnow().replace(microsecond=0)
    plain = [
        add(store, f"a{i}", now - timedelta(hours=10) + timedelta(minutes=i)) for i in range(10)
    ]
    short = add(store, "short", now - timedelta(hours=8))  # due in 5m: first of all
    store.run(sla.set_targets, short, timedelta(minutes=5), None)
    long = add(store, "long", now - timedelta(hours=20))  # due 4h ago, after the a's
    store.run(sla.set_targets, long, timedelta(hours=16), None)
    flt = by_time_left(view_filter("open", "sam"))
    flt.sla_policy = sla.SlaPolicy.from_config({"first_response": "4h", "next_response": "8h"})
    with store.read() as s:
        expected = expected_order(s, flt.sla_policy, flt)
        assert expected[0] == short and expected[11] == long
        assert expected[1:11] == plain
        seen, cursor = [], None
        while page := list_conversations(s, flt, after=cursor, limit=3):
            seen += [r.id for r in page]
            cursor = page[-1].cursor
    assert seen == expected

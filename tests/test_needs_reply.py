"""The view "Needs reply, oldest first" (#21): conversations not closed or snoozed whose
latest message that is not a note is the customer's, waiting longest first, paged by
keyset on (waiting since, id), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from inbox_tui.models import Status, utcnow
from inbox_tui.services import triage
from inbox_tui.services.conversations import (
    count_conversations,
    list_conversations,
    row_cursor_at,
    view_filter,
)
from inbox_tui.services.views import list_views, resolve_filter, view_label
from tests.test_sla import add


def _inbox(store):
    """30 waiting conversations (ties at equal times included), plus some that must
    not show. Returns (store, the expected order of ids, the ids left out)."""
    now = utcnow().replace(microsecond=0)
    h = timedelta(hours=1)
    waiting: list[tuple] = []
    for i in range(30):
        since = now - (i % 10) * h - timedelta(minutes=1)  # three at each time
        cid = add(store, f"w{i}", since)
        waiting.append((since, cid))
    # Answered, then the customer wrote twice: waits since the first unanswered one.
    again = add(store, "again", now - 40 * h)
    add(store, "r-again", now - 39 * h, reply_to="again", agent="sam")
    add(store, "again2", now - 30 * h, reply_to="r-again")
    add(store, "again3", now - 2 * h, reply_to="again2")
    waiting.append((now - 30 * h, again))
    # A note after the customer's message is no reply: still waiting.
    noted = add(store, "noted", now - 20 * h)
    store.run(triage.add_note, "sam", noted, "looking into it", at=now - h)
    waiting.append((now - 20 * h, noted))
    # Pending is not closed or snoozed: it shows.
    pend = add(store, "pend", now - 25 * h)
    store.run(triage.set_status, "sam", pend, Status.PENDING)
    waiting.append((now - 25 * h, pend))
    left_out = [
        add(store, "answered", now - 50 * h),
        add(store, "closed", now - 60 * h),
        add(store, "snoozed", now - 70 * h),
    ]
    add(store, "r-answered", now - 49 * h, reply_to="answered", agent="sam")
    store.run(triage.set_status, "sam", left_out[1], Status.CLOSED)
    store.run(triage.snooze, "sam", left_out[2], now + 24 * h)
    waiting.sort()
    return [cid for _, cid in waiting], left_out


def test_oldest_waiting_first_paged_by_keyset(store):
    expected, left_out = _inbox(store)
    flt = view_filter("needs-reply", "sam")
    with store.read() as s:
        assert count_conversations(s, flt) == len(expected)
        seen, cursor = [], None
        while True:
            page = list_conversations(s, flt, after=cursor, limit=7)
            if not page:
                break
            seen += [r.id for r in page]
            cursor = page[-1].cursor
        assert seen == expected
        assert not set(left_out) & set(seen)
        # A far jump finds its anchor by offset, then pages on by keyset.
        anchor = row_cursor_at(s, flt, 13)
        assert [r.id for r in list_conversations(s, flt, after=anchor, limit=5)] == expected[14:19]


def test_listed_in_the_views_and_narrowed_by_a_search(store):
    expected, _ = _inbox(store)
    with store.read() as s:
        views = list_views(s, "sam")
        assert views.counts["needs-reply"] == len(expected)
        flt = resolve_filter("needs-reply", "noted", "sam")
        # Waiting longest: "again" (30h), "pend" (25h), then "noted" (20h).
        assert [r.id for r in list_conversations(s, flt)] == [expected[2]]
    assert view_label("needs-reply") == "Needs reply, oldest first"

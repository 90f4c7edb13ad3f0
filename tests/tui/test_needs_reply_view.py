"""The "Needs reply, oldest first" view in the TUI (#21): chosen from the views panel
(v), its rows are the waiting conversations, longest waiting first, and paging down
past the first page (PgDn, then j) keeps that order."""

from __future__ import annotations

from datetime import timedelta

from inbox_tui.services.conversations import list_conversations, view_filter
from inbox_tui.tui.widgets.conversation_list import PAGE
from tests.test_sla import add
from tests.tui.conftest import ME, NOW, make_app, settle
from tests.tui.test_core_loop_views_help import _pick_view


async def test_needs_reply_pages_in_oldest_waiting_order(demo_store):
    # More waiting conversations than a page, their times interleaved with the demo's;
    # each pair shares a time, so the id decides between them.
    added = [
        add(demo_store, f"wait{i}", NOW - timedelta(hours=3 * (i - i % 2) + 1)) for i in range(130)
    ]
    with demo_store.read() as s:
        # One query, no paging: what the screen must show, in order.
        expected = list_conversations(s, view_filter("needs-reply", ME), limit=10_000)
    ids = [r.id for r in expected]
    assert len(ids) > PAGE + 20 and set(added) <= set(ids)
    since = [r.waiting_since for r in expected]
    assert since == sorted(since)  # oldest first
    # The ones added here, oldest first: the higher i, the longer it waits.
    mine = [i for i in ids if i in set(added)]
    assert mine == sorted(added, key=lambda c: (-(added.index(c) // 2), c))

    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await _pick_view(pilot, app, "needs-reply")
        lst = app.main.query_one("#list")
        assert lst.total == len(ids)
        for _ in range(12):
            if lst.cursor > PAGE + 5:
                break
            await pilot.press("pagedown")
            await settle(pilot)
        for _ in range(3):
            await pilot.press("j")
            await settle(pilot)
        assert lst.cursor > PAGE
        shown = []
        for i in range(lst.cursor + 1):
            row = lst.row_at(i)
            if row is None:  # a page evicted or not yet read: let it load
                await settle(pilot)
                row = lst.row_at(i)
            assert row is not None, i
            shown.append(row.id)
        assert shown == ids[: lst.cursor + 1]
        assert lst.current_row().id == ids[lst.cursor]

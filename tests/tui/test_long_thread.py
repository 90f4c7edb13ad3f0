"""A long thread opens at its end with a bounded number of messages; older ones load on
request (o, or a click on the line above the first shown), as Gmail collapses them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Conversation
from inbox_tui.services.conversations import get_thread
from inbox_tui.tui.widgets.thread_view import WINDOW, ThreadView
from tests.tui.conftest import make_app
from tests.tui.test_triage_keys import settle

N = 2 * WINDOW + 7


def long_thread(store) -> int:
    t0 = datetime(2026, 11, 17, 8, 0, tzinfo=UTC)
    msgs = [
        IncomingMessage(
            source="test",
            external_id=f"long-{i}",
            message_id=f"<long-{i}@example.com>",
            references=[f"<long-{i - 1}@example.com>"] if i else [],
            subject="A very long thread",
            author_email="kim@example.com",
            author_name="Kim",
            sent_at=t0 + timedelta(minutes=i),
            body=f"message number {i}",
        )
        for i in range(N)
    ]
    store.run(lambda s: Ingestor(s).add_all(msgs))
    with store.read() as s:
        return s.exec(
            select(Conversation.id).where(Conversation.subject == "A very long thread")
        ).one()


def earlier_lines(view: ThreadView) -> list[str]:
    """The "▲ N earlier messages" line(s) of the thread as shown, up to the first "·"."""
    return [
        line.split(" · ")[0].strip()
        for line in view.plain_text().splitlines()
        if "earlier messages" in line
    ]


def kind_on_screen(view: ThreadView, y: int) -> str | None:
    """What the thread view shows on its ``y``-th screen line ("earlier", …)."""
    found = view.block_at(int(view.scroll_y) + y)
    return None if found is None else found[0]


def test_get_thread_newest_keeps_order_and_counts_the_rest(demo_store):
    cid = long_thread(demo_store)
    with demo_store.read() as s:
        whole = get_thread(s, cid)
        tail = get_thread(s, cid, newest=WINDOW)
    assert [m.body for m in whole.messages] == [f"message number {i}" for i in range(N)]
    assert [m.body for m in tail.messages] == [m.body for m in whole.messages[-WINDOW:]]
    assert (whole.earlier, tail.earlier) == (0, N - WINDOW)


async def test_long_thread_opens_at_its_end_and_loads_older_on_o_and_click(demo_store):
    cid = long_thread(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"very long", "enter")
        await settle(pilot)
        assert app.main.conv_list.current_row().id == cid
        await pilot.press("enter")
        await settle(pilot)
        thread = app.main.thread_view.thread
        assert [m.body for m in thread.messages][-1] == f"message number {N - 1}"
        assert len(thread.messages) == WINDOW and thread.earlier == N - WINDOW
        assert earlier_lines(app.main.thread_view) == [f"▲ {N - WINDOW} earlier messages"]
        await pilot.press("o")
        await settle(pilot)
        assert len(app.main.thread_view.thread.messages) == 2 * WINDOW
        view = app.main.thread_view
        y = next(y for y in range(view.size.height) if kind_on_screen(view, y) == "earlier")
        await pilot.click(ThreadView, offset=(4, y))
        await settle(pilot)
        thread = app.main.thread_view.thread
        assert [m.body for m in thread.messages] == [f"message number {i}" for i in range(N)]
        assert thread.earlier == 0 and not earlier_lines(app.main.thread_view)
        await pilot.press("o")  # nothing older: no change, no error
        await settle(pilot)
        assert len(app.main.thread_view.thread.messages) == N

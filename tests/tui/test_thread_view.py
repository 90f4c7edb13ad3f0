"""The thread view is one Line-API widget: a message is laid out only when the reader
gets near it, and what the reader sees by scrolling is exactly the whole thread, once,
in order, at any width."""

from __future__ import annotations

from sqlmodel import select

from inbox_tui.models import Conversation
from tests.tui.conftest import make_app, settle
from tests.tui.test_long_thread import N, long_thread


async def read_by_paging(pilot, view) -> list[str]:
    """Every line of the thread as the screen shows it, paging down from the top."""
    seen: dict[int, str] = {}
    await pilot.press("g")
    while True:
        top = int(view.scroll_y)
        for y in range(view.scrollable_content_region.height):
            seen.setdefault(top + y, view.render_line(y).text.rstrip(" "))
        await pilot.press("pagedown")
        await pilot.pause()
        if int(view.scroll_y) == top:
            break
    last = max(i for i, text in seen.items() if text.strip())
    return [seen[i] for i in range(last + 1)]


async def test_paging_shows_every_line_once_and_G_reaches_the_newest(demo_store):
    cid = long_thread(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("o", "o")  # every message of the thread
        await settle(pilot)
        view = app.main.thread_view
        assert len(view.thread.messages) == N and view.thread.earlier == 0
        assert view.laid_out < N // 2  # at its top: only the first screens are laid out
        shown = await read_by_paging(pilot, view)
        assert shown == view.plain_text().splitlines()
        bodies = [line.strip("▎ ") for line in shown if "message number" in line]
        assert bodies == [f"message number {i}" for i in range(N)]
        await pilot.press("g", "G")
        await pilot.pause()
        on_screen = [view.render_line(y).text for y in range(view.size.height)]
        assert any(f"message number {N - 1}" in line for line in on_screen)


async def test_a_narrower_terminal_rewraps_the_thread(demo_store):
    with demo_store.read() as s:
        busy = s.exec(select(Conversation).order_by(Conversation.message_count.desc())).first()
    app = make_app(demo_store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.main.open_conversation(busy.id)
        await settle(pilot)
        view = app.main.thread_view
        wide = view.plain_text()
        await pilot.resize_terminal(70, 24)
        await settle(pilot)
        width = view.scrollable_content_region.width
        narrow = view.plain_text()
        assert max(len(line) for line in narrow.splitlines()) <= width
        assert len(narrow.splitlines()) > len(wide.splitlines())

        def words(text: str) -> list[str]:
            return [w for w in text.replace("▎", " ").replace("║", " ").split()]

        assert words(narrow) == words(wide)  # the same text, only wrapped differently


async def test_reveal_latest_puts_the_customers_last_message_at_the_top(demo_store):
    cid = long_thread(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        view = app.main.thread_view
        assert view.scroll_y == 0
        view.reveal_latest(cid)  # what the composer asks when it opens under the thread
        await settle(pilot)
        line = view.line_of(view.thread.messages[-1].id)
        # At the top of the view, or as near as the end of the thread lets it.
        assert view.scroll_y == min(line, view.max_scroll_y) > 0
        shown = [view.render_line(y).text for y in range(view.size.height)]
        assert shown[line - int(view.scroll_y)].startswith("▎ Kim <kim@example.com>")
        assert f"message number {N - 1}" in shown[line - int(view.scroll_y) + 1]

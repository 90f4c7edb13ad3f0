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


def _held_reads(monkeypatch):
    """Thread reads that wait until the returned event is set (the read in flight)."""
    import threading

    from inbox_tui.tui.screens import reading as main

    gate = threading.Event()
    real = main.thread_of

    def held(*args, **kwargs):
        assert gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(main, "thread_of", held)
    return gate


async def test_enter_shows_the_thread_when_it_has_arrived_in_one_switch(demo_store, monkeypatch):
    """Enter on the list: the screen switches to the thread when its messages are
    there (one layout and paint), never to the previously read thread first."""
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        first = app.main.conv_list.current_row()
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.thread_view.thread.conversation.id == first.id
        await pilot.press("escape", "j")
        await settle(pilot)
        second = app.main.conv_list.current_row()
        assert second.id != first.id
        gate = _held_reads(monkeypatch)
        await pilot.press("enter")
        await pilot.pause()
        assert not app.main.has_class("-reading")  # the read is in flight: still the list
        assert app.main.conv_list.has_focus
        gate.set()
        await settle(pilot)
        assert app.main.has_class("-reading")
        assert app.main.thread_view.has_focus
        assert app.main.thread_view.thread.conversation.id == second.id
        assert second.subject[:20] in app.main.thread_view.plain_text()


async def test_escape_before_the_thread_arrives_stays_in_the_list(demo_store, monkeypatch):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        gate = _held_reads(monkeypatch)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape")
        gate.set()
        await settle(pilot)
        assert not app.main.has_class("-reading")
        assert app.main.open_id is None  # presence no longer says "viewing"
        assert app.main.conv_list.has_focus
        await pilot.press("enter")  # and Enter still opens it
        await settle(pilot)
        assert app.main.has_class("-reading")


async def test_a_failed_read_leaves_the_list_and_says_why(demo_store, monkeypatch):
    from inbox_tui.errors import UserError
    from inbox_tui.tui.screens import reading as main

    def broken(*args, **kwargs):
        raise UserError("The store is locked.")

    monkeypatch.setattr(main, "thread_of", broken)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert not app.main.has_class("-reading")
        assert app.main.conv_list.has_focus
        assert any("locked" in str(n.message) for n in app._notifications)
        monkeypatch.undo()
        await pilot.press("escape")  # nothing pending: Esc is the list's own again
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.has_class("-reading")


async def test_opening_and_leaving_paint_no_frame_of_the_old_arrangement(demo_store):
    """Enter and Esc at 100 columns: every frame painted shows the widget that has the
    focus (the thread after Enter, the list after Esc). The focus moves at once (keys
    typed ahead land there), and the screen used to paint the old arrangement in one
    frame and lay out the new one in the next (a frame of the list with the thread
    focused, then a second layout and paint)."""
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.main
        frames: list[tuple[str, bool]] = []
        painted = screen._compositor_refresh

        def recorded() -> None:
            focused = screen.focused
            shown = focused is not None and focused in screen._compositor.visible_widgets
            frames.append((type(focused).__name__, shown))
            painted()

        screen._compositor_refresh = recorded  # type: ignore[method-assign]
        for key in ("enter", "escape", "j", "enter", "escape"):
            await pilot.press(key)
            await settle(pilot)
        assert ("ThreadView", True) in frames and ("ConversationList", True) in frames
        assert all(shown for _, shown in frames), frames


def test_b_is_offered_on_ones_own_waiting_reply_only():
    """walk4: another agent's scheduled reply said "(B takes it back)" to everyone, and B
    then said there was no reply of theirs waiting."""
    from datetime import UTC, datetime, timedelta

    from inbox_tui.services.conversations import ThreadMessage
    from inbox_tui.tui.widgets.thread_view import message_text

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    reply = ThreadMessage(
        id=1, direction="out", author_name="Sam", author_email=None, agent="sam",
        sent_at=now, subject="Re: x", body="Tomorrow, then.", message_id=None,
        attachments=[], to=[], cc=[], waiting_until=now + timedelta(days=1),
    )  # fmt: skip
    assert "(B takes it back)" in message_text(reply, False, now, me="sam").plain
    theirs = message_text(reply, False, now, me="ann").plain
    assert "scheduled: goes out" in theirs and "B takes it back" not in theirs
    soon = ThreadMessage(**{**reply.__dict__, "waiting_until": now + timedelta(seconds=8)})
    assert "waiting to go out (B takes it back)" in message_text(soon, False, now, me="sam").plain
    assert "B takes it back" not in message_text(soon, False, now, me="ann").plain


async def test_opening_and_leaving_are_one_paint_each(demo_store):
    """Enter shows the thread in one paint, and Esc the list in one: the focus change
    and the scrollbars sized by the layout used to ask for a second paint a frame later
    (each ~1 ms of CPU in a later frame, which made an open cost two frames)."""
    for size in ((120, 40), (100, 30)):
        app = make_app(demo_store)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            frames = _record_paints(app.main)
            for key in ("enter", "escape", "j", "enter", "escape"):
                frames.clear()
                await pilot.press(key)
                await settle(pilot)
                if key in ("enter", "escape"):
                    want = "ThreadView" if key == "enter" else "ConversationList"
                    assert frames == [want], (size, key, frames)


def _record_paints(screen) -> list[str]:  # type: ignore[no-untyped-def]
    """The focused widget's class at each paint of ``screen`` from now on."""
    frames: list[str] = []
    painted = screen._compositor_refresh

    def recorded() -> None:
        frames.append(type(screen.focused).__name__)
        painted()

    screen._compositor_refresh = recorded
    return frames

"""Keys typed right behind Enter on the list are for the thread it opens, not for the
list behind it: the thread is shown when its messages have arrived (reading.py), and
meanwhile ``Enter j r`` typed at once moved the list's cursor and opened a reply to the
conversation below the one being opened. They wait for the thread, as keys wait for the
list's rows. The thread's read is slowed as on a loaded machine."""

from __future__ import annotations

import time

from inbox_tui.tui.screens import reading
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_cursor_keeps import ids_shown
from tests.tui.test_pane_waits import wait_for

SIZE = (100, 30)


def slow_threads(monkeypatch, seconds: float = 0.5) -> None:
    original = reading.thread_of

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(reading, "thread_of", slow)


async def test_enter_j_r_at_once_replies_to_the_conversation_opened(demo_store, monkeypatch):
    slow_threads(monkeypatch)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        opened, below = ids_shown(app)[:2]
        await burst(pilot, "enter", "j", "r")
        await wait_for(pilot, lambda: app.screen is not app.main)
        assert app.main.open_id == opened and app.main.has_class("-reading")
        title = app.screen.title_text
        assert f"#{opened}" in title and f"#{below}" not in title, title


async def test_enter_then_j_at_once_scrolls_the_thread_not_the_list(demo_store, monkeypatch):
    slow_threads(monkeypatch)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        opened = ids_shown(app)[0]
        await burst(pilot, "enter", "j", "j")
        await wait_for(pilot, lambda: app.main.has_class("-reading"))
        await settle(pilot)
        assert app.main.open_id == opened
        assert app.main.conv_list.current_row().id == opened  # the list stayed on it
        await pilot.press("escape")
        await settle(pilot)
        assert app.main.conv_list.current_row().id == opened


async def test_at_160_columns_a_reply_begun_before_the_preview_came_is_checked_against_its_own_conversation(
    demo_store, monkeypatch
):
    """At 160 columns j moves the preview to the next conversation while its thread is
    read; r then took the version of the thread still shown (the row left) as what the
    agent had seen, so the send compared another conversation's version: a note another
    agent wrote on this one while the reply was typed went unsaid (or a collision was
    said for changes the agent had seen, when the numbers lie the other way)."""
    from inbox_tui.models import Conversation
    from inbox_tui.services import triage

    def version(cid: int) -> int:
        with demo_store.read() as s:
            return s.get(Conversation, cid).version

    app = make_app(demo_store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        top, below = ids_shown(app)[:2]
        while version(top) <= version(below) + 2:  # the previewed one changed more often
            demo_store.run(triage.add_note, ME, top, "Checked the logs.")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert ids_shown(app)[:2] == [top, below] and app.main.open_id == top
        slow_threads(monkeypatch)
        await pilot.press("j")
        assert app.main.open_id == below and app.main.thread_view.thread.conversation.id == top
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"On it.")
        demo_store.run(triage.add_note, "priya", below, "I am on this one")
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        title = getattr(app.screen, "title_text", "")
        assert "Someone else acted" in title and "priya" in title.lower(), title

"""walk5: after an undo the cursor is on the conversation the undo brought back. A snooze
undone put its row back above the cursor, and the next ``z`` snoozed the neighbour."""

from __future__ import annotations

from inbox_tui.models import Conversation
from tests.tui.conftest import make_app, settle
from tests.tui.test_cursor_keeps import SIZE, down, ids_shown, on_row


async def test_undoing_a_pending_puts_the_cursor_back_on_its_conversation(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        acted = await down(pilot, 4)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"Pending", "enter")
        await settle(pilot, 5)
        assert acted not in ids_shown(app) and on_row(app) != acted
        await pilot.press("U")
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert s.get(Conversation, acted).status == "open"
        assert acted in ids_shown(app)
        assert on_row(app) == acted


async def test_a_key_typed_with_the_undo_acts_on_the_conversation_brought_back(demo_store):
    """``U s`` typed at once: the Status picker opened on the row under the cursor while
    the undo was on its way (the neighbour), not on the conversation it brought back.
    Keys wait for the list read after any write, the undo's too."""
    from tests.tui.test_core_loop_day3 import burst

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        acted = await down(pilot, 4)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"Pending", "enter")
        await settle(pilot, 5)
        assert acted not in ids_shown(app) and on_row(app) != acted
        await burst(pilot, "U", "s")
        await settle(pilot, 5)
        assert app.screen is not app.main
        title = app.screen.title_text
        assert f"#{acted}" in title, title


async def test_a_move_typed_with_the_undo_moves_from_the_conversation_brought_back(demo_store):
    """walk7: ``i`` on a conversation, then ``U j`` at once: the cursor went back to the
    conversation the undo brought back after j had moved it, so j was lost (and ``U j i``
    assigned the row below but left the highlight above it)."""
    from tests.tui.test_core_loop_day3 import burst

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        acted = await down(pilot, 4)
        shown = ids_shown(app)
        below = shown[shown.index(acted) + 1]
        await pilot.press("i")
        await settle(pilot, 5)
        assert on_row(app) == acted
        await burst(pilot, "U", "j")
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert s.get(Conversation, acted).assignee_id is None
        assert on_row(app) == below

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

"""A search that cannot run shows nothing and says why (walkthrough: "sla:due<2h" with no
response targets set left the Slack chats that "sla:" had matched on screen, under the
title "search: sla:")."""

from __future__ import annotations

from inbox_tui.tui.widgets.conversation_list import ConversationList
from tests.tui.conftest import make_app, settle

SIZE = (100, 30)


async def test_a_search_that_cannot_run_empties_the_list_and_ends_the_selection(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lst = app.screen.query_one(ConversationList)
        assert lst.total > 2
        await pilot.press("x", "x")  # two selected
        await settle(pilot)
        assert len(lst.selected) == 2
        await pilot.press("slash", *"sla:due<2h")
        await settle(pilot)
        assert lst.total == 0 and lst.current_row() is None
        top = str(app.screen.query_one("#top").render())
        assert "Search: sla:due<2h in All open (0)" in top
        status = str(app.screen.query_one("#status").render())
        assert "No response targets are set" in status
        assert not lst.selected  # out of sight, so no action may touch them
        # fixing the text runs it again
        await pilot.press(*["backspace"] * len("sla:due<2h"))
        await settle(pilot)
        assert lst.total > 2

"""walk7: ``/ calendar -tag:bug ctrl+s`` typed at once said "Type a search first": the
search's text reaches the screen as Changed messages behind the keys typed with it, and
ctrl+s, a screen key run from the box in the order typed, read the query before them.
A key that is not text runs on the search for all the text typed before it."""

from __future__ import annotations

from inbox_tui.tui.widgets.dialogs import Prompt
from tests.tui.conftest import make_app, settle
from tests.tui.test_core_loop_day3 import burst


async def test_ctrl_s_typed_with_a_search_saves_that_search(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await burst(pilot, "slash", *"calendar -tag:bug", "ctrl+s")
        await settle(pilot, 5)
        said = [n.message for n in app._notifications]
        assert isinstance(app.screen, Prompt), said
        assert not any("Type a search first" in m for m in said)
        await pilot.press(*"Calendar", "enter")
        await settle(pilot, 5)
        assert "Calendar" in app.main.saved_views
        assert app.main.saved_views["Calendar"].query == "calendar -tag:bug"

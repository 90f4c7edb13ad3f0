"""walk11 J: a search naming no agent says so in the status line, as a search that
cannot run does (``assignee:nobody-at-all`` showed 0 rows and no word of why)."""

from __future__ import annotations

from tests.tui.conftest import make_app, settle
from tests.tui.test_triage_keys import current


async def test_a_search_for_no_agent_says_there_is_none(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await current(pilot)
        status = app.main.query_one("#status")
        await pilot.press("slash", *"assignee:nobody-at-all")
        await settle(pilot)
        line = str(status.render())
        assert line.startswith("No agent is called 'nobody-at-all'; "), line
        assert app.main.conv_list.total == 0
        # an agent's name runs, and the sentence goes
        await pilot.press(*["backspace"] * len("nobody-at-all"), *"diego")
        await settle(pilot)
        assert app.main.conv_list.total > 0
        assert "No agent" not in str(status.render())

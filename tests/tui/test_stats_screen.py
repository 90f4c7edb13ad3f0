"""The Stats screen opens with S, switches period, and drills down to an agent."""

from tests.tui.conftest import make_app


async def settle(pilot, n=4):
    for _ in range(n):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_stats_screen_periods_and_drill_down(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        screen = app.screen
        assert screen.__class__.__name__ == "StatsScreen"
        table = screen.query_one("DataTable")
        agents = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
        assert agents[-1] == "team" and "diego" in agents
        await pilot.press("1")
        await settle(pilot)
        assert screen.period_name == "7d"
        # r is a triage key on the main screen only: nothing happens here
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("enter")  # first agent row
        await settle(pilot)
        assert app.screen is app.main
        assert app.query_text == f"assignee:{agents[0]}"
        assert app.conv_list.total > 0
        row = app.conv_list.current_row()
        assert row.assignee == agents[0]

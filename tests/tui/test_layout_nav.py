"""Layout and navigation at the sizes agents use (#17, the tmux walkthrough): the footer
at 80 columns, the Stats screen at 80x24 and 160x48, the side pane following the
cursor. Each test failed on the code before its fix."""

from __future__ import annotations

from inbox_tui.tui import actions
from tests.tui.conftest import make_app, settle


def footer(app) -> str:
    keys = app.main.query_one("#keys")
    return keys.render_line(0).text


# -- the footer ----------------------------------------------------------------------------


async def test_footer_keeps_the_most_important_keys_at_80_columns(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = footer(app)
        # ? is how every other key is found: it must never fall off the line.
        for hint in ("? ", "Help", "⏎ ", "Open", "r ", "Reply", "/ ", "Search", "Tag", "Close"):
            assert hint in shown, (hint, shown)
        assert "…" not in shown  # whole hints, not a cut one
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        wide = footer(app)
        for a in actions.ACTIONS:
            if a.short:
                assert a.short in wide, (a.short, wide)


async def test_footer_in_a_thread_offers_back_instead_of_open_at_80_columns(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        shown = footer(app)
        # Enter does nothing more in a thread; the way out does
        assert " Esc " in shown and "Back" in shown and "Open" not in shown, shown
        assert "Help" in shown and "Reply" in shown
        await pilot.press("escape")
        await settle(pilot)
        shown = footer(app)
        assert "Open" in shown and "Back" not in shown, shown


def test_footer_hints_fit_by_priority_and_help_lists_everything():
    for width in (40, 60, 78, 100, 158):
        text = actions.key_hints({}, width).plain
        assert len(text) <= width
        assert "Help" in text
    narrow = actions.key_hints({}, 60).plain
    # priority, not the order of the list: Search outranks Snooze
    assert "Search" in narrow and "Stats" not in narrow
    # a remapped key shows its new key
    assert " F1 " in actions.key_hints({"help": "f1"}, 60).plain
    rows = actions.help_rows({})
    assert {d for _, d in rows} >= {a.description for a in actions.ACTIONS}


# -- the side pane -------------------------------------------------------------------------


def pane_has_focus(app) -> bool:
    pane = app.main.side_pane
    return app.focused is not None and pane in app.focused.ancestors_with_self


def shown_ids(app) -> tuple[int | None, int | None, int | None]:
    """(list cursor, thread, pane): the conversations each part of the screen is about."""
    main = app.main
    row = main.conv_list.current_row()
    thread = main.thread_view.thread
    data = main.side_pane.data
    return (
        row.id if row else None,
        thread.conversation.id if thread is not None and main.thread_view.display else None,
        data.conversation_id if data is not None and main.side_pane.display else None,
    )


async def test_escape_and_u_leave_the_thread_and_its_pane_at_160_columns(demo_store):
    for back in ("escape", "u"):
        app = make_app(demo_store)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await pilot.press("enter", "f2")
            await settle(pilot)
            assert pane_has_focus(app)
            await pilot.press("j")  # the pane is usable from the keyboard
            assert app.main.side_pane.choices.highlighted == 1
            await pilot.press(back)
            await settle(pilot)
            assert app.focused is app.main.thread_view and app.main.side_pane.display
            await pilot.press(back)
            await settle(pilot)
            # back at the list: the thread is left and the pane that was open beside it
            # closes (at 160 columns the screen used to look exactly as before)
            assert app.focused is app.main.conv_list and not app.main.has_class("-reading")
            assert not app.main.side_pane.display, back


async def test_the_pane_key_goes_into_a_shown_pane_before_hiding_it(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("enter", "f2")
        await settle(pilot)
        await pilot.press("escape")  # back in the thread, the pane beside it
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert app.main.side_pane.display and pane_has_focus(app)
        await pilot.press("f2")
        await settle(pilot)
        assert not app.main.side_pane.display and app.focused is app.main.thread_view
        # with the pane beside the list (opened there), Esc in the list closes it
        await pilot.press("escape")
        await pilot.press("f5", "escape")
        await settle(pilot)
        assert app.focused is app.main.conv_list and app.main.side_pane.display
        await pilot.press("escape")
        await settle(pilot)
        assert not app.main.side_pane.display


async def test_thread_and_pane_follow_the_cursor_across_resizes(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f5", "escape")  # the contact pane beside list and thread
        await settle(pilot)
        first = shown_ids(app)
        assert first[0] == first[1] == first[2] is not None
        for size, moves in (((120, 30), "jj"), ((160, 48), ""), ((80, 24), "j"), ((160, 48), "")):
            await pilot.resize_terminal(*size)
            await settle(pilot)
            for key in moves:
                await pilot.press(key)
                await settle(pilot)
            cursor, thread, pane = shown_ids(app)
            assert thread in (None, cursor), (size, shown_ids(app))
            assert pane in (None, cursor), (size, shown_ids(app))
        cursor, thread, pane = shown_ids(app)
        assert cursor != first[0] and cursor == thread == pane


async def test_the_pane_starts_at_its_top_for_another_conversation(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f2", "j", "j")
        await settle(pilot)
        assert app.main.side_pane.choices.highlighted == 2  # 'confused' on the first
        await pilot.press("escape", "j")  # the next conversation, which has it 5th
        await settle(pilot)
        cursor, _, pane = shown_ids(app)
        assert pane == cursor
        # its own tags, from the first: not the row the cursor happened to be on before
        assert app.main.side_pane.choices.highlighted == 0


# -- the Stats screen ----------------------------------------------------------------------


def table_texts(table) -> list[str]:
    """What a DataTable shows, line by line, as the terminal would (cut at its width)."""
    return [table.render_line(y).text for y in range(table.size.height)]


async def open_stats(pilot):
    await settle(pilot)
    await pilot.press("S")
    await settle(pilot)
    return pilot.app.screen


async def test_every_stats_table_is_readable_at_80_columns(demo_store):
    from textual.widgets import DataTable

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        stats = await open_stats(pilot)
        for table in stats.query(DataTable):
            # nothing runs off the right edge: the whole table is on screen
            assert table.virtual_size.width <= table.scrollable_content_region.width, (
                table.id,
                table.virtual_size,
                table.scrollable_content_region,
            )
        agents = stats.query_one("#agents", DataTable)
        headings = [str(c.label) for c in agents.columns.values()]
        # what a team lead reads first is there, under a heading that fits
        for wanted in ("agent", "replies", "closed", "1st resp", "csat"):
            assert any(h.startswith(wanted) for h in headings), (wanted, headings)
        names = [agents.get_row_at(i)[0].plain for i in range(agents.row_count)]
        assert names[-1] == "team" and "diego" in names
        # a column that had to go is named, with where to find it
        note = str(stats.query_one("#agents-note").render())
        shown = {k.value for k in agents.columns}
        hidden = [h for key, h in stats_columns() if key not in shown]
        for h in hidden:
            assert h in note


def stats_columns():
    from inbox_tui.tui.screens.stats import COLUMNS

    return [(c.key, c.heading) for c in COLUMNS]


async def test_first_tab_on_stats_goes_to_the_next_table(demo_store):
    from textual.widgets import DataTable

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        stats = await open_stats(pilot)
        assert app.focused is stats.query_one("#agents")
        await pilot.press("tab")
        await settle(pilot)
        assert isinstance(app.focused, DataTable) and app.focused.id == "tags"
        assert app.focused.region.height > 0  # scrolled into view
        await pilot.press("tab")
        assert app.focused.id == "repeats"
        await pilot.press("tab")
        assert app.focused.id == "gaps"  # the help-content gaps (#23)
        await pilot.press("tab")
        assert app.focused.id == "heat"


async def test_the_daily_volume_sparkline_stays_on_one_line(demo_store):
    for width in (60, 80, 160):
        app = make_app(demo_store)
        async with app.run_test(size=(width, 48)) as pilot:
            stats = await open_stats(pilot)
            for period in ("1", "2", "3"):
                await pilot.press(period)
                await settle(pilot)
                volume = stats.query_one("#volume")
                lines = str(volume.render()).split("\n")
                spark = [ln for ln in lines if any(ch in ln for ch in "▁▂▃▄▅▆▇█")]
                assert len(spark) == 1, (width, period, lines)
                assert len(spark[0]) <= volume.content_region.width, (width, period, spark)
                days = len(stats._daily)
                # the line is not squeezed to a few bars: every day, or most of the width
                assert len(spark[0].strip()) >= min(days, volume.content_region.width // 2)


async def test_escape_from_a_conversation_opened_in_stats_goes_back_to_the_stats(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        stats = await open_stats(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = stats.query_one("#agents")
        table.move_cursor(row=table.row_count - 1, column=1)  # the team's replies
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "DrillScreen"
        listing = app.screen.query_one("OptionList")
        listing.highlighted = 2
        wanted = int(listing.get_option_at_index(2).id)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main and app.main.open_id == wanted
        await pilot.press("escape")
        await settle(pilot)
        # back where the agent was: the same list behind the same number, same row
        assert type(app.screen).__name__ == "DrillScreen"
        assert app.screen.query_one("OptionList").highlighted == 2
        await pilot.press("escape")
        await settle(pilot)
        stats = app.screen
        assert type(stats).__name__ == "StatsScreen" and stats.period_name == "30d"
        table = stats.query_one("#agents")
        assert app.focused is table
        assert table.cursor_coordinate == (table.row_count - 1, 1)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main and app.main.view == "open"


async def test_escape_from_an_agents_list_opened_in_stats_goes_back_to_the_stats(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_stats(pilot)
        await pilot.press("enter")  # the first agent's name: their conversations
        await settle(pilot)
        assert app.screen is app.main and app.main.query_text.startswith("assignee:")
        await pilot.press("enter")  # open one of them, and back
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main and app.main.query_text.startswith("assignee:")
        await pilot.press("escape")
        await settle(pilot)
        # not 'Everything' with the search cleared: the stats, and behind them the
        # list as it was before S
        assert type(app.screen).__name__ == "StatsScreen"
        assert app.main.view == "open" and app.main.query_text == ""

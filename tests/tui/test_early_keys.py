"""Keys typed before the first page is shown act when it is (team6 saw ``O`` and ``?``
sent two seconds after starting do nothing, in tmux at load 14): Textual gave the focus
to the first focusable widget, the hidden views panel, and the key went into its
filter."""

from __future__ import annotations

from tests.tui.conftest import make_app, settle


async def test_a_key_typed_before_the_first_page_runs_its_action(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")  # before anything has settled
        await settle(pilot, 5)
        assert type(app.screen).__name__ == "HelpScreen", app.screen_stack


async def test_moves_typed_before_the_first_page_move_the_cursor(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("j", "j")
        await settle(pilot, 5)
        assert app.main.focused is app.main.conv_list
        assert app.main.conv_list.cursor == 2

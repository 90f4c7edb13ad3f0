"""Snapshot tests of each screen at 80x24 and 160x48, on the demo inbox with a fixed
clock. Review a changed SVG before accepting it (`pytest --snapshot-update`)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import make_app, settle

SCREENS = {
    "list": [],
    "thread": ["j", "enter"],
    "help": ["question_mark"],
    "tag_picker": ["t"],
    "composer": ["enter", "r"],
    "search": ["slash", *"tag:bug"],
    "views": ["v"],
    "pane_tags": ["j", "enter", "f2"],
    "pane_macros": ["j", "enter", "f3"],
    "pane_articles": ["j", "enter", "f4"],
    "pane_contact": ["j", "enter", "f5"],
    "stats": ["S"],
    # focus on the first-response heatmap (after the three tables), cursor on Tuesday 10:00
    "stats_heatmap": ["S", "tab", "tab", "tab", "tab", "tab", "down", *["right"] * 10],
    "stats_drill": ["S", "down", "right", "enter"],
}


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, demo_store, screen, size):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in SCREENS[screen]:
            await pilot.press(key)
            await settle(pilot)
        # A text box's cursor blinks on a 0.5 s timer: held visible, so the picture does
        # not depend on when it was taken (composer-160x48 and search-160x48 caught
        # either phase).
        for area in pilot.app.screen.query("TextArea, Input"):
            area.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(demo_store), terminal_size=size, run_before=run_before)

"""Walk2 #19 at 80x24 in a real terminal: the list showed a stray horizontal scrollbar
(its rows were laid out as wide as the list, scrollbar included) as a blank row above
the status line; in Stats, Tab went through the maps and an invisible stop before it
came back to the agent table, which comes first in reading order."""

from __future__ import annotations

import shutil

import pytest

from tests.tmux import tmux_app
from tests.tui.conftest import make_app, settle
from tests.tui.test_tmux_layout import args_env, list_ready

GLYPHS = "●◐z✓»"


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps")
def test_the_list_fills_the_screen_at_80x24_without_a_horizontal_scrollbar(demo_store, tmp_path):
    args, env = args_env(tmp_path, demo_store)
    with tmux_app("l2main", args, size=(80, 24), env=env, ready=list_ready) as term:
        lines = term.screen().splitlines()
        assert len(lines) >= 23
        # top line, list rows, then the status line and the keys: the row above the
        # status line is a conversation, not a blank scrollbar track
        assert lines[-1].lstrip().startswith("⏎") or "Help" in lines[-1], lines
        list_rows = lines[1:-2]
        assert all(any(g in row[:4] for g in GLYPHS) for row in list_rows), "\n".join(lines)


async def test_tab_in_stats_goes_through_the_tables_in_reading_order(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot, 5)
        shown = [w.id for w in app.screen.query("DataTable, HeatMap") if w.display]
        assert shown[0] == "agents"
        visited = [app.focused.id]
        for _ in shown:
            await pilot.press("tab")
            await settle(pilot)
            visited.append(app.focused.id)
        # every table and map once, in reading order, then the agent table again
        assert visited == [*shown, "agents"], visited

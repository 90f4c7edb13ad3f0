"""#17, what the last walkthrough found, in a real terminal (tmux): at 60x20 (and 80x24,
160x48) nothing is cut at the edge (the help's long descriptions wrapped to the left
edge under the keys, the Stats heatmap lost its evening hours, the note composer's title
lost its subject), and keys typed right after "/" go into the search box."""

from __future__ import annotations

import shutil

import pytest

from tests.tmux import tmux_app
from tests.tui.conftest import ME
from tests.tui.test_tmux_layout import args_env, list_ready

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)


def box_lines(screen: str) -> list[str]:
    """The inside of the help's border (it floats over the list at 160 columns)."""
    lines = screen.splitlines()
    top = next(ln for ln in lines if "│ Keys" in ln)
    left = top.index("│ Keys")
    right = top.index("│", left + 1)
    return [ln[left + 1 : right] for ln in lines if len(ln) > right and ln[left] == "│"]


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (160, 48)])
def test_help_descriptions_wrap_under_their_column(demo_store, tmp_path, size):
    args, env = args_env(tmp_path, demo_store)
    with tmux_app(f"ldhelp{size[0]}", args, size=size, env=env, ready=list_ready) as term:
        screen = term.press("?")
        lines = box_lines(screen)
        first = next(ln for ln in lines if "Open the conversation" in ln)
        key_col = len(first) - len(first.lstrip())
        desc_col = first.index("Open the conversation")
        rows = lines[lines.index(first) :]
        # The keys' rows end at the rule above the help's own key line (how to scroll).
        rows = rows[
            : next((i for i, ln in enumerate(rows) if ln.strip().startswith("─")), len(rows))
        ]
        starts = {len(ln) - len(ln.lstrip()) for ln in rows if ln.strip()}
        assert starts <= {key_col, desc_col}, screen
        if size[0] < 100:  # long descriptions do wrap there: under the description
            assert desc_col in starts and any(
                ln[:desc_col].strip() == "" and ln.strip() for ln in lines
            ), screen


def test_at_60_columns_the_heatmap_and_the_note_title_are_whole(demo_store, tmp_path):
    from inbox_tui.services.conversations import list_conversations, view_filter

    args, env = args_env(tmp_path, demo_store)
    with demo_store.read() as s:
        first = list_conversations(s, view_filter("open", ME), limit=1)[0]
    with tmux_app("ldnarrow", args, size=(60, 20), env=env, ready=list_ready) as term:
        screen = term.press("n")
        screen = term.wait_for(lambda t: "ctrl+s" in t)
        title = " ".join(ln.strip("│ ") for ln in screen.splitlines()[:12])
        assert first.subject[:40] in title.replace("  ", " ") or first.subject in screen, screen
        term.press("Escape")
        term.press("S")
        screen = term.wait_for(lambda t: "agent" in t and ("? Help" in t or "palette" in t))
        keys = [ln for ln in screen.splitlines() if ln.strip()][-1]
        assert keys.rstrip().endswith("? Help"), screen  # the palette's key sat over them
        for _ in range(30):  # Tab through the tables to the first map
            screen = term.press("Tab")
            if any(ln.lstrip().startswith("Wed ") for ln in screen.splitlines()):
                break  # the map's rows are on screen (its title shows a Tab earlier)
        rows = [ln for ln in screen.splitlines() if ln.lstrip().startswith(("Mon", "Tue", "Wed"))]
        assert rows, screen
        hours = next(ln for ln in screen.splitlines() if ln.strip().startswith("0 "))
        assert "21" in hours, screen  # the evening hours are on screen
        # 24 hours of 2 columns end at column 54; only the scrollbar is further right
        assert all(ln[54:57].strip() == "" for ln in rows), screen


def test_keys_typed_at_once_after_slash_land_in_the_search_box(demo_store, tmp_path):
    """The walkthrough typed "/" and a word quickly: "f" opened Forward."""
    args, env = args_env(tmp_path, demo_store)
    with tmux_app("ldslash", args, size=(80, 24), env=env, ready=list_ready) as term:
        term.send("/fee", literal=True)  # one write: the terminal delivers them together
        screen = term.wait_for(lambda t: "Search: fee" in t)
        assert "Search: fee" in screen and "Forward" not in screen, screen
        term.send("Escape")
        screen = term.wait_for(lambda t: "Search:" not in t)
        term.send("vj", literal=True)  # the views panel takes the j, not the list behind
        screen = term.wait_for(lambda t: "Mine (" in t)
        assert "Mine (" in screen, screen

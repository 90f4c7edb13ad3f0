"""Layout and navigation of #17 in a real terminal (tmux), as the walkthrough found
them: the Stats screen at 80x24 (every column readable, Esc from what it opened comes
back to it) and the thread and side pane after the terminal is resized."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.tmux import Tmux, tmux_app
from tests.tui.conftest import ME

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)


def args_env(tmp_path: Path, demo_store) -> tuple[str, dict[str, str]]:
    db = Path(demo_store.url.removeprefix("sqlite:///"))
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[agent]\nusername = "{ME}"\nname = "Tess Ter"\n')
    home = str(tmp_path / "home")
    env = {"HOME": home, "XDG_STATE_HOME": home, "XDG_DATA_HOME": home}
    return f"--config {cfg} demo --path {db}", env


def list_ready(t: str) -> bool:
    return "All open" in t and "●" in t


def test_stats_at_80x24_fit_and_escape_comes_back_to_them(demo_store, tmp_path):
    args, env = args_env(tmp_path, demo_store)
    with tmux_app("lbstats", args, size=(80, 24), env=env, ready=list_ready) as term:
        term.press("S")
        screen = term.wait_for(lambda t: "agent" in t and "csat" in t)
        heading = next(line for line in screen.splitlines() if line.lstrip().startswith("agent"))
        # the whole agent table on screen: its last column too (it was cut at "close m")
        assert heading.rstrip().endswith("csat"), screen
        term.send("Enter")  # the first agent's name: their conversations in the list
        screen = term.wait_for(lambda t: "assignee:" in t)
        assert "assignee:" in screen
        term.send("Escape")
        screen = term.wait_for(lambda t: "Stats " in t)
        assert "Stats " in screen and "Everything" not in screen, screen


def thread_and_cursor(term: Tmux, cursor_row: int) -> tuple[str, str, str]:
    """(the cursor row's list text, the thread's subject, the pane's current line)."""
    lines = term.screen().splitlines()
    row = lines[1 + cursor_row].split("│")[0]
    subject = lines[1].split("│")[1].strip()
    current = next((ln.split("│")[2] for ln in lines if ln.count("│") >= 2 and "▸" in ln), "")
    return row, subject, current


def test_thread_and_pane_follow_the_cursor_after_a_resize(demo_store, tmp_path):
    args, env = args_env(tmp_path, demo_store)
    with tmux_app("lbresize", args, size=(160, 48), env=env, ready=list_ready) as term:
        term.press("F5")  # the customer pane beside list and thread
        term.press("Escape")  # back in the list, the pane stays
        subprocess.run(["tmux", "resize-window", "-t", "lbresize", "-x", "120", "-y", "30"])
        term.settled("")
        term.press("j")
        term.press("j")
        subprocess.run(["tmux", "resize-window", "-t", "lbresize", "-x", "160", "-y", "48"])
        term.settled("")
        row, subject, current = thread_and_cursor(term, 2)
        # the thread and the pane show the cursor's conversation, not the one from before
        assert subject[:12] in row, (row, subject)
        assert subject[:12] in current, (current, subject)

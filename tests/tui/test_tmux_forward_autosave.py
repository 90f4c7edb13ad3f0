"""#18: the forward composer autosaves like the reply and note composers. A forward
being written (its recipients chosen, half a note typed) survives a kill -9 of the app:
the next `f` brings both back. The real app in tmux, killed with SIGKILL."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui.models import Draft
from tests.tmux import tmux_app
from tests.tui.conftest import ME

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)


def kept_note(store) -> str | None:
    with store.read() as s:
        return s.exec(select(Draft.body).where(Draft.kind == "forward")).first()


def kill_9(session: str) -> None:
    """SIGKILL to the app (the pane's process and whatever it started): no clean exit,
    no save on the way out."""
    pane = subprocess.run(
        ["tmux", "display-message", "-p", "-t", session, "#{pane_pid}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    children = subprocess.run(["pgrep", "-P", pane], capture_output=True, text=True).stdout
    for pid in [int(pane), *(int(p) for p in children.split())]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_forward_being_written_survives_kill_9(demo_store, tmp_path: Path):
    db = Path(demo_store.url.removeprefix("sqlite:///"))
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[agent]\nusername = "{ME}"\nname = "Tess Ter"\n')
    home = tmp_path / "home"
    env = {"HOME": str(home), "XDG_STATE_HOME": str(home), "XDG_DATA_HOME": str(home)}
    args = f"--config {cfg} demo --path {db}"
    session = f"fwd{int(time.time() * 1000) % 100000}"
    with tmux_app(session, args, env=env, ready=lambda t: "All open" in t) as term:
        shown = term.press("f")
        assert "Forward from #" in shown, shown
        term.wait_for(lambda t: "The whole conversation" in t)
        shown = term.press("Enter")
        assert "Forward to" in shown, shown
        term.send("billing@vendor.example", literal=True)
        shown = term.press("Enter")
        assert "ctrl+s" in shown, shown
        term.send("Half a note for billing", literal=True)
        deadline = time.monotonic() + 15  # the autosave runs every 2 s
        while kept_note(demo_store) != "Half a note for billing" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kept_note(demo_store) == "Half a note for billing", term.screen()
        kill_9(session)
    again = f"{session}b"
    with tmux_app(again, args, env=env, ready=lambda t: "All open" in t) as term:
        shown = term.press("f")  # straight back to the kept forward
        shown = term.wait_for(lambda t: "Half a note for billing" in t)
        assert "Half a note for billing" in shown, shown
        shown = term.press("C-s")
        assert "billing@vendor.example" in shown, shown

"""Quitting takes the agent off the other agents' screens at once (walk5: the ◉ stayed
on the others' lists for about a minute after ctrl+q, until the heartbeat went stale)."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from sqlmodel import select

from inbox_tui.models import Agent, Presence
from tests.tmux import tmux_app
from tests.tui.conftest import ME
from tests.tui.test_tmux_layout import args_env, list_ready

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)


def my_presence(store) -> Presence | None:
    with store.read() as s:
        return s.exec(
            select(Presence).join(Agent, Agent.id == Presence.agent_id).where(Agent.username == ME)
        ).first()


def test_ctrl_q_clears_the_agents_presence(demo_store, tmp_path):
    args, env = args_env(tmp_path, demo_store)
    session = f"presq{int(time.time() * 1000) % 100000}"
    with tmux_app(session, args, size=(100, 30), env=env, ready=list_ready) as term:
        term.press("Enter")  # a thread open: the others see "◉" on it
        deadline = time.monotonic() + 20
        while (my_presence(demo_store) is None or my_presence(demo_store).conversation_id is None) and time.monotonic() < deadline:  # fmt: skip
            time.sleep(0.3)
        row = my_presence(demo_store)
        assert row is not None and row.conversation_id is not None
        term.send("C-q")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            alive = subprocess.run(["tmux", "has-session", "-t", session], capture_output=True)
            if alive.returncode:
                break
            time.sleep(0.2)
        assert alive.returncode, "the app did not quit"
    assert my_presence(demo_store) is None

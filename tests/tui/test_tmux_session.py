"""The real app in a real terminal (tmux at 80x24), driven by typing as an agent would:
read, tag, assign to me, note, close and next. Then the store is checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
from sqlmodel import select

from inbox_tui.models import Agent, Conversation, ConversationTag, Message, Tag
from tests.tmux import kill_session, new_session

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)


def keys(session: str, *k: str, wait: float = 0.8) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, *k], check=True)
    time.sleep(wait)


def screen(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def wait_for(session: str, predicate, timeout: float = 15.0) -> str:
    """The screen once ``predicate(screen)`` holds (the machine may be busy)."""
    deadline = time.monotonic() + timeout
    text = screen(session)
    while not predicate(text) and time.monotonic() < deadline:
        time.sleep(0.2)
        text = screen(session)
    return text


def test_triage_session_in_tmux(demo_store, tmp_path):
    url = demo_store.url
    session = f"triage{int(time.time() * 1000) % 100000}"
    home = tmp_path / "home"
    cfg = tmp_path / "config.toml"
    cfg.write_text('[agent]\nusername = "tester"\nname = "Tess Ter"\n')
    cmd = f"{sys.executable} -m inbox_tui --config {cfg} --db {url}"
    new_session(session, cmd, (80, 24), {"HOME": str(home), "XDG_STATE_HOME": str(home)})
    try:
        first = wait_for(session, lambda t: "All open" in t and "●" in t)
        assert "All open" in first
        keys(session, "Enter")
        opened = wait_for(session, lambda t: "▎" in t)  # the thread's messages are on screen
        assert "▎" in opened
        keys(session, "t")
        keys(session, "o", "u", "t", "a", "g", "e", wait=0.3)
        keys(session, "Enter")
        keys(session, "i")
        keys(session, "n")
        keys(session, "Called them, fix coming.", wait=0.3)
        keys(session, "C-s")
        keys(session, "y", wait=1.5)
        after_note = screen(session)
        keys(session, "e", wait=2)
        final = screen(session)
    finally:
        kill_session(session)
    assert "Traceback" not in after_note + final
    with demo_store.read() as s:
        note = s.exec(select(Message).where(Message.body == "Called them, fix coming.")).one()
        conv = s.get(Conversation, note.conversation_id)
        tags = {
            t.name
            for t in s.exec(
                select(Tag).join(ConversationTag).where(ConversationTag.conversation_id == conv.id)
            )
        }
        assert "outage" in tags
        assert s.get(Agent, conv.assignee_id).username == "tester"
        assert conv.status == "closed"

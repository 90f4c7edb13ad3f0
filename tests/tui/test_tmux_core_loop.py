"""The core loop of #17 in a real terminal (tmux at 80x24), with a real $EDITOR process
(a script): tag then undo it, write a reply in the editor, close the composer with Esc,
quit, start again, find the draft marked in the list, send it. Then the store is checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui.models import Draft, Message
from tests.tmux import kill_session, new_session
from tests.tui.conftest import ME
from tests.tui.test_tmux_session import keys, screen, wait_for
from tests.tui.test_triage_keys import tags_of

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)


def start(session: str, tmp_path: Path, db: Path, editor: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[agent]\nusername = "{ME}"\nname = "Tess Ter"\n')
    home = tmp_path / "home"
    cmd = f"{sys.executable} -m inbox_tui --config {cfg} demo --path {db}"
    env = {"HOME": str(home), "XDG_STATE_HOME": str(home), "XDG_DATA_HOME": str(home)}
    new_session(session, cmd, (80, 24), {**env, "EDITOR": editor, "VISUAL": ""})


def expect(session: str, needle: str, also: str = "") -> str:
    """The screen once it shows ``needle`` (and ``also``); fails with the screen if not."""
    text = wait_for(session, lambda t: needle in t and also in t)
    assert needle in text and also in text, text
    return text


def gone(session: str, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode:
            return True
        time.sleep(0.2)
    return False


def test_undo_editor_draft_restart_send_in_tmux(demo_store, tmp_path):
    db = Path(demo_store.url.removeprefix("sqlite:///"))
    script = tmp_path / "editor.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            path = sys.argv[1]
            shown = open(path, encoding="utf-8").read()
            head, _, body = shown.partition("\\n\\n")
            assert head.startswith("To: "), head
            open(path, "w", encoding="utf-8").write(head + "\\n\\n" + body + " Written in the editor.\\n")
            """
        )
    )
    editor = f"{sys.executable} {script}"
    session = f"loop{int(time.time() * 1000) % 100000}"
    screens: list[str] = []
    start(session, tmp_path, db, editor)
    try:
        screens.append(expect(session, "All open", "●"))
        keys(session, "Enter")
        screens.append(expect(session, "▎"))
        keys(session, "t")
        expect(session, "(Enter toggles")  # the title names the conversation since bb17525
        wait_for(session, lambda t: "Loading…" not in t)  # the picker fills, then takes keys
        keys(session, *"tmux-undo", wait=0.3)
        keys(session, "Enter", wait=1.5)
        screens.append(expect(session, "Tagged “", "tmux-undo."))
        keys(session, "U")
        screens.append(expect(session, "Undone: tagging"))
        keys(session, "r", wait=1.5)
        expect(session, "ctrl+s review")  # the composer is open: keys go to its text
        keys(session, "Hello.", wait=0.3)
        keys(session, "C-e", wait=2)  # the app hands the terminal to the editor and back
        screens.append(expect(session, "Written in the editor."))
        keys(session, "Escape")  # from the review back to the text
        keys(session, "Escape", wait=1.5)  # closes the composer: the draft is kept
        screens.append(expect(session, "Draft kept"))
        keys(session, "C-q")
        assert gone(session), screen(session)
        with demo_store.read() as s:
            draft = s.exec(select(Draft)).one()
        assert draft.body == "Hello. Written in the editor."
        start(session, tmp_path, db, editor)  # the next morning
        screens.append(expect(session, "All open", "draft"))
        keys(session, "r", wait=1.5)
        screens.append(expect(session, "Hello. Written in the editor."))
        keys(session, "C-s")
        keys(session, "y", wait=2)
        screens.append(expect(session, "Reply recorded"))
    finally:
        kill_session(session)
    assert not any("Traceback" in s for s in screens), screens
    with demo_store.read() as s:
        sent = s.exec(select(Message).where(Message.body == "Hello. Written in the editor.")).one()
        assert s.exec(select(Draft)).all() == []
    assert "tmux-undo" not in tags_of(demo_store, sent.conversation_id)
    assert sent.conversation_id == draft.conversation_id

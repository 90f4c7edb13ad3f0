"""The attachments dialog (P) in a real terminal (tmux at 80x24): an image previewed in
half-blocks of its own colours, a CSV read, and the app never asks the terminal about
graphics while it runs (textual-image would on import: its questions, and the answers
read from the keyboard, would eat the agent's keys)."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest

from inbox_tui.incoming import Attachment, IncomingMessage
from inbox_tui.ingest import Ingestor
from tests.tmux import tmux_app
from tests.tui.conftest import NOW
from tests.tui.test_attachments_dialog import png

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)

TERMINAL_QUESTIONS = [b"\x1b[c", b"\x1b[16t", b"\x1b_G"]  # DA1, cell size, kitty graphics


def test_preview_and_text_in_tmux_without_asking_the_terminal(demo_store, tmp_path: Path):
    image = png(64, 32)
    msg = IncomingMessage(
        source="mail:test",
        external_id="tmux-att-1",
        message_id="<tmux-att-1@acme.example>",
        subject="Screenshot of the error",
        author_name="Zoë Brennan",
        author_email="zoe@acme.example",
        sent_at=NOW + timedelta(days=30),  # the newest: the first row
        body="See the screenshot and the export.",
        attachments=[
            Attachment("shot.png", "image/png", len(image), image, "stored"),
            Attachment("export.csv", "text/csv", 14, b"item;net\nA;100\n", "stored"),
        ],
    )
    demo_store.run(lambda s: Ingestor(s).add(msg))
    db = demo_store.url.removeprefix("sqlite:///")
    raw = tmp_path / "raw.bin"
    home = tmp_path / "home"
    with tmux_app(
        f"att{int(time.time() * 1000) % 100000}",
        f"--db sqlite:///{db}",
        size=(80, 24),
        env={"HOME": str(home), "XDG_CONFIG_HOME": str(home)},
        raw=raw,
        ready=lambda t: "Screenshot of the error" in t,
    ) as term:
        assert "Screenshot of the error" in term.press("Enter")
        assert "shot.png  image/png  " in term.press("P")
        shown = term.press("Enter")
        assert "shot.png (64×32 px shown)" in shown
        frame = term._frame()
        assert "▀" in frame and "\x1b[" in frame.split("▀", 1)[0][-40:]  # coloured blocks
        term.press("Escape")
        shown = term.press("Down", "Enter")
        assert "item;net" in shown and "A;100" in shown
        term.press("Escape")
        term.press("Escape")
        # Keys still reach the app after a preview: the dialog opens again.
        assert "Attachments of #" in term.press("P")
    data = raw.read_bytes()
    for question in TERMINAL_QUESTIONS:
        assert question not in data, f"the app asked the terminal {question!r}"

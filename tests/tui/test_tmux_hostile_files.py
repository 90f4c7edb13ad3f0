"""Hostile attachment names in a real terminal (tmux at 80x24 and 60x20, #18 walk):
terminal escapes, markup, ``../``, a 3,000-character name and a right-to-left override
show as clean text, one attachment per line with its extension in sight, in the
thread and in the attachments dialog (P), and none of their bytes reach the pty."""

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

pytestmark = pytest.mark.skipif(
    not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps"
)

NAMES = [
    "\x1b]0;pwned\x07\x1b[31mred\x1b[0m.txt",
    "[bold red]markup[/] [link=http://evil.example]x[/link].txt",
    "../../etc/passwd",
    "A" * 3000 + ".pdf",
    "invoice\u202efdp.exe",
]


def seed(store) -> None:
    msg = IncomingMessage(
        source="mail:test",
        external_id="hostile-files-1",
        message_id="<hostile-files-1@acme.example>",
        subject="Files with strange names",
        author_name="Zoë Brennan",
        author_email="zoe@acme.example",
        sent_at=NOW + timedelta(days=30),  # the newest: the first row
        body="Five files.",
        attachments=[Attachment(n, "text/plain", 3, b"abc", "stored") for n in NAMES],
    )
    store.run(lambda s: Ingestor(s).add(msg))


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
def test_hostile_names_are_clean_one_line_each(demo_store, tmp_path: Path, size):
    seed(demo_store)
    db = demo_store.url.removeprefix("sqlite:///")
    raw = tmp_path / "raw.bin"
    home = tmp_path / "home"
    with tmux_app(
        f"hostile{size[0]}-{int(time.time() * 1000) % 100000}",
        f"--db sqlite:///{db}",
        size=size,
        env={"HOME": str(home), "XDG_CONFIG_HOME": str(home)},
        raw=raw,
        ready=lambda t: "Files with strange names" in t,
    ) as term:
        thread = term.press("Enter")
        flat = " ".join(line.strip(" │▎") for line in thread.splitlines())  # lines joined
        assert "AAAA…" in thread and "AAAA.pdf (text/plain, 3 B)" in flat  # extension in sight
        shown = term.press("P")
        lines = shown.splitlines()
        top = next(i for i, line in enumerate(lines) if "Attachments of #" in line)
        rows = lines[top + 1 : top + 1 + len(NAMES)]
        assert "Enter/v view" in lines[top + 1 + len(NAMES)]  # five rows, none wrapped
        assert "[31mred[0m.txt" in rows[0] and "pwned" in rows[0]
        assert "[bold red]markup" in rows[1] and "[/link].txt" in rows[1]  # text, not markup
        # At 60 columns the rows drop the type before the date (loop9, stop 30: a forward's
        # row kept its type and lost its date); the name is the same clean text either way.
        after_name = "text/plain" if size[0] >= 80 else "3 B"
        assert f"../../etc/passwd  {after_name}" in rows[2]
        assert "AAAA…" in rows[3] and "AAAA.pdf  " in rows[3]
        assert "invoicefdp.exe" in rows[4]  # the override removed: the real order shows
        assert all(r.rstrip().endswith("│") for r in rows)  # inside the frame
        shown = term.press("Down", "Down", "s")
        assert "(as etc_passwd)" in shown  # the name it will be written under
    data = raw.read_bytes()
    assert b"pwned\x07" not in data and b"\x1b]0;pwned" not in data  # shown, never sent
    assert "\u202e".encode() not in data

"""File names from anywhere (a stranger's mail, the agent's own disk) shown and kept
(#18 walk): cut in the middle so the extension stays, cleaned of control and bidi
characters, the same name in the store as on the wire."""

from __future__ import annotations

from pathlib import Path

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.incoming import Attachment
from inbox_tui.sanitize import short_filename
from inbox_tui.services.attachments import read_attachments


def test_a_long_name_is_cut_in_the_middle_and_keeps_its_extension():
    assert short_filename("A" * 3000 + ".pdf", 24) == "A" * 13 + "…" + "A" * 6 + ".pdf"
    assert short_filename("invoice.pdf" + " " * 3 + "x" * 80 + ".exe", 30).endswith("x.exe")
    assert short_filename("short.txt", 24) == "short.txt"
    assert short_filename("x" * 100, 24) == "x" * 12 + "…" + "x" * 11
    assert short_filename("ab\x1b[31mcd\u202e.txt", 40) == "ab[31mcd.txt"
    assert len(short_filename("report-2026-11-18-final.csv", 12)) == 12


def test_an_imported_name_keeps_its_extension_when_cut():
    a = Attachment("A" * 3000 + ".pdf", "application/pdf", 3, b"pdf", "stored")
    assert len(a.name) == 300 and a.name.endswith("AAAA.pdf") and "…" in a.name


def test_a_file_from_the_agents_disk_goes_under_a_clean_name(tmp_path: Path):
    odd = tmp_path / "esc\x1b[31mred\x07 \u202egol.exe"
    odd.write_bytes(b"data")
    log = tmp_path / "run.log"
    log.write_bytes(b"log\n")
    cfg = Config(path=None, db_url=None, agent=AgentIdentity("sam", "Sam"))
    files = read_attachments([odd, log], cfg.mail)
    assert [(f.filename, f.data) for f in files] == [
        ("esc_[31mred_ _gol.exe", b"data"),
        ("run.log", b"log\n"),
    ]
    assert files[1].content_type == "text/plain"  # not octet-stream: clients show it

"""The attachments dialog (P, #18) on mail synced from the real Dovecot: the list (name,
type, size, which message), a CSV read inside the TUI, an image preview, saving (never
overwriting; hostile names sanitised) and opening with the system's handler (xdg-open or
a mailcap rule; none: one sentence)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.models import Conversation
from inbox_tui.services.mailsync import sync
from tests.test_attachments import CSV, PDF, customer_mail
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_triage_keys import SIZE


def png(width: int = 64, height: int = 48) -> bytes:
    import io

    from PIL import Image

    img = Image.new("RGB", (width, height), (200, 30, 30))
    for x in range(width // 2, width):
        for y in range(height):
            img.putpixel((x, y), (30, 30, 200))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


async def synced(dovecot_server, store, raw: bytes) -> int:
    dovecot_server.add(raw)
    cfg = Config(
        path=None,
        db_url=None,
        agent=AgentIdentity(ME, "Tess"),
        accounts={"support": dovecot_server.account()},
    )
    report = await sync(cfg, store)
    assert report.mailboxes[0].counts.imported == 1
    with store.read() as s:
        return s.exec(select(Conversation.id).order_by(Conversation.id.desc())).first()


def status(app) -> str:
    return str(app.screen.query_one("#attachments-status").render())


async def open_dialog(pilot, cid: int):
    await settle(pilot)
    pilot.app.main.open_conversation(cid)
    await settle(pilot)
    await pilot.press("P")
    await settle(pilot)
    return pilot.app.screen


@pytest.fixture
def handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH with only a recording xdg-open, and no mailcap rules but the test's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text(
        f'#!/bin/sh\n/bin/cp "$1" {tmp_path}/opened-copy\necho "$1" > {tmp_path}/opened-path\n'
    )
    opener.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("MAILCAPS", str(tmp_path / "no-mailcap"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/Downloads: the default is the cwd
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def wait_for(pilot, path: Path) -> None:
    for _ in range(50):
        if path.exists() and path.stat().st_size:
            return
        await pilot.pause(0.1)


async def test_list_view_preview_save_and_open_from_dovecot(dovecot_server, demo_store, handlers):
    image = png()
    raw = customer_mail(
        1,
        files=[
            ("Rechnung März.pdf", "application/pdf", PDF),
            ("screen.png", "image/png", image),
            ("items.csv", "text/csv", CSV),
        ],
    )
    cid = await synced(dovecot_server, demo_store, raw)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, cid)
        rows = [str(o.prompt) for o in screen.query_one("OptionList").options]
        assert rows == [
            "Rechnung März.pdf  application/pdf  16.0 KB  from Zoë Brennan, 02 Mar 09:00",
            "screen.png  image/png  " + f"{len(image)} B  from Zoë Brennan, 02 Mar 09:00",
            f"items.csv  text/csv  {len(CSV)} B  from Zoë Brennan, 02 Mar 09:00",
        ]

        # The CSV is read here, as text.
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        viewer = app.screen.query_one("#viewer-text")
        assert viewer.text == CSV.decode().replace("\r\n", "\n")
        await pilot.press("escape")
        await settle(pilot)

        # The image: a preview of the real pixels (half-blocks off a graphics terminal).
        await pilot.press("up", "enter")
        await settle(pilot)
        preview = app.screen.query_one("#preview-image")
        assert preview.__class__.__name__ == "HalfcellImage"
        assert "64×48 px shown" in str(app.screen.query_one("Label").render())
        await pilot.press("escape")
        await settle(pilot)

        # Save: into the folder typed, twice, never overwriting.
        await pilot.press("up", "s")
        await settle(pilot)
        box = app.screen.query_one("Input")
        assert box.value == str(handlers)  # no ~/Downloads here: the current folder
        box.value = str(handlers / "out")
        await pilot.press("enter")
        await settle(pilot)
        assert status(app) == f"Saved to {handlers / 'out' / 'Rechnung März.pdf'}."
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("Input").value = str(handlers / "out")
        await pilot.press("enter")
        await settle(pilot)
        assert status(app) == f"Saved to {handlers / 'out' / 'Rechnung März (2).pdf'}."
        assert (handlers / "out" / "Rechnung März.pdf").read_bytes() == PDF
        assert (handlers / "out" / "Rechnung März (2).pdf").read_bytes() == PDF

        # Open: a private copy handed to xdg-open.
        await pilot.press("o")
        await settle(pilot)
        assert status(app) == "Opened Rechnung März.pdf with xdg-open."
        await wait_for(pilot, handlers / "opened-copy")
        assert (handlers / "opened-copy").read_bytes() == PDF
        opened = Path((handlers / "opened-path").read_text().strip())
        assert opened.name == "Rechnung März.pdf" and opened.parent.stat().st_mode & 0o077 == 0


async def test_no_handler_is_one_sentence_and_a_mailcap_rule_wins(
    dovecot_server, demo_store, handlers, monkeypatch
):
    cid = await synced(dovecot_server, demo_store, customer_mail(2))
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot, cid)
        monkeypatch.setenv("PATH", str(handlers / "empty"))
        await pilot.press("o")
        await settle(pilot)
        assert status(app) == (
            "Nothing on this machine opens application/pdf files (no xdg-open and no "
            "mailcap rule); save it (s) and open it yourself."
        )
        mailcap = handlers / "mailcap"
        mailcap.write_text(
            "image/*; false %s\n"
            "application/pdf; less %s; needsterminal\n"  # needs the terminal: skipped
            f"application/pdf; /bin/cp %s {handlers}/by-mailcap.pdf\n"
        )
        monkeypatch.setenv("MAILCAPS", str(mailcap))
        await pilot.press("o")
        await settle(pilot)
        assert status(app) == "Opened Rechnung März.pdf with its mailcap rule."
        await wait_for(pilot, handlers / "by-mailcap.pdf")
        assert (handlers / "by-mailcap.pdf").read_bytes() == PDF


async def test_hostile_names_are_shown_clean_and_saved_inside_the_folder(
    dovecot_server, demo_store, handlers
):
    hostile = "../../etc/passwd\x1b[31m\u202e.csv"
    raw = customer_mail(3, files=[(hostile, "text/csv", b"a;b\n")])
    cid = await synced(dovecot_server, demo_store, raw)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, cid)
        (row,) = [str(o.prompt) for o in screen.query_one("OptionList").options]
        assert "\x1b" not in row and "\u202e" not in row
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("Input").value = str(handlers / "safe")
        await pilot.press("enter")
        await settle(pilot)
        saved = os.listdir(handlers / "safe")
        assert len(saved) == 1 and "/" not in saved[0] and not saved[0].startswith(".")
        assert (handlers / "safe" / saved[0]).read_bytes() == b"a;b\n"
        assert status(app) == f"Saved to {handlers / 'safe' / saved[0]}."


async def test_a_file_that_was_not_kept_says_so_before_asking_for_a_folder(demo_store):
    """Walkthrough: s on a file that was never kept asked for a folder, then said it
    could not be saved."""
    from datetime import UTC, datetime

    from inbox_tui.incoming import Attachment, IncomingMessage
    from inbox_tui.ingest import Ingestor

    def add(session):
        big = Attachment("huge.zip", "application/zip", 90_000_000, status="too_large")
        return Ingestor(session).add(
            IncomingMessage(
                source="mail:import", external_id="big-1", message_id="<big-1@x.example>",
                subject="Our export", author_name="Ann", author_email="ann@x.example",
                sent_at=datetime(2026, 11, 18, 12, 0, tzinfo=UTC), body="Attached.",
                attachments=[big],
            )
        ).conversation_id  # fmt: skip

    cid = demo_store.run(add)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, cid)
        await pilot.press("s")
        await settle(pilot)
        assert app.screen is dialog  # no folder prompt
        assert status(app) == (
            "huge.zip cannot be saved: it was too large to keep (90,000,000 bytes)."
        )

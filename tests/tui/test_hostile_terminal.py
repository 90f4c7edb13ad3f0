"""Hostile subjects, names and bodies: shown as text, never interpreted, and no control
sequence from the data reaches the terminal. Checked on screen (Pilot) and in the raw
bytes the real app writes to a terminal (tmux pipe-pane), for mail-like messages and for
chat logs (JSON lines, Slack export, IRC) brought in by the real ``import chat``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.store import Store, sqlite_url
from tests.hostile import FORBIDDEN_TUI_BYTES, HOSTILE, assert_no_control_text, hostile_chat_logs
from tests.tmux import tmux_app
from tests.tui.conftest import make_app


def hostile_store(path: Path) -> Store:
    store = Store(sqlite_url(path))

    def work(s):
        ing = Ingestor(s)
        for i, (text, why) in enumerate(HOSTILE):
            ing.add(
                IncomingMessage(
                    source="t",
                    external_id=str(i),
                    message_id=f"<h{i}@evil.example>",
                    subject=text,
                    author_name=text[:40],
                    author_email=f"h{i}@evil.example",
                    sent_at=datetime(2026, 11, 18, 10, i, tzinfo=UTC),
                    body=f"{why}: {text}\n" + "A" * 100_000,
                )
            )

    store.run(work)
    return store


async def check_on_screen(store: Store, rows_to_visit: int) -> tuple[str, str]:
    """Open every conversation in Pilot; returns (list rows, first thread's text)."""
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        for _ in range(rows_to_visit):
            await pilot.press("enter")
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
            await pilot.press("escape", "j")
        assert app.is_running  # [@click=app.quit] did not quit
        rows = [app.main.conv_list.render_line(y).text for y in range(rows_to_visit)]
        await pilot.press("g", "enter")
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        thread_text = app.main.thread_view.plain_text()  # every line, as rendered
    lines = "\n".join(rows)
    assert_no_control_text(lines, "the conversation list")
    assert_no_control_text(thread_text, "the thread view")
    return lines, thread_text


async def test_hostile_text_renders_as_text(tmp_path):
    store = hostile_store(tmp_path / "h.db")
    lines, thread_text = await check_on_screen(store, len(HOSTILE))
    store.close()
    assert "[@click=app.quit]Click me[/]" in lines or "[@click=app.quit]Click me[/]" in thread_text
    assert "[link=https://evil.example]login[/link] [/" in lines


def raw_terminal_bytes(tmp_path: Path, db: Path, rows_to_visit: int) -> tuple[bytes, str]:
    """Run the real app in tmux on ``db``, open each row; returns (raw bytes, screen)."""
    raw = tmp_path / "raw.bin"
    home = tmp_path / "home"
    with tmux_app(
        f"hostile{int(time.time() * 1000) % 100000}",
        f"--db sqlite:///{db}",
        size=(120, 40),
        env={"HOME": str(home), "XDG_CONFIG_HOME": str(home)},
        raw=raw,
    ) as term:
        for row in range(rows_to_visit):
            term.press("Enter")
            term.press("Escape")
            if row < rows_to_visit - 1:
                term.press("j")
        screen = term.screen()
    data = raw.read_bytes()
    assert len(data) > 1000, "nothing was captured from the terminal"
    for needle in FORBIDDEN_TUI_BYTES:
        assert needle not in data, needle
    assert "inbox-tui" in screen
    return data, screen


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps")
def test_raw_terminal_bytes_carry_no_control_sequences_from_data(tmp_path):
    store = hostile_store(tmp_path / "h.db")
    store.close()
    raw_terminal_bytes(tmp_path, tmp_path / "h.db", len(HOSTILE))


def import_hostile_chat(tmp_path: Path) -> Path:
    db = tmp_path / "chat.db"
    for path in hostile_chat_logs(tmp_path / "logs"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "inbox_tui",
                "--db",
                f"sqlite:///{db}",
                "import",
                "chat",
                str(path),
            ],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    return db


async def test_hostile_chat_logs_render_as_text(tmp_path):
    db = import_hostile_chat(tmp_path)
    store = Store(sqlite_url(db))
    with store.read() as s:
        from sqlmodel import func, select

        from inbox_tui.models import Conversation

        n = s.exec(select(func.count()).select_from(Conversation)).one()
    assert n >= len(HOSTILE)
    lines, _ = await check_on_screen(store, min(n, 30))
    store.close()
    assert "[@click=app.quit]" in lines


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps")
def test_hostile_chat_logs_raw_terminal_bytes(tmp_path):
    db = import_hostile_chat(tmp_path)
    raw_terminal_bytes(tmp_path, db, 14)


async def test_hostile_text_in_the_side_panes_is_text(tmp_path):
    from textual.widgets import Static

    from inbox_tui.services import triage
    from inbox_tui.tui.widgets.side_pane import SidePane

    store = hostile_store(tmp_path / "h.db")
    # a hostile tag name too: tags are typed by agents, but also imported by macros
    store.run(lambda s: triage.tag(s, "tester", 1, "[red]x[/] \x1b]52;c;cHduZWQ=\x07"))
    app = make_app(store)
    seen = []
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        for key in ("G", "enter", "f5", "f2"):  # G: the oldest, "[@click=app.quit]…"
            await pilot.press(key)
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
            pane = app.main.query_one(SidePane)
            ol = pane.choices
            seen += [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
            seen += [str(w.render()) for w in pane.query(Static)]
        assert app.is_running
    store.close()
    text = "\n".join(seen)
    assert "[red]x[/]" in text  # shown, not interpreted
    assert "[@click=app.quit]Click me[/]" in text  # subject in the customer's history
    for bad in ("\x1b", "\x07", "\x9b", "\x9d", "\x9c", "\u202e"):
        assert bad not in text, repr(bad)


ARTICLE_MARK = "Hostile help ARTMARK"
MACRO_MARK = "MACROMARK reply"
RAW_EVIL = (
    "\x1b]52;c;cHduZWQ=\x07\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\\x9b2J\u202e\x1b[2J"
)


def store_with_raw_rows(db: Path) -> None:
    """Hostile conversations, plus an article, a macro and a customer address stored raw,
    as an older version (or someone editing the database) would have left them: the
    readers clean today, so only the way out can protect the screen from these."""
    import json

    from sqlalchemy import text

    from inbox_tui.models import Article, Macro

    store = hostile_store(db)

    def work(s):
        s.add(
            Article(
                slug="hostile",
                title=f"{ARTICLE_MARK} {RAW_EVIL}",
                description=f"bidi isolates marks markup action {RAW_EVIL}",
                category=RAW_EVIL,
                tags="bidi, marks",
                url=f"https://help.example/{RAW_EVIL}",
                body=f"bidi isolates and marks, markup action, clipboard {RAW_EVIL}",
                source_path=RAW_EVIL,
            )
        )
        s.add(
            Macro(
                slug="hostile",
                name=f"{MACRO_MARK} {RAW_EVIL}",
                body=f'Hi {{{{contact.first_name | fallback: "{RAW_EVIL}"}}}}, {RAW_EVIL}',
                actions=json.dumps({"add_tags": [f"t{RAW_EVIL}"]}),
                pinned=1,
            )
        )
        s.execute(text("UPDATE contact SET email = :e, name = :e"), {"e": f"x{RAW_EVIL}@e.com"})

    store.run(work)
    store.close()


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is installed by .ci/system-deps")
def test_c_h_m_and_search_paths_put_no_injected_sequence_on_the_terminal(tmp_path):
    """Issue 19 acceptance: a pty capture of the real app showing hostile conversations,
    articles and macros through ``c`` (customer search), ``h`` (article picker, then
    inserted into the composer), ``m`` (macro picker with its preview, then the
    composer) and ``/`` contains none of the injected sequences; the screens were
    really reached (their marks are on screen)."""
    db = tmp_path / "h.db"
    store_with_raw_rows(db)
    screens: dict[str, str] = {}
    data = b""
    paths = {
        "c": ["Enter", "c"],
        "h": ["Enter", "h", "=h", "Enter"],
        "m": ["Enter", "m", "=m", "Enter"],
        "/": ["/", "-l bidi"],
    }
    for name, steps in paths.items():
        raw = tmp_path / f"raw-{len(screens)}.bin"
        home = tmp_path / "home"
        with tmux_app(
            f"hostile{int(time.time() * 1000) % 100000}",
            f"--db sqlite:///{db}",
            size=(140, 45),
            env={"HOME": str(home), "XDG_CONFIG_HOME": str(home)},
            raw=raw,
        ) as term:
            for key in steps:
                if key.startswith("="):  # capture the screen here under this name
                    screens[key[1:]] = term.screen()
                elif key.startswith("-l "):
                    term.press(key[3:], literal=True)
                else:
                    term.press(key)
            screens[f"{name} done"] = term.screen()
        data += raw.read_bytes()
    assert len(data) > 4000, "nothing was captured from the terminal"
    for needle in FORBIDDEN_TUI_BYTES:
        assert needle not in data, needle
    assert "contact:" in screens["c done"] or "from:" in screens["c done"], screens["c done"]
    assert "ARTMARK" in screens["h"], screens["h"]  # the picker
    assert "ARTMARK" in screens["h done"], screens["h done"]  # inserted into the composer
    assert "MACROMARK" in screens["m"], screens["m"]  # the picker with its preview
    assert "Hi " in screens["m done"], screens["m done"]  # the macro's reply in the composer
    assert "bidi" in screens["/ done"], screens["/ done"]

"""Every widget the app can show, on a store whose every stored field an outsider can
write holds hostile text (subjects, names, bodies, addresses, an article, a macro, a
tag, an agent's name, a saved search, stored raw as an older version would have left
them): the whole screen is rendered after each key (list, thread, the four side panes,
h, m, c, t, a, M, v, S, ?, the search box) and no rendered cell holds a control
character, a C1 code or a bidi control from the data (issue 19)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from inbox_tui.store import Store, sqlite_url
from tests.tui.conftest import make_app
from tests.tui.test_hostile_terminal import RAW_EVIL, store_with_raw_rows
from tests.tui.test_triage_keys import settle

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def bad(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or ch in BIDI


def hostile_everything(db: Path) -> Store:
    store_with_raw_rows(db)
    store = Store(sqlite_url(db))
    with store.write() as s:
        s.execute(
            text("INSERT INTO agent (username, name, email, created_at) VALUES (:u, :n, :n, :t)"),
            {"u": "eve", "n": f"Eve {RAW_EVIL}", "t": "2026-01-01 00:00:00"},
        )
        s.execute(
            text("INSERT INTO savedsearch (name, query, scope) VALUES (:n, :q, 'all')"),
            {"n": f"view {RAW_EVIL}", "q": f"bidi {RAW_EVIL}"},
        )
    from inbox_tui.services import triage

    store.run(lambda s: triage.tag(s, "tester", 1, f"tag {RAW_EVIL}"))
    return store


STEPS = [
    ("list", []),
    ("thread", ["g", "enter"]),
    ("tags pane", ["f2"]),
    ("macros pane", ["f3"]),
    ("articles pane", ["f4"]),
    ("customer pane", ["f5"]),
    ("article picker", ["f5", "escape", "h"]),
    ("macro picker", ["escape", "m"]),
    ("customer search", ["escape", "c"]),
    ("tag picker", ["escape", "escape", "g", "t"]),
    ("assign picker", ["escape", "a"]),
    ("edit macro picker", ["escape", "M"]),
    ("views", ["escape", "v"]),
    ("stats", ["escape", "S"]),
    ("help", ["escape", "question_mark"]),
    ("search", ["escape", "slash", *"bidi"]),
    # #17: the undo toast names the tag it takes back (it was the raw tag name)
    ("undo toast", ["escape", "escape", "U"]),
    # #17: a covering pane names its conversation; the help's two columns
    ("covering pane", ["escape", "g", "f5"]),
]


async def test_no_widget_renders_control_characters_from_the_data(tmp_path):
    store = hostile_everything(tmp_path / "h.db")
    app = make_app(store)
    problems: list[str] = []
    rendered: dict[str, str] = {}
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot, 4)
        for name, keys in STEPS:
            if keys:
                await pilot.press(*keys)
            await settle(pilot, 4)
            lines = []
            for strip in app.screen._compositor.render_strips():
                line = "".join(seg.text for seg in strip)
                lines.append(line)
                for ch in line:
                    if bad(ch):
                        problems.append(f"{name}: {ch!r} in {line.strip()[:100]!r}")
                        break
            rendered[name] = "\n".join(lines)
        assert app.is_running
    store.close()
    assert not problems, "\n".join(problems[:20])
    # Not blind: the hostile rows were on screen where expected.
    assert "ARTMARK" in rendered["article picker"], rendered["article picker"]
    assert "MACROMARK" in rendered["macro picker"], rendered["macro picker"]
    assert "Eve" in rendered["assign picker"], rendered["assign picker"]
    assert "tag " in rendered["tag picker"], rendered["tag picker"]
    # Toasts (drawn on their own layer) are checked as the app shows them.
    toasts = [f"{n.title} {n.message}" for n in app._notifications]
    assert any(t.startswith(" Undone: tagging") for t in toasts), toasts
    assert not [t for t in toasts if any(bad(ch) for ch in t)], toasts


async def test_every_toast_is_plain_clean_text(tmp_path):
    """A toast from any screen goes through the app: markup is shown as text and
    control characters never reach the terminal, whatever the call site passed (#17)."""
    store = hostile_everything(tmp_path / "h.db")
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, 4)
        app.main.notify(f"[b]bold?[/b] {RAW_EVIL} [@click=app.quit]x[/]", title=f"T {RAW_EVIL}")
        await settle(pilot, 2)
        (toast,) = app._notifications
        shown = f"{toast.title} {toast.message}"
        assert "[b]bold?[/b]" in shown and not toast.markup, shown
        assert not [ch for ch in shown if bad(ch)], shown
        assert app.is_running
    store.close()


async def test_every_dialog_cleans_what_it_is_given(tmp_path):
    """The dialogs clean their own titles, questions, values and texts (#17): a caller
    that passed a subject, a file name or a server's sentence as it came put its
    control characters on the screen."""
    from inbox_tui.tui.screens.attachments import TextViewer
    from inbox_tui.tui.widgets.dialogs import Confirm, FuzzyPicker, PickItem, Prompt

    store = hostile_everything(tmp_path / "h.db")
    app = make_app(store)
    evil = f"Evil {RAW_EVIL} [b]markup[/b]"
    dialogs = [
        FuzzyPicker(evil, [PickItem("x", evil, evil)]),
        Prompt(evil, value=evil),
        Confirm(evil, [evil], [evil, evil]),
        TextViewer(evil, f"{evil}\n{evil}"),
    ]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, 4)
        for dialog in dialogs:
            app.push_screen(dialog)
            await settle(pilot, 2)
            lines = ["".join(seg.text for seg in s) for s in app.screen._compositor.render_strips()]
            shown = "\n".join(lines)
            assert "[b]markup[/b]" in shown, shown  # shown as text, not read as markup
            assert not [ch for ln in lines for ch in ln if bad(ch)], (type(dialog).__name__, shown)
            app.pop_screen()
            await settle(pilot, 2)
    store.close()

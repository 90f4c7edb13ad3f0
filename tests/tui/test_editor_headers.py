"""``r`` then ``ctrl+e``: an editor that wraps the To line (vim does at 72 columns in
mail files) must not put the header block into the reply (walk10 #3). A real editor
process (a script as the editor command) rewrites the file, as $EDITOR would."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui.models import Message
from tests.tui.conftest import make_app, make_config, settle
from tests.tui.test_triage_keys import current

SIZE = (100, 30)


def wrapping_editor(tmp_path: Path, indent: str) -> list[str]:
    """Adds Bob Boss to the To line, wraps it at 72 columns (continuing with ``indent``:
    "" is vim's default, whitespace RFC 5322 folding) and adds a line to the text."""
    script = tmp_path / "editor.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            path = sys.argv[1]
            head, body = open(path, encoding="utf-8").read().split("\\n\\n", 1)
            lines = head.split("\\n")
            to = lines[0] + ', "Bob Boss" <bob@acme.example>'
            cut = to.rindex(" ", 0, 72)
            lines[0] = to[:cut] + "\\n" + {indent!r} + to[cut + 1 :]
            out = "\\n".join(lines) + "\\n\\n" + body + "\\nWritten in the editor.\\n"
            open(path, "w", encoding="utf-8").write(out)
            """
        )
    )
    return [sys.executable, str(script)]


@pytest.mark.parametrize(
    ("indent", "said"),
    [("", "Changes to To were ignored"), ("  ", "Changes to To were ignored")],
)
async def test_a_wrapped_to_line_never_reaches_the_body(demo_store, tmp_path, indent, said):
    app = make_app(demo_store, config=make_config(editor_command=wrapping_editor(tmp_path, indent)))
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
        await pilot.press(*"Draft text", "ctrl+e")
        await settle(pilot, 5)
        composer = app.screen
        assert composer.text == "Draft text\nWritten in the editor."
        review = str(composer.query_one("#review-text").render())  # said in the review
        assert said in review, review
        await pilot.press("y")
        await settle(pilot, 5)
    with demo_store.read() as s:
        last = s.exec(
            select(Message).where(Message.conversation_id == row.id).order_by(Message.id.desc())
        ).first()
    assert last.body == "Draft text\nWritten in the editor."
    assert "bob@acme.example" not in (last.to_addrs or "")


async def test_a_note_edited_in_the_editor_comes_back_as_it_went(demo_store, tmp_path):
    """A note has no headers: ctrl+e added two blank lines above it each time."""
    script = tmp_path / "append.py"
    script.write_text(
        "import sys\npath = sys.argv[1]\n"
        "text = open(path, encoding='utf-8').read()\n"
        "open(path, 'w', encoding='utf-8').write(text + '\\nMore.\\n')\n"
    )
    config = make_config(editor_command=[sys.executable, str(script)])
    app = make_app(demo_store, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("enter", "n")
        await settle(pilot)
        await pilot.press(*"To: the team", "ctrl+e")
        await settle(pilot, 5)
        assert app.screen.text == "To: the team\nMore."


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_what_the_editor_says_does_not_cover_the_text(demo_store, tmp_path, size):
    """walk11 H: back from ctrl+e the composer is in its review, the text on top, and the
    notice about the headers was a toast over it. It is said in the review's lines,
    once: the next review (e, ctrl+s) does not say it again."""
    app = make_app(demo_store, config=make_config(editor_command=wrapping_editor(tmp_path, "")))
    async with app.run_test(size=size, notifications=True) as pilot:
        await current(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)
        await pilot.press(*"Draft text", "ctrl+e")
        await settle(pilot, 5)
        composer = app.screen
        assert composer.reviewing
        body = composer.query_one("TextArea").region
        toasts = [t.region for t in composer.query("Toast")]
        assert not any(t.overlaps(body) for t in toasts), (toasts, body)
        review = str(composer.query_one("#review-text").render())
        assert "Changes to To were ignored" in review
        await pilot.press("e", "ctrl+s")  # the next review: said once, not again
        await settle(pilot)
        assert composer.reviewing
        assert "Changes to To" not in str(composer.query_one("#review-text").render())

"""The app stays usable with 16 colours and with NO_COLOR: what the screen must tell apart
(the cursor row, focused or not; notes and messages; the presence and status markers; the
pane's highlighted choice) differs in characters or attributes, not only in colour.

Textual reads NO_COLOR when the App is created (it then filters every colour to grey)
and the colour system from ``TEXTUAL_COLOR_SYSTEM`` at import into
``textual.constants.COLOR_SYSTEM``, which the App's console is built with. The checks
read the composed screen (the lines the terminal would get, filters applied) and look
at it as the terminal would: colours downgraded to the 16 standard ones, or dropped.
"""

from __future__ import annotations

import pytest
from rich.color import ColorSystem
from rich.style import Style
from sqlmodel import select

from inbox_tui.models import Message
from inbox_tui.tui.widgets.side_pane import SidePane
from tests.tui.conftest import make_app
from tests.tui.test_triage_keys import current, settle

ATTRS = ("bold", "dim", "italic", "underline", "reverse", "strike")


def _seen(style: Style | None, mode: str) -> tuple:
    """What a terminal in ``mode`` ("16" or "none") shows of a style."""
    style = style or Style()
    attrs = tuple(bool(getattr(style, a)) for a in ATTRS)
    if mode == "none":
        return attrs
    color = style.color.downgrade(ColorSystem.STANDARD).number if style.color else None
    bg = style.bgcolor.downgrade(ColorSystem.STANDARD).number if style.bgcolor else None
    return (*attrs, color, bg)


def screen_cells(app, mode: str) -> list[list[tuple[str, tuple]]]:
    rows = []
    for strip in app.screen._compositor.render_strips():
        row = []
        for seg in strip:
            if seg.control:
                continue
            row += [(ch, _seen(seg.style, mode)) for ch in seg.text]
        rows.append(row)
    return rows


def row_look(app, y: int, mode: str, x0: int, x1: int) -> list[tuple]:
    """The cells of screen line ``y`` between x0 and x1, characters dropped: only how
    they look (so the same row can be compared with and without the cursor on it)."""
    return [look for _, look in screen_cells(app, mode)[y][x0:x1]]


@pytest.fixture(params=["16", "none"])
def mode(request, monkeypatch):
    if request.param == "16":
        import textual.constants

        monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", "1")
    return request.param


async def test_the_app_knows_its_colours_are_limited(demo_store, mode):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await current(pilot)
        if mode == "16":
            assert app.console.color_system == "standard"
        else:
            assert app.no_color
        assert app.main.conv_list._limited and app.main.query_one(SidePane).has_class("-mono")


async def _cursor_row_differs(app, pilot, mode) -> None:
    lst = app.main.conv_list
    region = lst.content_region
    y = region.y + lst.cursor - int(lst.scroll_y)
    with_cursor = row_look(app, y, mode, region.x, region.right)
    # the same row without the cursor: move away, look again
    lst.cursor += 1
    await settle(pilot)
    without = row_look(app, y, mode, region.x, region.right)
    lst.cursor -= 1
    await settle(pilot)
    assert with_cursor != without


async def test_cursor_row_stands_out_focused_and_unfocused(demo_store, mode):
    app = make_app(demo_store)
    async with app.run_test(size=(160, 48)) as pilot:  # wide: list and thread side by side
        await current(pilot)
        assert app.focused is app.main.conv_list
        await _cursor_row_differs(app, pilot, mode)
        await pilot.press("enter")  # the thread takes the keys; the list keeps its cursor
        await settle(pilot)
        assert app.focused is app.main.thread_view
        await _cursor_row_differs(app, pilot, mode)


async def test_notes_and_messages_look_different(demo_store, mode):
    with demo_store.read() as s:
        note = s.exec(select(Message).where(Message.direction == "note")).first()
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await current(pilot)
        app.main.open_conversation(note.conversation_id)
        await settle(pilot)
        tv = app.main.thread_view
        thread = tv.thread.messages
        bars = []
        for m in (next(m for m in thread if m.direction == "note"), thread[0]):
            line = tv.line_of(m.id)
            tv.scroll_to(y=line, animate=False, immediate=True)
            await settle(pilot)
            y = tv.content_region.y + line - int(tv.scroll_y)
            bars.append((screen_cells(app, mode)[y][tv.content_region.x], m.direction))
            if m.direction == "note":
                assert "internal note" in tv.render_line(y - tv.content_region.y).text
        (note_bar, _), (msg_bar, first) = bars
        assert first == "in" and note_bar != msg_bar  # a different bar glyph, whatever the colours


async def test_presence_and_status_markers_are_symbols(demo_store, mode):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await current(pilot)
        app.main.view = "all"  # every status on one screen
        app.main.reload()
        await settle(pilot)
        lst = app.main.conv_list
        row = lst.row_at(1)
        lst.presence = {row.id: [("Ann", "viewing")]}
        lst.refresh()
        await settle(pilot)
        region = lst.content_region
        lines = ["".join(ch for ch, _ in r) for r in screen_cells(app, mode)]
        shown = lines[region.y : region.y + 15]
        assert "◉" in shown[1] and "◉" not in shown[0] + shown[2]
        statuses = {lst.row_at(i).status: shown[i][region.x : region.x + 3] for i in range(15)}
        assert len(statuses) >= 3  # the demo mixes open, pending, closed, snoozed
        assert len(set(statuses.values())) == len(statuses)  # one symbol per status


async def test_pane_highlight_is_not_only_colour(demo_store, mode):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await current(pilot)
        await pilot.press("enter", "f3")  # macros: none is bold, the highlight must show
        await settle(pilot)
        ol = app.main.query_one(SidePane).choices
        region = ol.content_region
        look = [row_look(app, region.y + i, mode, region.x + 3, region.x + 12) for i in (0, 3)]
        assert ol.highlighted == 0 and look[0] != look[1]
        await pilot.press("escape")  # blurred: still visible
        await settle(pilot)
        look = [row_look(app, region.y + i, mode, region.x + 3, region.x + 12) for i in (0, 3)]
        assert look[0] != look[1]

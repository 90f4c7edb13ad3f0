"""walk10's small ones: the list's rows after a thread closes, a search error's whole
sentence, toasts and the composer, the article's cursor, the stats footer at 60."""

from __future__ import annotations

import pytest

from tests.tui.conftest import make_app, settle
from tests.tui.test_triage_keys import current


def shown_rows(app) -> tuple[int, int]:
    """(first row index shown, rows shown) of the conversation list."""
    rows = app.main.conv_list
    height = rows.scrollable_content_region.height
    top = int(rows.scroll_y)
    return top, min(height, rows.total - top)


async def test_closing_from_a_thread_keeps_the_rows_above_the_cursor_in_view(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await current(pilot)
        await pilot.press("j", "j", "j")
        await settle(pilot)
        rows = app.main.conv_list
        assert (rows.cursor, shown_rows(app)) == (3, (0, 20))
        # The thread covers the list at 80 columns; e closes and opens the next, Esc
        # comes back: the list had scrolled its cursor row to the top while hidden.
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("enter", "escape")
        await settle(pilot)
        assert rows.cursor == 3
        assert shown_rows(app) == (0, 20)


async def test_a_cursor_moved_while_the_list_was_hidden_is_in_view_when_it_shows(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await current(pilot)
        await pilot.press("enter")  # the thread covers the list at 80 columns
        await settle(pilot)
        rows = app.main.conv_list
        assert rows.scrollable_content_region.height == 0
        rows.cursor = rows.total - 1  # as a refresh moving it to its row's new place
        await pilot.press("escape")
        await settle(pilot)
        # the cursor's row is the last shown, the rows above it fill the list
        assert shown_rows(app) == (rows.total - 20, 20)


@pytest.mark.parametrize("width", [60, 80])
async def test_a_search_error_is_read_whole_at_60_and_80_columns(demo_store, width):
    app = make_app(demo_store)
    async with app.run_test(size=(width, 24)) as pilot:
        await current(pilot)
        await pilot.press("slash", *"before:2026-13-45")
        await settle(pilot)
        status = app.main.query_one("#status")
        sentence = str(status.render())
        assert sentence.endswith("09:30 or 3d."), sentence
        # every word of it on screen: the lines the status line shows, joined
        lines = [strip.text.strip() for strip in status.render_lines(status.region.reset_offset)]
        assert " ".join(x for x in lines if x) == sentence, lines


async def test_an_article_from_f4_leaves_the_cursor_on_the_greeting_line_above_it(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await current(pilot)
        await pilot.press("slash", *"export dates")
        await settle(pilot)
        await pilot.press("enter", "enter", "f4")
        await settle(pilot)
        await pilot.press("enter")  # the first article, into a new reply
        await settle(pilot)
        body = app.screen.query_one("TextArea")
        assert body.text.startswith("\n\n") and "export-csv" in body.text
        assert body.cursor_location == (0, 0)  # it was after the article
        await pilot.press(*"Hi Ana,")
        assert body.text.startswith("Hi Ana,\n\n")


async def test_a_text_that_comes_before_the_composer_has_mounted_keeps_its_cursor(
    demo_store, monkeypatch
):
    """Under load the starting text (an article's, with the cursor on the greeting line)
    can arrive between the composer's compose and its mount; the mount put the cursor at
    the end after it (the article test above failed 1 in 3 at load 9)."""
    from inbox_tui.tui.screens.composer import Composer

    mounted = Composer.on_mount

    def text_first(self):
        if self.waiting:  # as a fast read does: the text is here before the mount runs
            self.fill("\n\nThe article.\nMore of it.\n", cursor=0)
        mounted(self)

    monkeypatch.setattr(Composer, "on_mount", text_first)
    # The store's own text comes after the mount (so the fill above is the first).
    from inbox_tui.services import compose
    from tests.tui.test_typing_flow import slow

    slow(monkeypatch, compose, "start_reply", 1.0)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        body = app.screen.query_one("TextArea")
        assert body.text.startswith("\n\nThe article.")
        assert body.cursor_location == (0, 0)


async def test_the_stats_footer_drops_the_palettes_key_when_made_narrower(demo_store):
    """walk10: at 60 columns the Stats footer read "3 6 mont▏^p Command palette" once
    the terminal was made narrower on that screen (started narrow, it fitted)."""
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot, 5)

        def keys() -> list[str]:
            footer = app.screen.query_one("KeysFooter")
            return [str(k.render()).strip() for k in footer.query("FooterKey")]

        assert any("palette" in k for k in keys())  # it fits at 80
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        shown = keys()
        assert not any("palette" in k for k in shown), shown
        footer = app.screen.query_one("KeysFooter")
        assert sum(k.region.width for k in footer.query("FooterKey")) <= 60
        assert shown[-1] == "? Help"


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (160, 48)])
async def test_toasts_do_not_cover_the_text_being_written(demo_store, size):
    """walk10: a toast sat over the composer's text (Textual puts them bottom right,
    where the composer is); they go to the top, over the thread."""
    app = make_app(demo_store)
    async with app.run_test(size=size, notifications=True) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Line one", "enter", *"Line two")
        await pilot.press("ctrl+s")  # the review: its lines at the bottom too
        await pilot.press("e")
        await settle(pilot)
        for n in range(2):  # two at once (the second is a longer one)
            app.screen.notify(f"Something happened elsewhere {n}. " * (n + 1), timeout=30)
        await settle(pilot)
        body = app.screen.query_one("TextArea").region
        toasts = [t.region for t in app.screen.query("Toast")]
        assert len(toasts) == 2
        assert not any(t.overlaps(body) for t in toasts), (toasts, body)

"""The low defects walk8 found (#17, README-only walkthrough in tmux): what a key does is
what the screen shows. Each test failed on the code before its fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox_tui.services.agent_clock import agent_time
from inbox_tui.tui.widgets.dialogs import FuzzyPicker
from tests.tui.conftest import NOW, make_app, settle
from tests.tui.test_triage_keys import conv

SIZE = (100, 30)


def rows(picker: FuzzyPicker) -> list[str]:
    from textual.widgets import OptionList

    ol = picker.query_one(OptionList)
    return [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]


def highlighted(picker: FuzzyPicker) -> int | None:
    from textual.widgets import OptionList

    return picker.query_one(OptionList).highlighted


async def open_snooze(pilot, app, typed: str) -> FuzzyPicker:
    await pilot.press("z")
    await settle(pilot)
    picker = app.screen
    assert isinstance(picker, FuzzyPicker)
    await pilot.press(*typed)
    await settle(pilot)
    return picker


@pytest.mark.parametrize(
    ("typed", "reads", "until"),
    # NOW is Wednesday 2026-11-18 15:30 UTC
    [
        ("3h", "in 3 hours", NOW + timedelta(hours=3)),
        ("90 min", "in 1 hour 30 minutes", NOW + timedelta(minutes=90)),
        ("tomorrow 9", "in 17 hours 30 minutes", NOW.replace(day=19, hour=9, minute=0)),
        ("2d", "in 2 days", NOW + timedelta(days=2)),
    ],
)
async def test_the_snooze_pickers_first_row_is_the_typed_time_as_understood(
    demo_store, typed, reads, until
):
    """walk8: with "3h" typed the first (highlighted) row was still a preset ("1 hour"
    or "4 hours"), while Enter snoozed for 3 hours: the row Enter takes is now the
    typed time as it will be read, with its wake time on the agent's clock."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.query_one("#list").current_row().id
        picker = await open_snooze(pilot, app, typed)
        first = rows(picker)[0]
        assert reads in first and agent_time(until, app.main.zone) in first, rows(picker)
        assert highlighted(picker) == 0
        await pilot.press("enter")
        await settle(pilot, 5)
        c = conv(demo_store, cid)
        assert c.status == "snoozed"
        assert c.snoozed_until.replace(tzinfo=NOW.tzinfo) == until


async def test_down_then_enter_takes_the_row_below_the_typed_time(demo_store):
    """What Enter does is the highlighted row: moving down from the typed time to a
    preset takes that preset (Enter took the typed time whatever was highlighted)."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.query_one("#list").current_row().id
        picker = await open_snooze(pilot, app, "tomorrow 2pm")
        assert "Thu 19 Nov 14:00" in rows(picker)[0], rows(picker)
        preset = next(i for i, r in enumerate(rows(picker)) if r.startswith("  Tomorrow 09:00"))
        assert preset > 0
        await pilot.press(*["down"] * preset)
        await settle(pilot)
        assert highlighted(picker) == preset
        await pilot.press("enter")
        await settle(pilot, 5)
        assert conv(demo_store, cid).snoozed_until.replace(tzinfo=NOW.tzinfo) == NOW.replace(
            day=19, hour=9, minute=0
        )


async def test_text_that_is_not_a_time_yet_says_so_in_the_first_row(demo_store):
    """A text that reads as a time but is not one ("3 hourz") is refused by Enter: the
    first row says so, and no preset is highlighted for Enter to seem to take."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.query_one("#list").current_row().id
        picker = await open_snooze(pilot, app, "3 hourz")
        assert "not a snooze time" in rows(picker)[0], rows(picker)
        assert highlighted(picker) is None
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is picker
        assert conv(demo_store, cid).status != "snoozed"


async def test_the_send_at_pickers_first_row_is_the_typed_time_too(demo_store, smtp_server):
    """The same class in the review's ``w``: "3h" typed showed "Now" first while Enter
    scheduled 3 hours ahead."""
    from datetime import UTC, datetime

    from inbox_tui.tui.app import InboxApp
    from tests.tui.test_core_loop_day4 import SMALL, _reviewing, mail_settle
    from tests.tui.test_review_step import ME, smtp_config

    now = datetime.now(UTC).replace(microsecond=0)
    app = InboxApp(demo_store, smtp_config(smtp_server), ME, clock=lambda: now)
    async with app.run_test(size=SMALL) as pilot:
        await _reviewing(pilot, app)
        await pilot.press("w", *"3h")
        await mail_settle(pilot)
        picker = app.screen
        assert isinstance(picker, FuzzyPicker)
        first = rows(picker)[0]
        assert "in 3 hours" in first, rows(picker)
        assert agent_time(now + timedelta(hours=3), app.main.zone) in first
        assert highlighted(picker) == 0


def header_lines(app) -> list[str]:
    """The header's lines as the screen shows them."""
    from tests.tui.test_walk6_lows import _screen_lines

    top = app.main.query_one("#top").region
    return [line.strip() for line in _screen_lines(app)[top.y : top.y + top.height]]


async def search_in(pilot, app, view: str, query: str, *keys: str) -> list[str]:
    app.main.show_view(view)
    await settle(pilot)
    await pilot.press("slash", *query, *keys, "enter")
    await settle(pilot, 5)
    return header_lines(app)


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (160, 48)])
async def test_a_search_in_everything_offers_no_tab_to_everything(demo_store, size):
    """walk8: searching in Everything, the header offered "Tab: Everything" (Tab there
    has no other scope to go to); in a view it offers the other scope only."""
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        top = " ".join(await search_in(pilot, app, "all", "invoice"))
        assert "Search: invoice in Everything (" in top and "Tab:" not in top, top
        top = " ".join(await search_in(pilot, app, "open", "invoice"))
        assert "in All open (" in top and "Tab: Everything" in top, top
        pilot.app.main.query_one("#search").value = ""
        top = " ".join(await search_in(pilot, app, "open", "invoice", "tab"))
        assert "in Everything (" in top and "Tab: All open" in top, top


@pytest.mark.parametrize(
    ("size", "view", "most"),
    [
        ((80, 24), "needs-reply", 1),  # it wrapped "· tester" onto a second line
        ((160, 48), "needs-reply", 1),
        ((60, 20), "open", 1),  # "· Tab:" / "Everything · tester"
        ((60, 20), "needs-reply", 2),
    ],
)
async def test_the_header_takes_as_few_lines_as_it_can(demo_store, size, view, most):
    """walk8: the header wrapped at 80 columns during a search, and split "Tab:" from
    the scope it names at 60. It now leaves out the app's name when that saves a line,
    and breaks only between its parts, so each is read whole."""
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        lines = await search_in(pilot, app, view, "invoice")
        assert len(lines) <= most, lines
        assert all(not line.endswith(("Tab:", "·")) for line in lines), lines
        joined = " ".join(lines)
        assert "Search: invoice in " in joined and "Tab: Everything" in joined, lines
        assert lines[-1].endswith("· tester"), lines


async def open_file_prompt(pilot, app):
    from inbox_tui.tui.screens.review import PathPrompt

    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press(*"See the file", "ctrl+s")
    await settle(pilot)
    await pilot.press("f")
    await settle(pilot)
    assert isinstance(app.screen, PathPrompt), app.screen
    return app.screen


@pytest.mark.parametrize("how", ["absolute", "home"])
async def test_tab_completes_an_absolute_or_home_path_typed_at_once(
    demo_store, tmp_path, monkeypatch, how
):
    """walk8: in the file prompt, "/tmp/fo" then Tab, typed at once, gave "/tmp/mp/fo"
    and "~/" Tab gave "~//": Tab was a priority binding, run before the letters typed
    ahead of it had reached the box. It now runs in the order typed."""
    from tests.tui.test_core_loop_day3 import burst

    home = tmp_path / "home"  # the demo's store is in tmp_path
    (home / "folder").mkdir(parents=True)
    (home / "folder" / "report-2026.csv").write_text("a;b\n")
    monkeypatch.setenv("HOME", str(home))
    typed = f"{home}/folder/rep" if how == "absolute" else "~/folder/rep"
    want = typed.removesuffix("rep") + "report-2026.csv"
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        prompt = await open_file_prompt(pilot, app)
        await burst(pilot, *typed, "tab")
        await settle(pilot)
        assert prompt.query_one("Input").value == want
        await burst(pilot, "ctrl+u", *typed.removesuffix("folder/rep"), "tab")
        await settle(pilot)
        assert prompt.query_one("Input").value == typed.removesuffix("rep")  # "…/folder/"


async def test_tab_in_a_folder_of_hidden_files_says_so(demo_store, tmp_path, monkeypatch):
    """walk8's home folder held only dot files: "~/" Tab said "Nothing here starts like
    that." with files there; it says how to list them."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("")
    monkeypatch.setenv("HOME", str(home))
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        prompt = await open_file_prompt(pilot, app)
        await pilot.press(*"~/", "tab")
        await settle(pilot)
        said = str(prompt.query_one("#path-choices").render())
        assert "Only hidden files here: type . to list them." in said, said
        await pilot.press(".", "tab")
        await settle(pilot)
        assert prompt.query_one("Input").value == "~/.bashrc"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_help_screen_scrolls_with_every_usual_key(demo_store, size):
    """walk8: ``?`` scrolled only with PgDn and End (j, k, Up, Down, Home, PgUp and
    space did nothing). Each now scrolls, and the help's last line says which keys do."""
    from textual.containers import VerticalScroll

    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        assert type(help_screen).__name__ == "HelpScreen"
        box = help_screen.query_one(VerticalScroll)
        assert box.max_scroll_y > 2

        async def after(*keys: str) -> float:
            await pilot.press(*keys)
            await settle(pilot)
            return box.scroll_y

        steps = [
            ("j", lambda y, was: y == was + 1),
            ("down", lambda y, was: y == was + 1),
            ("k", lambda y, was: y == was - 1),
            ("up", lambda y, was: y == was - 1),
            ("home", lambda y, was: y == 0),
            ("space", lambda y, was: y > was + 1),
            ("pageup", lambda y, was: y == 0),
            ("pagedown", lambda y, was: y > was + 1),
            ("end", lambda y, was: y == box.max_scroll_y),
            ("g", lambda y, was: y == 0),
            ("G", lambda y, was: y == box.max_scroll_y),
        ]
        await after("j", "j")  # off the top, so k and up have somewhere to go
        for key, moved in steps:
            was = box.scroll_y
            y = await after(key)
            assert moved(y, was), (key, was, y)
        assert app.screen is help_screen
        footer = help_screen.query_one("#help-keys")
        assert box.region.bottom <= footer.region.y < app.size.height  # under the scroll
        assert str(footer.render()).startswith("j/k ↑↓ scroll · Space PgDn PgUp page · g/G")


async def test_the_notes_tab_completes_a_name_typed_in_the_same_burst(demo_store):
    """The same class as the file prompt's Tab, in the note editor: "please @zo" Tab
    "look" at once gave "please @zo  look" (the priority Tab ran before the letters were
    in, so nothing was offered, and the text area indented)."""
    from inbox_tui.services import core
    from tests.tui.test_core_loop_day3 import burst

    demo_store.run(core.ensure_agent, "zoltan")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await burst(pilot, *"please @zo", "tab", *"look")
        await settle(pilot)
        assert app.screen.text == "please @zoltan look"
        await burst(pilot, "tab")  # no name offered: Tab indents, as before
        await settle(pilot)
        assert app.screen.text.startswith("please @zoltan look") and app.screen.text != (
            "please @zoltan look"
        )


async def test_the_text_viewer_pages_with_space_as_the_help_does(demo_store):
    """The same keys in the other long read (an attachment's text, an HTML source):
    Space pages down there too (it did nothing; j/k, g/G, PgDn already moved)."""
    from inbox_tui.tui.screens.attachments import TextViewer

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.push_screen(TextViewer("app.log", "\n".join(f"line {n}" for n in range(200))))
        await settle(pilot)
        area = app.screen.query_one("#viewer-text")
        await pilot.press("space")
        await settle(pilot)
        assert area.cursor_location[0] > 10 and area.scroll_y > 10
        assert area.text.startswith("line 0\nline 1\n")  # nothing typed into it

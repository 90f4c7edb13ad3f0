"""What opening a thread no longer does again (#22): wrap the messages it wrapped the last
time, and restyle the thread view for the ``-reading`` class, whose rules only show
and hide; and that neither shortcut shows anything different."""

from __future__ import annotations

import dataclasses

import pytest

from inbox_tui.tui import restyle
from inbox_tui.tui.restyle import set_state_class
from inbox_tui.tui.widgets import thread_view as tv
from tests.tui.conftest import make_app, settle
from tests.tui.test_long_thread import long_thread


def _count_calls(monkeypatch, owner, name: str) -> list[object]:  # type: ignore[no-untyped-def]
    calls: list[object] = []
    real = getattr(owner, name)

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0] if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


async def test_opening_a_thread_again_wraps_none_of_its_messages(demo_store, monkeypatch):
    """Esc and Enter again: the messages' lines are the ones laid out the first time
    (only the header, with who is here and the customer's clock, is laid out again)."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        first = app.main.thread_view.plain_text()
        await pilot.press("escape")
        await settle(pilot)
        wrapped = _count_calls(monkeypatch, tv, "message_text")
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.has_class("-reading")
        assert wrapped == []
        assert app.main.thread_view.plain_text() == first


async def test_a_message_read_again_with_other_words_is_laid_out_anew(demo_store):
    """The lines kept are those of the message as it was read: the same id read again
    with another body (or any other field) is wrapped again."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        view = app.main.thread_view
        thread = view.thread
        last = thread.messages[-1]
        changed = dataclasses.replace(last, body="Words nobody wrote before: zebra quartz.")
        view.show(dataclasses.replace(thread, messages=[*thread.messages[:-1], changed]))
        await settle(pilot)
        assert "zebra quartz" in view.plain_text()


async def test_a_theme_change_paints_the_kept_lines_in_the_new_colours(demo_store):
    """The thread's lines carry the view's colours from when they were laid out: a new
    theme lays them out again, so no line keeps the old background."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        view = app.main.thread_view
        before = view.rich_style.bgcolor
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await settle(pilot)
        after = view.rich_style.bgcolor
        assert after != before
        lines = view.render_lines(view.size.region)
        backgrounds = {
            seg.style.bgcolor for line in lines for seg in line if seg.style and seg.text.strip()
        }
        assert before not in backgrounds


async def test_reading_shows_and_hides_as_a_full_restyle_would(demo_store, monkeypatch):
    """``-reading`` only sets ``display``: toggling it resolves that one property on the
    nodes its rules can select, never restyling the thread view and its five component
    classes. At every width, with the pane and without, what is shown is what a full
    restyle of the screen gives."""
    for size in ((80, 24), (120, 40), (160, 40)):
        app = make_app(demo_store)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            main = app.main
            for pane in (False, True):
                main.set_class(pane, "-pane")  # a full restyle, as the app does
                await settle(pilot)
                for add in (True, False, True, False):
                    applied = _count_calls(monkeypatch, type(app.stylesheet), "apply")
                    set_state_class(main, add, "-reading")
                    monkeypatch.undo()
                    assert applied == [], (size, pane, add)
                    shown = {id(n): n.styles.display for n in main.walk_children(with_self=True)}
                    app.stylesheet.update(main)
                    again = {id(n): n.styles.display for n in main.walk_children(with_self=True)}
                    assert shown == again, (size, pane, add)


def test_a_class_whose_rules_set_more_than_display_is_restyled_in_full():
    """The shortcut is only taken for rules that set nothing but ``display``."""

    class Rule:
        def __init__(self, **rules: object) -> None:
            self.styles = type("S", (), {"get_rules": lambda _self: dict(rules)})()

    assert restyle._only_sets([Rule(display="none")], restyle.RESOLVED_ALONE)
    assert not restyle._only_sets([Rule(display="none"), Rule(width=3)], restyle.RESOLVED_ALONE)


async def test_opening_again_paints_the_same_scrollbar_without_rendering_it(
    demo_store, monkeypatch
):
    """The thread's scrollbar at the top of the same thread is the bar painted the time
    before; scrolling moves the thumb, and the bar is rendered again for it."""
    from textual.scrollbar import ScrollBar

    cid = long_thread(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(80, 16)) as pilot:
        await settle(pilot)
        for _ in range(2):  # the first Esc styles the new bar from the CSS
            app.main.open_conversation(cid)
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        bar = app.main.thread_view.vertical_scrollbar
        assert bar.display and bar.window_size < bar.window_virtual_size  # a long thread
        top = bar.render_lines(bar.size.region)
        await pilot.press("escape")
        await settle(pilot)
        rendered = _count_calls(monkeypatch, ScrollBar, "render")
        app.main.open_conversation(cid)
        await settle(pilot)
        assert rendered == []
        assert bar.render_lines(bar.size.region) == top
        await pilot.press("pagedown")
        await settle(pilot)
        assert rendered  # the thumb moved: drawn again
        assert bar.render_lines(bar.size.region) != top


async def test_opening_renders_none_of_the_screen_background(demo_store, monkeypatch):
    """The focus moving to the thread used to make the screen render its own background
    again, line by line, under widgets that cover all of it."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main
        lines = _count_calls(monkeypatch, type(main._styles_cache), "render_line")
        await pilot.press("enter")
        await settle(pilot)
        assert main.has_class("-reading") and main.thread_view.has_focus
        assert main._styles_cache not in lines


async def test_the_same_thread_shown_again_is_painted_from_its_last_paint(demo_store, monkeypatch):
    """Reopened, the thread's styled lines (border, padding, colours) are the ones
    painted the last time; a scroll, or someone else opening it (the header), paints
    what changed."""
    cid = long_thread(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        view = app.main.thread_view
        painted = _record_view_paints(monkeypatch, view)
        app.main.open_conversation(cid)
        await settle(pilot)
        top = painted[-1]
        await pilot.press("escape")
        await settle(pilot)
        styled = _count_calls(monkeypatch, type(view._styles_cache), "render_line")
        app.main.open_conversation(cid)
        await settle(pilot)
        assert view._styles_cache not in styled
        assert painted[-1] == top
        view.set_viewers({cid: [("Ann Other", "viewing")]})
        await settle(pilot)
        assert any("Ann Other is viewing" in line for line in painted[-1])
        await pilot.press("pagedown")
        await settle(pilot)
        assert "Ann Other is viewing" not in "".join(painted[-1])
        assert painted[-1] != top


def _record_view_paints(monkeypatch, view) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The text of the view's lines at each of its paints from now on."""
    painted: list[list[str]] = []
    real = view.render_lines

    def recorded(crop):  # type: ignore[no-untyped-def]
        lines = real(crop)
        painted.append([line.text for line in lines])
        return lines

    monkeypatch.setattr(view, "render_lines", recorded)
    return painted


async def test_the_lines_kept_stay_within_their_bound(demo_store, monkeypatch):
    """The oldest messages' lines are forgotten past ``KEPT_LINES`` (memory stays
    bounded however many threads are read), and what is shown is unchanged."""
    monkeypatch.setattr(tv, "KEPT_LINES", 12)
    cid = long_thread(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        view = app.main.thread_view
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        shown = view.plain_text()  # lays out every message read, forgetting as it goes
        assert view._kept_lines == sum(len(lines) for _, lines in view._kept.values())
        assert 0 < view._kept_lines <= 12
        numbers = [m.body for m in view.thread.messages]
        assert len(numbers) > 6 and all(number in shown for number in numbers)


async def test_the_first_thread_opened_is_laid_out_and_painted_once(demo_store):
    """The first thread longer than the screen opened in a new app: the view, hidden
    since the start, learned that it needs its scrollbar only in the layout that showed
    it, so the screen was laid out and painted again in the next frames (three paints,
    every visible message wrapped twice). Now one layout and one paint, and what it
    shows is what a second layout of the screen shows: the bar beside lines wrapped to
    the width left of it."""
    cid = long_thread(demo_store)
    for size in ((120, 40), (80, 24)):
        app = make_app(demo_store)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            main, view = app.main, app.main.thread_view
            layouts = _count_calls(pytest.MonkeyPatch(), main, "_refresh_layout")
            painted = _record_view_paints(pytest.MonkeyPatch(), view)
            main.open_conversation(cid, when_read=True)  # as Enter on its row
            await settle(pilot)
            assert main.has_class("-reading")
            assert (len(layouts), len(painted)) == (1, 1), size
            bar = view.vertical_scrollbar
            assert view.show_vertical_scrollbar and bar.display
            assert bar.window_virtual_size == view.virtual_size.height > bar.window_size
            shown = painted[-1]
            main.refresh(layout=True)
            view._width = 0  # laid out again from nothing at the width it has
            view.refresh()
            await settle(pilot)
            assert painted[-1] == shown, size


async def test_what_the_first_open_works_out_once_is_ready_before_it(demo_store):
    """Once the first page is painted, the rules the reading class and the focus
    change need (restyle's caches) and the thread's scrollbar exist: the first thread
    opened in the app no longer works them out inside its frame, and uses them as
    they are."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rules = app.stylesheet.rules
        naming = restyle._cache.get("-reading")
        assert naming is not None and naming[0] is rules and naming[1]
        assert restyle._focus_cache and restyle._focus_cache[0][0] is rules
        compounds = restyle._focus_cache[0][1]
        bar = app.main.thread_view._vertical_scrollbar
        assert bar is not None and not bar.display
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.has_class("-reading")
        assert restyle._cache["-reading"] is naming
        assert restyle._focus_cache[0][1] is compounds
        assert app.main.thread_view._vertical_scrollbar is bar


async def test_the_footer_paints_its_kept_lines_again(demo_store, monkeypatch):
    """The key hints switch between the list's and the thread's at every Enter and Esc:
    the second time each is the line painted before (not rendered again), and it is
    the line a fresh render gives; a new theme renders it anew."""
    from textual.widget import Widget
    from textual.widgets import Static

    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = app.main.query_one("#keys", Static)
        for key in ("enter", "escape"):
            await pilot.press(key)
            await settle(pilot)
        rendered = _count_calls(monkeypatch, Static, "render_lines")
        for key, words in (("enter", "Back"), ("escape", "Open")):
            await pilot.press(key)
            await settle(pilot)
            assert keys not in rendered, key
            painted = keys.render_lines(keys.outer_size.region)
            assert words in painted[0].text
            assert Widget.render_lines(keys, keys.outer_size.region) == painted  # rendered afresh
        before = keys.render_lines(keys.outer_size.region)
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await settle(pilot)
        assert keys in rendered
        assert keys.render_lines(keys.outer_size.region) != before

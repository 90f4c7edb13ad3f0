"""The core loop, second pass (#17, tried again at 80x24): each test drives the app with
keys as the agent did and failed on the code before its fix."""

from __future__ import annotations

from tests.tui.conftest import make_app, settle
from tests.tui.test_triage_keys import conv, tags_of

SMALL = (80, 24)


def lst(app):
    return app.main.query_one("#list")


def plain(widget) -> str:
    return str(widget.render())


async def _pick_view(pilot, app, view_id: str) -> None:
    app.main.query_one("#views").highlighted = None
    await pilot.press("v")
    await settle(pilot)
    views = app.main.query_one("#views")
    index = next(i for i, o in enumerate(views._options) if o.id == view_id)
    views.highlighted = index
    await pilot.press("enter")
    await settle(pilot)


async def test_a_selection_out_of_sight_after_a_search_touches_nothing(demo_store):
    """x on a row, search for something else, open a found thread, t: only the open
    thread is tagged; the selection that left the list is cleared and the agent told."""
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _pick_view(pilot, app, "mine")
        picked = lst(app).current_row().id
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("slash", *"from:kenji", "tab", "enter")
        await settle(pilot)
        assert not lst(app).selected  # the selected row is out of this list
        assert any("selection" in n.message.lower() for n in app._notifications)
        opened = lst(app).current_row().id
        assert opened != picked
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"pricing", "enter")
        await settle(pilot)
        assert "pricing" in tags_of(demo_store, opened)
        assert "pricing" not in tags_of(demo_store, picked)
        await pilot.press("escape")  # back to the results: a selection made here shows
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        top = app.main.query_one("#top")
        assert "1 selected" in top.render_line(0).text  # at 80 columns, beside the query


async def _close_with_e(pilot, app) -> None:
    from inbox_tui.tui.widgets.dialogs import FuzzyPicker

    await pilot.press("e")
    await settle(pilot)
    if isinstance(app.screen, FuzzyPicker):  # no category yet: close without one
        await pilot.press(*"Skip", "enter")
        await settle(pilot)


async def test_close_and_next_opens_the_row_that_was_just_below(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for _ in range(2):
            await pilot.press("down")
        await settle(pilot)
        rows = [lst(app).row_at(i).id for i in range(2, 6)]
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.open_id == rows[0]
        await _close_with_e(pilot, app)
        assert app.main.open_id == rows[1]
        await _close_with_e(pilot, app)  # and again: no drift
        assert app.main.open_id == rows[2]


async def test_each_toast_shows_once(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"pricing", "enter")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        tagged = [m for m in shown if m.startswith("Tagged")]
        assert len(tagged) == 1, shown


def test_no_screen_handler_runs_twice_through_the_mro():
    """Textual dispatches on_X to every class in the MRO that defines it: a handler that
    chains with super() must stop the walk, else it runs again (every toast twice)."""
    import inspect

    from inbox_tui.tui.screens.main import MainScreen

    defined: dict[str, list[type]] = {}
    for cls in MainScreen.__mro__:
        for name in cls.__dict__:
            if name.startswith("on_"):
                defined.setdefault(name, []).append(cls)
    for name, classes in defined.items():
        if len(classes) > 1:
            for cls in classes:
                assert "prevent_default()" in inspect.getsource(cls.__dict__[name]), (
                    f"{cls.__name__}.{name}"
                )


async def test_a_typo_in_the_snooze_box_is_refused_and_the_dialog_stays(demo_store):
    from inbox_tui.tui.widgets.dialogs import FuzzyPicker

    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        row = lst(app).current_row()
        await pilot.press("z")
        await settle(pilot)
        assert isinstance(app.screen, FuzzyPicker)
        await pilot.press(*"3 hourz", "enter")
        await settle(pilot)
        assert isinstance(app.screen, FuzzyPicker)  # kept, with one sentence
        assert "not a snooze time" in str(app.screen.query_one("#picker-error").render())
        assert not any(n.message.startswith("Snoozed") for n in app._notifications)
        # Once edited, the sentence was about another text (walk7: it stayed until Enter)
        await pilot.press("backspace")
        await settle(pilot)
        assert not app.screen.query("#picker-error")
        await pilot.press("escape")
        await settle(pilot)
        assert conv(demo_store, row.id).snoozed_until is None


def test_typed_snooze_reads_times_and_leaves_words_to_the_filter():
    from datetime import UTC, datetime

    import pytest

    from inbox_tui.when import typed_snooze

    now = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
    assert typed_snooze("3h", now) == "3h"
    assert typed_snooze("3 hours", now) == "3 hours"
    assert typed_snooze("week", now) is None
    with pytest.raises(ValueError, match="not a snooze time"):
        typed_snooze("3 hourz", now)


async def test_escape_from_a_search_goes_back_to_the_row_it_started_from(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("down")
        await settle(pilot)
        start = lst(app).current_row().id
        await pilot.press("slash", *"refund")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert lst(app).current_row().id == start


async def test_escape_from_the_customers_conversations_goes_back_to_the_view_and_row(
    demo_store,
):
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _pick_view(pilot, app, "mine")
        for _ in range(2):
            await pilot.press("down")
        await settle(pilot)
        start = lst(app).current_row().id
        await pilot.press("c")
        await settle(pilot)
        assert app.main.query_text  # the customer's conversations, in everything
        await pilot.press("escape")
        await settle(pilot)
        assert app.main.view == "mine"
        assert not app.main.query_text
        assert lst(app).current_row().id == start


async def test_j_and_k_move_in_the_stats_drill_down_and_the_views_list(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        table = app.screen.query_one("#agents")
        table.move_cursor(row=table.row_count - 1, column=1)  # the team's replies
        await pilot.press("enter")
        await settle(pilot)
        listing = app.screen.query_one("#drill-list")
        assert listing.option_count > 2
        start = listing.highlighted
        await pilot.press("j", "j")
        assert listing.highlighted == start + 2
        await pilot.press("k")
        assert listing.highlighted == start + 1
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        views = app.main.query_one("#views")
        start = views.highlighted or 0
        await pilot.press("j")
        assert views.highlighted == start + 1


async def test_closing_several_asks_in_plain_english(demo_store):
    from inbox_tui.tui.widgets.dialogs import Confirm, FuzzyPicker

    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("x", "x", "e")
        await settle(pilot)
        if isinstance(app.screen, FuzzyPicker):
            await pilot.press(*"Skip", "enter")
            await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert app.screen.question == "Close these 2 conversations?"

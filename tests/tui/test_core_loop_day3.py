"""The core loop, third pass (#17, what the last walkthrough still found): each test
drives the app with keys as the agent did and failed on the code before its fix."""

from __future__ import annotations

import pytest

from tests.tui.conftest import make_app, settle

SMALL = (80, 24)


def lst(app):
    return app.main.query_one("#list")


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _pick_view(pilot, app, view_id: str) -> None:
    await pilot.press("v")
    await settle(pilot)
    views = app.main.query_one("#views")
    views.highlighted = next(i for i, o in enumerate(views._options) if o.id == view_id)
    await pilot.press("enter")
    await settle(pilot)


# -- 1. a saved view keeps its scope through a rename ---------------------------------------


@pytest.mark.parametrize("taken", [False, True])
async def test_a_renamed_view_keeps_the_scope_it_was_saved_with(demo_store, taken):
    """A search saved in Pending, renamed with R while shown: the list must still be the
    search within Pending. A refused rename (the name is taken) must not switch the list
    to the other view, nor to everything."""
    from inbox_tui.services import views as sv

    demo_store.run(sv.save_view, "Other", "zzz-nothing-matches", "all")
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _pick_view(pilot, app, "pending")
        await pilot.press("slash", *"the")
        await settle(pilot)
        saved_total = lst(app).total
        everywhere = demo_store.run(
            lambda s: sv.count_conversations(s, sv.resolve_filter("all", "the", "tester"))
        )
        assert 0 < saved_total < everywhere  # the scope makes a difference
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press(*"Mine", "enter")
        await settle(pilot)
        await _pick_view(pilot, app, "saved:Mine")
        assert lst(app).total == saved_total
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        await pilot.press(*["backspace"] * 10, *("Other" if taken else "Renamed"), "enter")
        await settle(pilot, 5)
        await pilot.press("escape", "ctrl+r")  # the view list away, then refresh
        await settle(pilot, 5)
        assert app.main.view == ("saved:Mine" if taken else "saved:Renamed")
        assert lst(app).total == saved_total
        names = [v.name for v in demo_store.run(sv.list_saved_views)]
        assert names == (["Mine", "Other"] if taken else ["Other", "Renamed"])
        if not taken:
            await _pick_view(pilot, app, "saved:Renamed")
            assert lst(app).total == saved_total


def test_a_saved_view_that_is_gone_is_not_read_as_everything():
    """resolve_filter read a saved view it did not know as a search over everything, so
    a view renamed or deleted (by another agent too) showed every conversation under its
    old name."""
    from inbox_tui.services.views import resolve_filter

    with pytest.raises(ValueError, match="no saved view called “Gone”"):
        resolve_filter("saved:Gone", "", "tester", {})


# -- 4. sentences about what an action did ------------------------------------------------


async def test_bulk_questions_toasts_and_undo_read_as_sentences(demo_store):
    """'closed on 2 conversations', 'Assign to you on these 2 conversations?': every
    question, toast and undo notice is worded through services/wording."""
    from inbox_tui.tui.widgets.dialogs import Confirm

    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("x", "x", "i")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert app.screen.question == "Assign these 2 conversations to you?"
        await pilot.press("y")
        await settle(pilot, 5)
        assert "Assigned 2 conversations to you." in toasts(app)
        await pilot.press("U")
        await settle(pilot, 5)
        undone = [m for m in toasts(app) if m.startswith("Undone")]
        assert undone and undone[-1].startswith("Undone: assigning 2 conversations to tester (“")
        row = lst(app).current_row()
        await pilot.press("t", *"pricing", "enter")
        await settle(pilot, 5)
        assert f"Tagged “{row.subject[:50]}” with pricing." in toasts(app), toasts(app)


def test_an_action_without_a_place_for_its_conversations_is_refused():
    from inbox_tui.services import wording

    with pytest.raises(ValueError):
        wording.report("Closed", 2)
    assert wording.report("Closed {on}", 1) == "Closed 1 conversation."
    assert (
        wording.question("Snooze {on} until Thu?", 3) == "Snooze these 3 conversations until Thu?"
    )
    assert wording.actions(["tagging {on} with a", "closing {on}"], 2) == (
        "tagging 2 conversations with a and closing them"
    )

"""The core loop, fourth pass (#17, walk2's open defects): each test drives the app with
keys as the agent did and failed on the code before its fix."""

from __future__ import annotations

from sqlmodel import func, select

from inbox_tui.models import Conversation
from tests.tui.conftest import make_app, settle
from tests.tui.test_core_loop_day3 import burst

SMALL = (80, 24)


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def closed_count(store) -> int:
    with store.read() as s:
        return s.exec(
            select(func.count()).select_from(Conversation).where(Conversation.status == "closed")
        ).one()


async def _views_on(pilot, app, view_id: str):
    await pilot.press("v")
    await settle(pilot)
    views = app.main.query_one("#views")
    views.highlighted = next(i for i, o in enumerate(views._options) if o.id == view_id)
    await settle(pilot)
    return views


# -- 2. the views panel's rename ------------------------------------------------------


async def test_rename_keeps_the_old_name_with_the_cursor_at_its_end(demo_store):
    """walk2: typing into the rename prompt replaced the prefilled name (it was selected
    whole, invisibly). It stays, with the cursor after it, as in any editor."""
    from textual.widgets import Input

    from inbox_tui.services import views as sv

    demo_store.run(sv.save_view, "Exports", "export", "open")
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _views_on(pilot, app, "saved:Exports")
        await pilot.press("R")
        await settle(pilot)
        box = app.screen.query_one(Input)
        assert (box.value, box.cursor_position) == ("Exports", len("Exports"))
        await pilot.press(*" 2026", "enter")
        await settle(pilot, 5)
    assert [v.name for v in demo_store.run(sv.list_saved_views)] == ["Exports 2026"]


async def test_rename_with_the_new_name_typed_at_once(demo_store):
    """walk2: R and a name typed at once: the letters acted on the list behind (e closed
    a conversation) instead of going into the prompt."""
    from inbox_tui.services import views as sv

    demo_store.run(sv.save_view, "Exports", "export", "open")
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _views_on(pilot, app, "saved:Exports")
        before = closed_count(demo_store)
        await burst(pilot, "R", *" weekly", "enter")
        await settle(pilot, 5)
        assert not any("Only saved views" in t for t in toasts(app)), toasts(app)
        assert app.screen is app.main, app.screen
    assert [v.name for v in demo_store.run(sv.list_saved_views)] == ["Exports weekly"]
    assert closed_count(demo_store) == before

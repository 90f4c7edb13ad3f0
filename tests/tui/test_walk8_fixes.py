"""Defects a README-only walkthrough (walk8, on the merged main of stop 30) found; each
test failed on the code before its fix."""

from __future__ import annotations

import pytest

from inbox_tui.services.drafts import get_draft
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_cursor_keeps import ids_shown, on_row


async def wait_until(pilot, done, tries: int = 60) -> None:
    for _ in range(tries):
        if done():
            break
        await pilot.pause(0.1)
    await settle(pilot)


def draft_text(store, cid: int) -> str | None:
    with store.read() as s:
        found = get_draft(s, ME, cid)  # its text
    return found


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_text_typed_before_two_escapes_is_kept_as_a_draft(demo_store, size):
    """walk8 (high): ``Enter r 'Sofia two' Escape Escape`` at once kept no draft: the
    composer's Esc was a priority binding, run before the letters typed ahead of it had
    gone into the text (they were still on their way to the text box)."""
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        cid = on_row(app)
        await burst(pilot, "enter", "r", *"Sofia two", "escape", "escape")
        await wait_until(pilot, lambda: draft_text(demo_store, cid) == "Sofia two")
        assert draft_text(demo_store, cid) == "Sofia two"
        assert type(app.screen).__name__ == "MainScreen"


async def test_a_key_typed_after_the_escape_is_for_the_list_not_the_text(demo_store):
    """Esc now runs in the order typed, inside the text box: the key behind it still goes
    to the list (it moved the cursor before), not into the closed composer's text."""
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first, second = ids_shown(app)[:2]
        await burst(pilot, "r", *"abc", "escape", "j")
        await wait_until(
            pilot, lambda: draft_text(demo_store, first) == "abc" and on_row(app) == second
        )
        assert draft_text(demo_store, first) == "abc"
        assert on_row(app) == second


async def test_enter_on_a_filter_that_matches_nothing_says_so(demo_store):
    """walk8: ``z next blursday Enter`` emptied the snooze choices and Enter did nothing,
    with no sentence; editing the text takes the sentence away."""
    from inbox_tui.tui.widgets.dialogs import FuzzyPicker

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await wait_until(pilot, lambda: isinstance(app.screen, FuzzyPicker))
        await pilot.press(*"next blursday", "enter")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, FuzzyPicker)
        said = str(picker.query_one("#picker-error").render())
        assert "Nothing here matches “next blursday”" in said, said
        await pilot.press("backspace")
        await settle(pilot)
        assert not picker.query("#picker-error")

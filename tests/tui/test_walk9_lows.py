"""Low defects a README-only walkthrough (walk9, stop 30) and walk8 left open; each test
failed on the code before its fix."""

from __future__ import annotations

import pytest
from textual import events

from inbox_tui.services.drafts import get_draft, save_draft
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_cursor_keeps import on_row
from tests.tui.test_typing_flow import slow
from tests.tui.test_walk8_fixes import wait_until


def draft_text(store, cid: int) -> str | None:
    with store.read() as s:
        return get_draft(s, ME, cid)


def composer_text(app) -> str | None:
    if type(app.screen).__name__ != "Composer":
        return None
    return app.screen.query_one("TextArea").text


# -- 1. keys typed while a kept draft loads land where they would typed slowly --------------

# (keys typed after r, what the text is once the draft "hello" has come)
TYPED = [
    ((*" more",), "hello more"),  # walk9: "hello\n\n more"
    (("enter", *"more"), "hello\nmore"),
    (("backspace", *"p!"), "hellp!"),  # the draft's last letter, as typed slowly
    (("left", "left", "X"), "helXlo"),
]


@pytest.mark.parametrize(("keys", "expected"), TYPED)
async def test_keys_typed_onto_a_loading_draft_land_as_typed_slowly(
    demo_store, monkeypatch, keys, expected
):
    """walk9: a fast `` more`` typed right after ``r`` onto the kept draft "hello" read
    "hello\\n\\n more" (the typed text was joined to the draft as a paragraph), typed slowly
    "hello more". Every key typed while the draft loads acts as it would once it has."""
    from inbox_tui.services import compose

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cid = on_row(app)
        demo_store.run(save_draft, ME, cid, "hello")
        slow(monkeypatch, compose, "start_reply", 0.5)
        await burst(pilot, "r", *keys)
        await wait_until(pilot, lambda: composer_text(app) == expected)
        assert composer_text(app) == expected
        await burst(pilot, "escape")
        await wait_until(pilot, lambda: draft_text(demo_store, cid) == expected)
        assert draft_text(demo_store, cid) == expected


async def test_text_pasted_onto_a_loading_draft_lands_after_it(demo_store, monkeypatch):
    """A paste while the kept draft loads goes where the cursor will be, in its order
    among the keys typed around it."""
    from inbox_tui.services import compose

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cid = on_row(app)
        demo_store.run(save_draft, ME, cid, "hello")
        slow(monkeypatch, compose, "start_reply", 0.5)
        await burst(pilot, "r", "space")
        paste = events.Paste("pasted")
        paste.set_sender(app)
        app._driver.send_message(paste)
        await burst(pilot, *"!")
        await wait_until(pilot, lambda: composer_text(app) == "hello pasted!")
        assert composer_text(app) == "hello pasted!"


async def test_escape_before_the_draft_arrives_keeps_the_text_as_typed_slowly(
    demo_store, monkeypatch
):
    """Esc while the kept draft still loads: what was typed is kept after it, as it would
    have been typed there ("hello more", not "hello\\n\\n more")."""
    from inbox_tui.services import compose

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cid = on_row(app)
        demo_store.run(save_draft, ME, cid, "hello")
        slow(monkeypatch, compose, "start_reply", 1.5)
        await burst(pilot, "r", *" more")
        await pilot.pause(0.3)
        assert composer_text(app) is not None  # still loading: the typed text is shown
        await burst(pilot, "escape")
        await wait_until(pilot, lambda: draft_text(demo_store, cid) == "hello more")
        assert draft_text(demo_store, cid) == "hello more"


# -- 2. no notice saying what is no longer so --------------------------------------------------


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_ctrl_s_while_the_draft_loads_opens_the_review_with_no_stale_notice(
    demo_store, monkeypatch
):
    """walk9: "The review opens as soon as the text has loaded" stayed on screen (3 s)
    with the review already up. ctrl+s now waits for the text like every key typed
    meanwhile: nothing to announce, and the review shows the whole text."""
    from inbox_tui.services import compose

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cid = on_row(app)
        demo_store.run(save_draft, ME, cid, "hello")
        slow(monkeypatch, compose, "start_reply", 0.5)
        await burst(pilot, "r", *" more", "ctrl+s")
        await wait_until(pilot, lambda: getattr(app.screen, "reviewing", False))
        assert app.screen.reviewing
        assert not [n for n in notices(app) if "review opens" in n], notices(app)
        assert composer_text(app) == "hello more"


async def test_keys_typed_right_after_e_in_the_review_go_into_the_text(demo_store):
    """Found with the test above: in the review, ``e`` then ``!`` at once lost the "!" (it
    reached the text box, still read-only, before the "e" had bubbled up to the review),
    also on the text typed slowly. The review's keys now run in the order typed."""
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"hello", "ctrl+s")
        await wait_until(pilot, lambda: getattr(app.screen, "reviewing", False))
        await burst(pilot, "e", *" again")
        await wait_until(pilot, lambda: composer_text(app) == "hello again")
        assert composer_text(app) == "hello again"
        await burst(pilot, "ctrl+s", "escape", *"!")  # Esc: back to the text, in order
        await wait_until(pilot, lambda: composer_text(app) == "hello again!")
        assert composer_text(app) == "hello again!"

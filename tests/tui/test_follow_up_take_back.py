"""walk10 #1 on screen: ``F``, the bug, the macro, ``y``, then ``B`` within the undo
delay takes back the newest follow-up ("nothing was sent"), and ``F`` again counts that
conversation as not followed up (it said "all … were followed up already", so its
customer never heard)."""

from __future__ import annotations

from inbox_tui.services import buglinks
from tests.tui.conftest import make_app, make_config, settle


def bug_and_app(store):
    """A bug none of whose conversations was followed up, and an app with a 10 s undo
    delay."""
    config = make_config()
    config.mail.undo_seconds = 10
    with store.read() as s:
        (bug,) = [k for k in buglinks.known_refs(s) if k.followed == 0][:1]
    return bug, make_app(store, config=config)


async def follow_up(pilot, bug) -> None:
    """``F``, the bug, the macro "fixed", up to the confirmation (not answered)."""
    await settle(pilot)
    await pilot.press("F")
    await settle(pilot)
    await pilot.press(*bug.ref, "enter")
    await settle(pilot)
    await pilot.press(*"fixed", "enter")
    await settle(pilot)


async def test_f_then_b_leaves_that_conversation_to_follow_up(demo_store):
    bug, app = bug_and_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_up(pilot, bug)
        assert app.screen.__class__.__name__ == "Confirm"
        await pilot.press("y")
        await settle(pilot, 5)
        await pilot.press("B")
        await settle(pilot, 5)
        told = [str(n.message) for n in app._notifications]
        assert any("nothing was sent" in t for t in told), told
        await pilot.press("escape")  # the composer B opened: the draft is kept
        await settle(pilot, 3)
        await pilot.press("F")
        await settle(pilot)
        row = str(app.screen.query_one("OptionList").get_option_at_index(0).prompt)
        assert f"{bug.linked} linked · {bug.linked - 1} followed up already" in row, row
    with demo_store.read() as s:
        known = {k.ref: k for k in buglinks.known_refs(s)}
        assert len(buglinks.linked(s, bug.ref)) - len(buglinks.followed_up(s, bug.ref)) == 1
    assert known[bug.ref].followed == bug.linked - 1


async def test_b_after_f_leaves_no_follow_up_count_that_no_longer_holds(demo_store):
    """walk11 K: after ``F`` … ``y`` then ``B``, the status line kept "13 of 13
    follow-ups queued" while one of them had been taken back."""
    bug, app = bug_and_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await follow_up(pilot, bug)
        await pilot.press("y")
        await settle(pilot, 5)
        status = app.main.query_one("#status")
        assert "follow-ups queued" in str(status.render())  # the count was said
        await pilot.press("B")
        await settle(pilot, 5)
        line = str(status.render())
        assert "follow-ups queued" not in line, line
        assert "Took back your" in line and "nothing was sent" in line, line

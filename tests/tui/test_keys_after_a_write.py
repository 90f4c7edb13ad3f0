"""walk6: a key typed right behind an action that moves the conversation out of the view
acts on the row that takes its place, not on the one just acted on (``e t`` typed at
once opened "Tag #238" for the conversation just closed, and its Enter removed the
closed conversation's category)."""

from __future__ import annotations

from inbox_tui.models import Conversation, TagKind
from inbox_tui.services import triage
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_cursor_keeps import SIZE, down, ids_shown


async def test_e_then_t_at_once_tags_the_next_conversation(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        acted = await down(pilot, 2)
        shown = ids_shown(app)
        below = shown[shown.index(acted) + 1]
        demo_store.run(triage.ensure_tag, "bug", TagKind.CATEGORY)
        demo_store.run(triage.tag, ME, acted, "bug")  # a category: e closes at once
        await pilot.press("ctrl+r")
        await settle(pilot)
        await burst(pilot, "e", "t")
        await settle(pilot, 5)
        for _ in range(30):  # the t waits for the list read again after the close
            if app.screen is not app.main:
                break
            await pilot.pause(0.1)
        await settle(pilot)
        with demo_store.read() as s:
            assert s.get(Conversation, acted).status == "closed"
        toasts = [n.message for n in app._notifications]
        title = app.screen.title_text if app.screen is not app.main else str(toasts)
        assert f"#{below}" in title and f"#{acted}" not in title, title


async def test_a_key_typed_with_a_reply_sent_from_the_list_acts_on_the_next_row(demo_store):
    """The same for a reply: sent from the list it makes the conversation pending, so it
    leaves the Open view. ``s`` typed in the same burst as the send opened Status on the
    conversation just answered (a reply was not a triage ``Flow``, whose writes alone held
    keys); every write from the main screen holds them now."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        acted = await down(pilot, 2)
        shown = ids_shown(app)
        below = shown[shown.index(acted) + 1]
        await pilot.press("r")
        await settle(pilot)
        await burst(pilot, *"Thanks, sorted!", "ctrl+s", "y", "s")
        await settle(pilot, 5)
        for _ in range(30):
            if getattr(app.screen, "title_text", "").startswith("Status"):
                break
            await pilot.pause(0.1)
        with demo_store.read() as s:
            assert s.get(Conversation, acted).status == "pending"
        title = app.screen.title_text
        assert f"#{below}" in title and f"#{acted}" not in title, title

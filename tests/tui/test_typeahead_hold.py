"""Keys typed ahead of a screen that is still opening are held until it has mounted and
taken the focus, then typed to it in the order typed (``tui/typeahead.py``)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import make_app
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_triage_keys import SIZE, settle


@pytest.mark.parametrize("run", range(5))
async def test_e_then_a_category_and_enter_in_one_burst_closes_with_it(demo_store, run):
    """walk2: e, "feature" and Enter at once sometimes left the category question open
    and empty (the keys held for it were lost). Every run must close with the category."""
    from inbox_tui.models import Conversation
    from tests.tui.test_insight_flows import uncategorised_open
    from tests.tui.test_triage_keys import tags_of

    (cid,) = uncategorised_open(demo_store, 1)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await burst(pilot, "e", *"feature", "enter")
        await settle(pilot)
        assert app.screen is app.main, getattr(app.screen, "title_text", app.screen)
    with demo_store.read() as s:
        assert s.get(Conversation, cid).status == "closed"
    assert "feature request" in tags_of(demo_store, cid)


async def test_a_macro_its_blank_and_the_confirmation_typed_in_one_burst(demo_store):
    """m, the macro's name, Enter, the blank's answer, Enter and y at once: each key
    reaches the step that was up when it would have been typed one by one (the keys
    after an Enter went into the box the Enter closed)."""
    from sqlmodel import select

    from inbox_tui.models import Message

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        keys = ["m", *"Escalate to engineering", "enter", *"https://bugs.example/9", "enter"]
        await burst(pilot, *keys, "y")
        await settle(pilot, 6)
        assert app.screen is app.main, getattr(app.screen, "title_text", app.screen)
    with demo_store.read() as s:
        notes = s.exec(
            select(Message.body).where(Message.conversation_id == cid, Message.direction == "note")
        ).all()
    assert any("https://bugs.example/9" in n for n in notes), notes


async def test_e_then_letters_and_esc_in_one_burst_closes_nothing_and_acts_nowhere(demo_store):
    """Esc typed with the keys held for the category question cancels it: the letters
    before it never reach the list behind (f would open Forward), nothing closes."""
    from inbox_tui.models import Conversation
    from tests.tui.test_insight_flows import uncategorised_open

    (cid,) = uncategorised_open(demo_store, 1)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await burst(pilot, "e", *"feat", "escape")
        await settle(pilot)
        assert app.screen is app.main, app.screen
        assert any("Nothing was closed" in n.message for n in app._notifications)
    with demo_store.read() as s:
        assert s.get(Conversation, cid).status == "open"


@pytest.mark.parametrize("run", range(3))
async def test_arrows_then_enter_in_one_burst_pick_what_the_arrows_reached(demo_store, run):
    """walk3, walk4: "z Down Down Enter" at once snoozed for the first preset (1 hour):
    Down ran its binding after bubbling up, once the Enter behind it had submitted. The
    collision dialog's "Down Enter" sent the reply that way."""
    from datetime import UTC, timedelta

    from inbox_tui.models import Conversation
    from tests.tui.conftest import NOW

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await burst(pilot, "z", "down", "down", "enter")
        await settle(pilot)
        if app.screen is not app.main:  # a bulk or confirmation question: say yes
            await burst(pilot, "y")
            await settle(pilot)
    with demo_store.read() as s:
        until = s.get(Conversation, cid).snoozed_until
    assert until is not None
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    # The third preset, "Tomorrow 09:00 UTC" (the app's clock is the demo's NOW), not
    # the first (1 hour) nor the second (4 hours).
    assert until == (NOW + timedelta(days=1)).replace(hour=9, minute=0), until


async def test_text_ctrl_s_and_y_in_one_burst_save_the_text_as_typed(demo_store):
    """walk3, walk4: "r", the text, ctrl+s and "y" at once put the "y" into the text
    ("Burst reply testy"): ctrl+s ran its binding after the letters behind it had gone
    in. The same composer writes notes, which need no mail account here."""
    from sqlmodel import select

    from inbox_tui.models import Message

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await burst(pilot, "n", *"Burst note test", "ctrl+s", "y")
        await settle(pilot, 6)
        composer = app.screen
        text = composer.query_one("TextArea").text if composer is not app.main else ""
        assert app.screen is app.main, (getattr(composer, "reviewing", None), text)
    with demo_store.read() as s:
        notes = s.exec(
            select(Message.body).where(Message.conversation_id == cid, Message.direction == "note")
        ).all()
    assert "Burst note test" in notes, notes

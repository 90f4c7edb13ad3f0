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

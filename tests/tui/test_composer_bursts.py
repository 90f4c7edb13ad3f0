"""Text typed in one burst with the key that opens an empty composer arrives whole and in
order (walk2: r then A…Z gave "OPQRSTUVWXYZABCDEFGHIJKLMN": the cursor went back to the
start when the composer filled in its (empty) draft)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import make_app
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_triage_keys import SIZE, settle


@pytest.mark.parametrize("key", ["r", "n"])
async def test_a_burst_into_an_empty_composer_keeps_its_order(demo_store, key):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        await burst(pilot, key, *text)
        await settle(pilot)
        area = app.screen.query_one("TextArea")
        assert area.text.rstrip("\n").endswith(text) or text in area.text, area.text
        assert text in area.text


async def test_a_burst_after_e_never_reaches_the_list_behind(demo_store):
    """walk2: e then "feature" and Enter at once: the f opened Forward on the list behind
    while the store was asked whether a category is needed. Now the keys are held for
    the question. Known (see the closing note): depending on timing the held keys can
    still be lost, leaving the question open and empty; they never act behind it."""
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
        screen = app.screen
        if screen is not app.main:  # the question, never Forward or another dialog
            assert screen.title_text.startswith("Category for #"), screen.title_text
            return
    with demo_store.read() as s:
        assert s.get(Conversation, cid).status == "closed"
    assert "feature request" in tags_of(demo_store, cid)

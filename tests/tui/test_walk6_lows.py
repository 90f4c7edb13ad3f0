"""walk5/walk6's small wrong outcomes (#17), each driven with keys as the agent did; each
failed before its fix."""

from __future__ import annotations

from textual.widgets import Input

from tests.tui.conftest import make_app, settle
from tests.tui.test_insight_flows import demo_burst

SIZE = (80, 24)


async def _incident_name_prompt(pilot):
    app = pilot.app
    await settle(pilot)
    await pilot.press("I")  # the burst's conversations, and what to do with them
    await settle(pilot)
    await pilot.press("enter")  # Confirm as an incident…
    await settle(pilot)
    prompt = app.screen
    assert prompt.__class__.__name__ == "Prompt", prompt
    return prompt


async def _question_after_no_macro(pilot) -> str:
    """From the macro picker: no macro, no bug; the confirmation's question."""
    app = pilot.app
    picker = app.screen
    assert picker.title_text.startswith("Answer all "), picker.title_text
    await pilot.press(*"No macro", "enter")
    await settle(pilot)
    assert app.screen.title_text.startswith("Bug or ticket"), app.screen.title_text
    await pilot.press("enter")  # none
    await settle(pilot)
    return app.screen.question


async def test_the_incident_name_typed_replaces_the_suggestion(demo_store):
    """walk6 #7: the box held the suggested name as real text, so "Outage" typed made
    "calendar sync stopped workingOutage"."""
    demo_burst(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        prompt = await _incident_name_prompt(pilot)
        box = prompt.query_one(Input)
        assert box.value == "" and "calendar sync" in box.placeholder  # shown, not typed
        await pilot.press(*"Outage")
        await settle(pilot)
        assert box.value == "Outage"
        await pilot.press("enter")
        await settle(pilot)
        question = await _question_after_no_macro(pilot)
    assert "“Outage” (tag incident:outage)" in question, question


async def test_enter_on_the_incident_name_takes_the_suggestion(demo_store):
    demo_burst(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        prompt = await _incident_name_prompt(pilot)
        suggested = prompt.query_one(Input).placeholder
        await pilot.press("enter")
        await settle(pilot)
        question = await _question_after_no_macro(pilot)
    assert f"Confirm the incident “{suggested}” (tag incident:" in question, question

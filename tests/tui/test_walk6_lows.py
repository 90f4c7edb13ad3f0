"""walk5/walk6's small wrong outcomes (#17), each driven with keys as the agent did; each
failed before its fix."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Input, OptionList

from tests.tui.conftest import NOW, make_app, settle
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


@pytest.fixture
def forwarded(smtp_server, sqlite_store, tmp_path):
    """INV-2291 from the customer, forwarded whole, a note and a reply with files
    (test_attachments_by_message; seeded outside the test's event loop)."""
    from tests.test_attachments_by_message import _seed

    return sqlite_store, _seed(sqlite_store, tmp_path, smtp_server)


async def test_every_attachment_row_has_its_date_at_80_columns(forwarded):
    """walk6 #10: in ``P`` a forward's rows ("forward by Sam Carter") had no date where
    the customer's rows beside them had one: the date was the first thing dropped."""
    store, cid = forwarded
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)  # pending, after the reply
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot, 5)
        ol = app.screen.query_one(OptionList)
        rows = [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
    whose = ["from Priya", "from Priya", "forward by Sam", "forward by Sam", "note by", "reply by"]
    assert len(rows) == len(whose) and all(w in r for w, r in zip(whose, rows, strict=True)), rows
    dated = [r for r in rows if re.search(r", \d\d [A-Z][a-z]{2} \d\d:\d\d$", r)]
    assert dated == rows, rows


async def _choose(pilot, view: str) -> None:
    pilot.app.main.choose_view(view)
    await settle(pilot, 5)


@pytest.mark.parametrize("size", [(160, 48), (120, 36)])
async def test_an_empty_list_shows_no_conversation_beside_it(demo_store, size):
    """An empty Mentions view (and a search that finds nothing) still previewed the
    conversation the list before it had under the cursor: at 160 columns the thread
    beside the list. At 120 columns the side pane (F5, the customer's card) already
    followed the empty list: kept as the guard of the whole class."""
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, 5)
        main = app.main
        if size[0] < 140:
            await pilot.press("f5")  # the pane beside the list, about the cursor's row
            await settle(pilot, 5)
            await pilot.press("escape")  # back to the list, the pane stays
            await settle(pilot)
        first = main.conv_list.current_row().id
        assert main.pane_target() == first
        if size[0] >= 140:
            assert main.thread_view.thread.conversation.id == first
        for empty in ("mentions", "search"):
            if empty == "mentions":
                await _choose(pilot, "mentions")
            else:
                await _choose(pilot, "open")
                assert main.pane_target() == first
                await pilot.press("slash", *"zzqqxxnothing", "enter")
                await settle(pilot, 5)
            assert main.conv_list.total == 0, empty
            assert main.pane_target() is None, empty
            assert main.thread_view.thread is None, empty
            if main.pane_shown():
                assert "No conversation is highlighted" in str(
                    main.side_pane.query_one("#pane-head").render()
                ), empty


def _screen_lines(app) -> list[str]:
    """The screen's lines, without the scroll bar at their right end."""
    lines = ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]
    return [re.sub(r"[▁▂▃▄▅▆▇█]+\s*$", "", line) for line in lines]


SIZES = [(60, 20), (80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES)
async def test_the_send_at_choices_say_their_hint_whole(demo_store, smtp_server, size):
    """The `w` choices' "Another time…" hint was cut at every width ("… 09:00 (your …"):
    picker hints are cut at 60 characters, and it had 65."""
    from inbox_tui.services.schedule import SEND_AT_HINT
    from inbox_tui.tui.app import InboxApp
    from tests.tui.test_core_loop_day4 import _reviewing, mail_settle
    from tests.tui.test_review_step import ME, smtp_config

    app = InboxApp(demo_store, smtp_config(smtp_server), ME, clock=lambda: NOW)
    async with app.run_test(size=size) as pilot:
        await _reviewing(pilot, app)
        await pilot.press("w")
        await mail_settle(pilot)  # the IMAP watch runs on
        assert app.screen.__class__.__name__ == "FuzzyPicker"
        box = app.screen.query_one(OptionList).content_region  # the choices, on screen
        lines = _screen_lines(app)[box.y : box.bottom]
        shown = " ".join(" ".join(line[box.x : box.right].split()) for line in lines)
    assert "…" not in SEND_AT_HINT
    assert " ".join(SEND_AT_HINT.split()) in shown, shown


@pytest.mark.parametrize("size", SIZES)
async def test_the_stats_title_is_read_whole(demo_store, size):
    """The Stats screen's title (period, incidents, its keys) wraps: every word of it is
    on screen at 60, 80 and 160 columns (a guard: it wrapped already on this main)."""
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot, 5)
        title = str(app.screen.query_one("#title").render())
        shown = " ".join(" ".join(line.split()) for line in _screen_lines(app))
    assert title.endswith("Tab next table or map"), title
    assert " ".join(title.split()) in shown, shown[:400]


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_the_lists_header_is_read_whole_during_a_search(demo_store, size):
    """The header named a search in a long view and where Tab goes, and was cut: at 80
    columns "inbox-tui · Search: INV-2291 in Burst of similar conversations (0) · Tab:".
    A header too long for its line wraps onto a second one."""
    demo_burst(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("I")  # the burst's conversations, under the decision
        await settle(pilot)
        await pilot.press("escape")  # read them first
        await settle(pilot)
        await pilot.press("slash", *"INV-2291", "enter")
        await settle(pilot, 5)
        title = str(app.main.query_one("#top").render())
        shown = " ".join(" ".join(line.split()) for line in _screen_lines(app)[:3])
    assert "Burst of similar conversations" in title and title.endswith(" tester"), title
    assert " ".join(title.split()) in shown, shown

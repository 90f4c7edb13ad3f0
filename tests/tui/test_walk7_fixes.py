"""walk7's defects (README-only walkthrough, 80x24): each reproduced with Pilot first."""

from __future__ import annotations

import pytest
from sqlmodel import select

from inbox_tui.models import Agent, Outbox
from inbox_tui.services import drafts
from inbox_tui.services.views import list_saved_views
from inbox_tui.tui.widgets.thread_view import ThreadView
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_insight_flows import demo_burst
from tests.tui.test_long_thread import long_thread
from tests.tui.test_triage_keys import conv, current


def assignee(store, cid: int) -> str | None:
    with store.read() as s:
        agent_id = conv(store, cid).assignee_id
        return s.get(Agent, agent_id).username if agent_id else None


CRAMPED = (80, 24)


@pytest.mark.timeout(90)  # the freeze was a loop in the event loop: only a signal ends it
async def test_macro_from_a_covering_pane_opens_the_composer_without_freezing(demo_store):
    """walk7 #2: at 80x24 the F3 pane covers list and thread (the thread view has no
    width); applying a macro there asked the hidden thread view for its latest message's
    line, and laying out at width 0 never got there: the app spun for good."""
    app = make_app(demo_store)
    async with app.run_test(size=CRAMPED) as pilot:
        await current(pilot)
        await pilot.press("j", "f3")
        await settle(pilot)
        row = app.main.conv_list.current_row()
        await pilot.press("enter")
        await settle(pilot)
        assert "Glad that's sorted" in app.screen.query_one("TextArea").text
        await pilot.press("escape")  # the draft is kept; back to the pane
        await settle(pilot)
        await pilot.press("escape")  # the pane closes: back to the list
        await settle(pilot)
        await pilot.press("enter")  # the thread the pane covered, read from its top
        await settle(pilot)
        view = app.main.query_one(ThreadView)
        assert view.thread is not None and view.thread.conversation.id == row.id
        assert view.size.width > 0 and view.scroll_y == 0
        latest = next(m for m in reversed(view.thread.messages) if m.direction == "in")
        assert view.line_of(latest.id) is not None


@pytest.mark.timeout(90)
async def test_a_reveal_asked_while_hidden_is_done_once_the_view_has_width(demo_store):
    """The same at 80x24 while reading: the pane covers the thread when the macro's
    composer opens; a terminal grown meanwhile shows the thread beside the pane, and the
    customer's latest message is brought into sight under the composer."""
    cid = long_thread(demo_store)  # its latest message is far below its subject
    app = make_app(demo_store)
    async with app.run_test(size=CRAMPED) as pilot:
        await current(pilot)
        await pilot.press("slash", *"very long", "enter")
        await settle(pilot)
        assert app.main.conv_list.current_row().id == cid
        await pilot.press("enter", "f3")
        await settle(pilot)
        view = app.main.query_one(ThreadView)
        assert view.size.width == 0
        await pilot.press("enter")
        await settle(pilot)
        assert "Glad that's sorted" in app.screen.query_one("TextArea").text
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert view.size.width > 0
        latest = next(m for m in reversed(view.thread.messages) if m.direction == "in")
        line = view.line_of(latest.id)
        assert line is not None
        assert view.scroll_y <= line < view.scroll_y + view.size.height


async def test_palette_enter_typed_with_the_text_runs_the_command_for_all_of_it(demo_store):
    """walk7 #5: ": assign to me Enter j" in one burst ran "A message's original HTML"
    (the top row for part of the text: the palette's search answers after the keys).
    Enter waits for the rows of all the text; the j after it moves the list's cursor."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        row = await current(pilot)
        assert conv(demo_store, row.id).assignee_id is None
        await burst(pilot, "colon", *"assign to me", "enter", "j")
        await settle(pilot, 5)
        assert app.screen is app.main
        assert assignee(demo_store, row.id) == ME
        assert app.main.conv_list.current_row().id != row.id  # j went to the list


async def test_ctrl_p_palette_burst_with_a_command_that_opens_a_screen(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=CRAMPED) as pilot:
        await current(pilot)
        await burst(pilot, "ctrl+p", *"reply to", "enter", *"Hi")
        await settle(pilot, 5)
        assert app.screen.__class__.__name__ == "Composer"
        assert app.screen.query_one("TextArea").text.startswith("Hi")


async def test_ctrl_s_typed_with_the_search_saves_all_of_its_text(demo_store):
    """walk7 #6: "/ calendar -tag:bug ctrl+s" in one burst said "Type a search first"
    (the search's text reaches the screen through Changed messages queued behind the
    keys). A key typed right after the text acts on all of it."""
    app = make_app(demo_store)
    async with app.run_test(size=CRAMPED) as pilot:
        await current(pilot)
        await burst(pilot, "slash", *"calendar -tag:bug", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "Prompt", app.screen
        await pilot.press(*"Calendar", "enter")
        await settle(pilot, 5)
        with demo_store.read() as s:
            saved = {v.name: v for v in list_saved_views(s)}
        assert saved["Calendar"].query == "calendar -tag:bug"


async def test_confirming_an_incident_with_a_macro_names_and_keeps_my_draft(demo_store):
    """walk7 #3 as the agent met it: a reply drafted on one of the burst's conversations,
    then I, a name, the macro "Known problem…", a bug, y. The confirmation marks that
    conversation, every customer gets the macro's reply, and the draft is still there."""
    ids = demo_burst(demo_store)
    drafted = ids[1]
    demo_store.run(drafts.save_draft, ME, drafted, "Hi, I checked your calendar and")
    app = make_app(demo_store)
    async with app.run_test(size=CRAMPED) as pilot:
        await settle(pilot)
        await pilot.press("I")
        await settle(pilot)
        await pilot.press("enter")  # Confirm as an incident…
        await settle(pilot)
        await pilot.press(*"calsync", "enter")
        await settle(pilot)
        await pilot.press(*"known", "enter")
        await settle(pilot)
        await pilot.press(*"ENG-4812", "enter")
        await settle(pilot)
        confirm = app.screen
        assert confirm.__class__.__name__ == "Confirm", confirm
        marked = [s for s in confirm.subjects if s.endswith(drafts.DRAFT_MARK)]
        assert [s.split(" ")[0] for s in marked] == [f"#{drafted}"]
        await pilot.press("y")
        await settle(pilot, 5)
    with demo_store.read() as s:
        answered = {o.conversation_id for o in s.exec(select(Outbox)).all()}
        assert set(ids) <= answered
        assert drafts.get_draft(s, ME, drafted) == "Hi, I checked your calendar and"


async def test_a_macro_on_a_selection_names_and_keeps_my_draft(demo_store):
    """The same for m on a selection (x x m): the confirmation marks the conversation
    holding the agent's draft, and the macro's reply leaves that draft."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        first = await current(pilot)
        demo_store.run(drafts.save_draft, ME, first.id, "Half a reply")
        await pilot.press("x", "j", "x")
        await settle(pilot)
        selected = set(app.main.conv_list.selected)
        assert first.id in selected and len(selected) == 2
        with demo_store.read() as s:
            before = {o.conversation_id for o in s.exec(select(Outbox)).all()}
        await pilot.press("m")
        await settle(pilot)
        await pilot.press(*"known", "enter")
        await settle(pilot)
        confirm = app.screen
        assert confirm.__class__.__name__ == "Confirm", confirm
        assert len(confirm.subjects) == 2
        marked = [s for s in confirm.subjects if s.endswith(drafts.DRAFT_MARK)]
        assert len(marked) == 1 and first.subject in marked[0], confirm.subjects
        await pilot.press("y")
        await settle(pilot, 5)
    with demo_store.read() as s:
        answered = {o.conversation_id for o in s.exec(select(Outbox)).all()}
        assert selected <= answered - before
        assert drafts.get_draft(s, ME, first.id) == "Half a reply"


async def test_palette_down_typed_with_the_text_moves_over_its_rows(demo_store):
    """Down typed in the burst moved over the rows for part of the text, then the rows
    for all of it came with the first highlighted: the Enter took the first row."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await current(pilot)
        await pilot.press("colon", *"assign")
        await settle(pilot)
        palette = app.screen
        rows = palette.query_one("CommandList")
        second = str(rows.get_option_at_index(1).hit.text)
        await pilot.press(*["backspace"] * 6)  # the rows for no text
        await settle(pilot)
        await burst(pilot, *"assign", "down", "enter")
        await settle(pilot, 5)
        assert palette._selected_command is not None
        assert str(palette._selected_command.text) == second

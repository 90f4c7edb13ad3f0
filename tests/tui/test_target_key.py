"""A response target set by hand in the TUI (#21): ``T`` (and the palette) asks for
it on the conversation being read or highlighted, as ``conv target`` does: "30m" for
every reply, "first 1h next 8h", "none" to clear; a time that does not read is said
inside the prompt and nothing changes. The thread's header says who set it."""

from __future__ import annotations

from sqlmodel import select

from inbox_tui.models import Conversation, Event
from inbox_tui.tui import actions
from inbox_tui.tui.widgets.thread_view import header_text
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_team_keys import toasts


def stored(store, cid):
    with store.read() as s:
        c = s.get(Conversation, cid)
        events = s.exec(
            select(Event).where(Event.conversation_id == cid).where(Event.kind == "target_set")
        ).all()
        return (c.target_first, c.target_next), len(events)


async def type_target(pilot, text: str) -> None:
    await pilot.press("T")
    await settle(pilot)
    await pilot.press("ctrl+u", *text, "enter")
    await settle(pilot, 5)


async def test_t_sets_clears_and_refuses_in_one_sentence(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        cid = app.main.conv_list.current_row().id
        await pilot.press("enter")  # reading it
        await settle(pilot, 5)
        await type_target(pilot, "first 1h next 8h")
        assert stored(demo_store, cid) == ((3600, 8 * 3600), 1)
        assert any(
            f"#{cid}: set first reply target 1h and next reply target 8h" in t for t in toasts(app)
        )
        header = header_text(app.main.thread_view.thread, []).plain
        assert f"⏱ {ME} set first reply target 1h" in header
        await type_target(pilot, "soon")  # refused inside the prompt, which stays
        assert "is not a time like 30m" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert stored(demo_store, cid) == ((3600, 8 * 3600), 1)
        await type_target(pilot, "none")
        assert stored(demo_store, cid) == ((None, None), 2)


def test_the_palette_offers_it():
    titles = [title for a, title, _ in actions.command_titles({}) if a.id == "target"]
    assert titles == ["Response target of this conversation  [T]"]


def test_a_palette_title_is_split_only_at_a_closing_bracket():
    """walk9: Forward's help line read "quoted) or one message (attached) to any
    address" under the title "Forward the conversation": a bracket in mid-sentence."""
    found = {a.id: (title, help_) for a, title, help_ in actions.command_titles({})}
    title, help_ = found["forward"]
    assert title.startswith(
        "Forward the conversation (quoted) or one message (attached) to any address  ["
    )
    assert help_ == ""
    title, help_ = found["macro"]
    assert (
        title.startswith("Apply a macro  [") and help_ == "picker with preview; 1-9 for pinned ones"
    )

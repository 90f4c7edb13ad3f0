"""#17, second walkthrough: what an agent types is never lost or sent elsewhere, and the
flows say what they will do to whom. Each test failed on the code before its fix."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from inbox_tui.models import Agent, Presence
from inbox_tui.services.conversations import get_thread
from inbox_tui.services.drafts import get_draft, save_draft
from tests.tui.conftest import ME, make_app
from tests.tui.test_triage_keys import conv, settle

SIZE = (100, 30)


def lst(app):
    return app.main.query_one("#list")


def slow(monkeypatch, module, name: str, seconds: float = 0.5) -> None:
    """Make a service read slow, as on a busy store: what is typed meanwhile counts."""
    real = getattr(module, name)

    def slowed(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slowed)


def conv_in(session, cid):
    from inbox_tui.models import Conversation

    return session.get(Conversation, cid)


def presence_of(store, who: str = ME):
    with store.read() as s:
        row = s.exec(
            select(Presence).join(Agent, Agent.id == Presence.agent_id).where(Agent.username == who)
        ).first()
        return None if row is None else (row.conversation_id, row.activity)


# -- 1. keys typed right after r -----------------------------------------------------------


@pytest.mark.parametrize("from_thread", [False, True])
async def test_keys_typed_right_after_r_land_in_the_composer(demo_store, monkeypatch, from_thread):
    """Walkthrough: r then typing at once sent the letters to the list (e closed the
    conversation, h opened articles). The composer opens at once; its text arrives later."""
    from inbox_tui.services import compose

    slow(monkeypatch, compose, "start_reply")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        if from_thread:
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press("r", *"hello there")
        await settle(pilot, 5)
        assert app.screen.__class__.__name__ == "Composer"
        assert app.screen.query_one("TextArea").text == "hello there"
        assert conv(demo_store, cid).status == "open"  # "e" did not close it


async def test_keys_typed_before_a_kept_draft_arrives_follow_it(demo_store, monkeypatch):
    from inbox_tui.services import compose

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        demo_store.run(save_draft, ME, cid, "Hi Ann, first part.")
        slow(monkeypatch, compose, "start_reply")
        await pilot.press("r", *"second part")
        await settle(pilot, 5)
        text = app.screen.query_one("TextArea").text
        assert text.startswith("Hi Ann, first part.") and text.endswith("second part")
        # Esc keeps both, in order, for the next r.
        await pilot.press("escape")
        await settle(pilot, 5)
        kept = demo_store.run(get_draft, ME, cid)
        assert kept.startswith("Hi Ann, first part.") and kept.endswith("second part")


async def test_escape_before_the_draft_arrives_keeps_draft_and_typed_text(demo_store, monkeypatch):
    from inbox_tui.services import compose

    slow(monkeypatch, compose, "start_reply", 1.0)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        demo_store.run(save_draft, ME, cid, "kept earlier")
        await pilot.press("r", *"typed now", "escape")
        await settle(pilot, 5)
        assert app.screen is app.main
        kept = demo_store.run(get_draft, ME, cid)
        assert kept.startswith("kept earlier") and kept.endswith("typed now")


# -- 4. replying is announced wherever it starts -----------------------------------------------


@pytest.mark.parametrize("from_thread", [False, True])
async def test_replying_is_announced_and_survives_the_heartbeat(demo_store, from_thread):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        if from_thread:
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press("r", *"x")
        await settle(pilot)
        assert presence_of(demo_store) == (cid, "replying")
        app._heartbeat()  # the 15-second heartbeat must not turn it back into "viewing"
        await settle(pilot)
        assert presence_of(demo_store) == (cid, "replying")
        await pilot.press("escape")
        await settle(pilot)
        app._heartbeat()
        await settle(pilot)
        assert presence_of(demo_store)[1] == "viewing"


# -- 9. the customer's last message stays in sight while replying ---------------------------


def screen_lines(app) -> list[str]:
    """The terminal's text as the agent sees it (a modal screen shows the one behind)."""
    return [
        "".join(seg.text for seg in strip if not seg.control)
        for strip in app.screen._compositor.render_strips()
    ]


def _first_words(app) -> str:
    """The first words of the customer's last message in the open thread."""
    thread = app.main.query_one("#thread").thread
    last = [m for m in thread.messages if m.direction == "in"][-1]
    line = next(x for x in last.body.splitlines() if x.strip())
    return " ".join(line.split()[:3])


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize("from_thread", [False, True])
async def test_the_customers_last_message_shows_above_the_composer(demo_store, size, from_thread):
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        if from_thread:
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press("r")
        await settle(pilot, 5)
        top = app.screen.query_one("Composer > Vertical").region.y
        words = _first_words(app)
        above = screen_lines(app)[:top]
        assert any(words in line for line in above), (words, above)
        await pilot.press("escape")
        await settle(pilot)
        # Back where the agent was.
        assert app.main.has_class("-reading") == from_thread


# -- 3. note drafts are kept in the store -------------------------------------------------------


async def test_a_note_draft_survives_the_session_and_goes_when_saved(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("n", *"check the invoice")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert demo_store.run(lambda s: get_draft(s, ME, cid, kind="note")) == "check the invoice"
    assert demo_store.run(get_draft, ME, cid) is None  # not a reply draft
    again = make_app(demo_store)  # another session, or after a restart
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert lst(again).current_row().id == cid
        await pilot.press("n")
        await settle(pilot)
        assert again.screen.query_one("TextArea").text == "check the invoice"
        await pilot.press(*" first", "ctrl+s", "y")
        await settle(pilot, 5)
    assert demo_store.run(lambda s: get_draft(s, ME, cid, kind="note")) is None
    thread = demo_store.run(get_thread, cid)
    assert thread.messages[-1].body == "check the invoice first"


# -- 8. the palette and the pickers' titles ---------------------------------------------------


async def test_palette_titles_appear_once(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await settle(pilot)
        lines = [line.strip() for line in screen_lines(app)]
        assert sum("Assign to me" in line for line in lines) == 1, lines
        assert sum(line.startswith("Quit") for line in lines) <= 1


@pytest.mark.parametrize("key", ["t", "a", "s", "z", "m", "h"])
async def test_pickers_name_the_conversation_they_act_on(demo_store, key):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id

        def hostile(s):
            c = conv_in(s, cid)
            c.subject = "Refund\x1b[31m now\nplease"
            s.add(c)

        demo_store.run(hostile)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        title = str(app.screen.query_one("#picker-title").render())
        assert f"#{cid}" in title and "Refund" in title and "please" in title, title
        assert "\x1b" not in title and "\n" not in title.strip()


# -- 5. a bulk macro says it will reply, and re-checks its selection ---------------------------


async def test_bulk_macro_confirmation_says_reply_and_leaves_out_what_was_closed(demo_store):
    from inbox_tui.services import triage

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = []
        for _ in range(3):
            ids.append(lst(app).current_row().id)
            await pilot.press("x")
            await settle(pilot)
        replies = {cid: len(demo_store.run(get_thread, cid).messages) for cid in ids}
        demo_store.run(lambda s: triage.ensure_agent(s, "priya"))
        demo_store.run(triage.close_many, "priya", [ids[1]])  # another agent, meanwhile
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("3")  # "Feature request logged": tags, replies, closes
        await settle(pilot)
        assert app.screen.__class__.__name__ == "Confirm"
        shown = " ".join(str(app.screen.query_one("Static").render()).split())
        assert "2 conversations" in shown and "reply" in shown and "closed" in shown, shown
        assert f"#{ids[0]}" in shown and f"#{ids[2]}" in shown
        assert "Left out (1)" in shown and f"#{ids[1]}" in shown and "closed by" in shown
        await pilot.press("y")
        await settle(pilot, 5)
        after = {cid: len(demo_store.run(get_thread, cid).messages) for cid in ids}
        assert after[ids[1]] == replies[ids[1]]  # no reply to the one closed meanwhile
        assert after[ids[0]] > replies[ids[0]] and after[ids[2]] > replies[ids[2]]
        assert not lst(app).selected


# -- 2. type-ahead through a macro's steps -------------------------------------------------------


async def test_keys_typed_while_a_macro_prepares_go_to_its_ask_then_the_composer(
    demo_store, monkeypatch
):
    """m, a macro, then at once the blank's answer, Enter, and the reply's next words:
    each lands in its step, in order, while the macro's preview loads (slowly here)."""
    from inbox_tui.services import macros

    def ask_in_order_status(s):
        info = macros.get_macro(s, "order-status")
        body = "Order {{ask: order number}} ships today."
        macros.save_macro(s, info.slug, info.name, body, info.actions)

    demo_store.run(ask_in_order_status)
    slow(monkeypatch, macros, "preview")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press(*"order status", "enter")
        await pilot.pause()  # the picker's Enter is handled (a typist's gap), not the load
        await pilot.press(*"A123", "enter", *" See you")
        await settle(pilot, 5)
        assert app.screen.__class__.__name__ == "Composer"
        text = app.screen.query_one("TextArea").text
        assert "Order A123 ships today." in text and text.endswith("See you"), text
        assert conv(demo_store, cid).status == "open"  # "e" of "See" closed nothing


async def test_keys_typed_while_a_macro_reply_renders_go_to_the_composer(demo_store, monkeypatch):
    from inbox_tui.services import macros

    slow(monkeypatch, macros, "preview")
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("2", *"hello there")  # "Ask for details", then typing at once
        await settle(pilot, 5)
        assert app.screen.__class__.__name__ == "Composer"
        assert app.screen.query_one("TextArea").text.endswith("hello there")
        assert conv(demo_store, cid).status == "open"


# -- 6. Esc from a search goes back to where the agent was ---------------------------------------


async def test_escape_from_the_customers_history_returns_to_the_view(demo_store):
    """Walkthrough: c (this customer's conversations, searched in Everything), then Esc
    left the agent in Everything, not in the view and on the row they came from."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v", "down", "enter")  # Pending (the list opens on All open)
        await settle(pilot)
        assert app.main.view == "pending"
        await pilot.press("down")
        await settle(pilot)
        row = lst(app).current_row().id
        await pilot.press("c")
        await settle(pilot)
        assert app.main.view == "all" and app.main.query_text
        await pilot.press("enter")  # one of the customer's conversations, then back
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.main.view == "all" and app.main.query_text  # the history list first
        await pilot.press("escape")
        await settle(pilot)
        assert app.main.view == "pending" and app.main.query_text == ""
        assert lst(app).current_row().id == row
        assert not app.main.query_one("#search").has_class("shown")


# -- 7. a saved view lists what its search listed ------------------------------------------------


async def test_a_search_saved_after_tab_keeps_everything_as_its_scope(demo_store):
    """Walkthrough: '/' login, Tab (search everything), ctrl+s: the view was saved over
    All open, so it listed fewer conversations than the search had shown."""
    from inbox_tui.services.views import list_saved_views

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"login", "tab")
        await settle(pilot)
        shown = lst(app).total
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press(*"Logins", "enter")
        await settle(pilot)
        assert [v.scope for v in demo_store.run(list_saved_views)] == ["all"]
        await pilot.press("v")
        await settle(pilot)
        views = app.main.query_one("#views")
        ids = [views.get_option_at_index(i).id for i in range(views.option_count)]
        views.highlighted = ids.index("saved:Logins")
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.view == "saved:Logins" and lst(app).total == shown


def test_a_search_in_a_saved_view_keeps_every_condition_of_the_view():
    """_narrow copied the view's conditions field by field and forgot some (issue:,
    category:none): typing in such a view dropped them."""
    from inbox_tui.services.views import SavedView, resolve_filter

    saved = {"V": SavedView("V", "issue:BUG-7 -issue:BUG-8 category:none", "pending")}
    flt = resolve_filter("saved:V", "login", ME, saved)
    assert flt.issues == ["BUG-7"] and flt.without_issues == ["BUG-8"]
    assert flt.no_category and flt.statuses == {"pending"} and flt.text == ["login"]


async def test_escape_from_a_conversation_opened_in_the_customer_pane_goes_back(demo_store):
    """At 80 columns the customer pane covers the thread; Enter on another of their
    conversations opened it, and Esc then left the agent in the list, not in the
    conversation they were reading."""
    from sqlalchemy import func

    from inbox_tui.models import Conversation

    with demo_store.read() as s:
        contact = s.exec(
            select(Conversation.contact_id)
            .where(Conversation.contact_id.is_not(None))
            .group_by(Conversation.contact_id)
            .having(func.count() >= 2)
        ).first()
        first, other = s.exec(
            select(Conversation.id).where(Conversation.contact_id == contact).limit(2)
        ).all()
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main.open_conversation(first)
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        choices = app.main.side_pane.choices
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        choices.highlighted = ids.index(str(other))
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.open_id == other and app.main.has_class("-reading")
        await pilot.press("escape")
        await settle(pilot)
        assert app.main.open_id == first and app.main.has_class("-reading")
        assert app.main.query_one("#thread").thread.conversation.id == first


# -- 8. keys typed right after Enter in the search box go to the list ----------------------


async def test_keys_typed_right_after_enter_in_the_search_go_to_the_list(demo_store):
    """Walkthrough: '/' login, Enter, then j j typed quickly: the j's went into the search
    box ('loginjj', no results) though Enter had moved the focus to the list."""
    from tests.tui.test_core_loop_views_help import typed_at_once

    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"login")
        await settle(pilot)
        start = lst(app).cursor
        typed_at_once(app, "enter", "j", "j")
        await settle(pilot, 5)
        assert app.main.query_one("#search").value == "login"
        assert app.focused is lst(app)
        assert lst(app).cursor == start + 2

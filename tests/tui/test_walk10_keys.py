"""Keys typed in one burst behind a key that opens (or reopens) a text box land in it
(walk10): ``e`` in the review step, ``F``'s bug and macro pickers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from inbox_tui.models import Conversation, Outbox
from inbox_tui.services import buglinks
from tests.tui.conftest import make_app, settle
from tests.tui.test_core_loop_day3 import burst
from tests.tui.test_mail_keys import current as mail_current
from tests.tui.test_mail_keys import seed_cc_mail
from tests.tui.test_mail_keys import settle as mail_settle
from tests.tui.test_review_step import review_shown, smtp_config
from tests.tui.test_triage_keys import current


async def test_text_typed_with_e_in_the_review_goes_into_the_reopened_text(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Hi", "ctrl+s")
        await settle(pilot)
        assert app.screen.reviewing
        await burst(pilot, "e", *" ABC")  # walk10: "ABC" never reached the text
        await settle(pilot)
        assert not app.screen.reviewing
        assert app.screen.text == "Hi ABC"
        # and back to the review, its keys in the same burst: "e" again edits
        await burst(pilot, "ctrl+s", "e", *"!")
        await settle(pilot)
        assert app.screen.text == "Hi ABC!"


async def test_a_note_reviewed_then_e_and_text_in_one_burst(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await current(pilot)
        await pilot.press("n")
        await settle(pilot)
        await burst(pilot, *"Seen", "ctrl+s", "e", *" twice")
        await settle(pilot)
        assert not app.screen.reviewing
        assert app.screen.text == "Seen twice"


async def test_f_its_bug_and_its_macro_typed_in_bursts_reach_each_picker(demo_store):
    with demo_store.read() as s:
        a, plain = [
            c.id
            for c in s.exec(select(Conversation).order_by(Conversation.id).limit(20))
            if not buglinks.refs_of(s, c.id)
        ][:2]
    demo_store.run(buglinks.link, "sam", a, "ENG-2")
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main.open_conversation(plain)  # no bug of its own: F asks which
        await settle(pilot)
        await burst(pilot, "F", *"ENG-2", "enter")  # the name went to the thread
        await settle(pilot)
        assert app.screen.title_text.startswith("ENG-2 is fixed"), app.screen
        # the macro and the confirmation's answer: "n" went to the list (a note)
        await burst(pilot, *"feature request logged", "enter", "n")
        await settle(pilot)
        assert app.screen is app.main, app.screen
        with demo_store.read() as s:
            assert not s.exec(select(Outbox).where(Outbox.conversation_id == a)).all()


async def test_tab_into_the_search_after_c_then_a_key_adds_to_the_query(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await current(pilot)
        await pilot.press("c")  # the customer's conversations: a query in the box
        await settle(pilot)
        query = app.main.query_text
        assert query.startswith("from:")
        await pilot.press("tab", "tab", "slash")  # walk10: the query became "/"
        await settle(pilot)
        assert app.main.query_one("#search").value == query + "/"


async def test_tab_into_a_recipients_line_keeps_its_addresses(demo_store, smtp_server):
    seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=(100, 30)) as pilot:
        await mail_current(pilot)
        await pilot.press("A")
        await mail_settle(pilot)
        await pilot.press(*"Invoice attached.", "ctrl+s", "a")
        await mail_settle(pilot)
        await pilot.press("tab")  # To -> Cc
        await mail_settle(pilot)
        box = app.screen.query_one("#rcpt-cc")
        assert app.focused is box
        assert box.selection.is_empty and box.cursor_position == len(box.value)
        await pilot.press(*", dan@acme.example", "enter")  # it replaced the Cc
        await mail_settle(pilot)
        shown = review_shown(app)
        assert "Bob Stone <bob@acme.example>, Carol <carol@acme.example>" in shown
        assert "dan@acme.example" in shown


@pytest.mark.parametrize(
    ("keys", "screen", "text"),
    [
        (("a",), "RecipientsForm", ">qu"),  # after the customer's address in To
        (("w",), "FuzzyPicker", "qu"),
        (("s", "e"), "Composer", "Hiqu"),
        (("F", "e"), "Composer", "Hiqu"),
        (("d", "slash"), "MainScreen", "qu"),
    ],
)
async def test_every_review_key_passes_the_keys_behind_it_on(demo_store, keys, screen, text):
    """The class of walk10 #2: text typed with any review key that opens (or reopens) a
    text box lands in it (these passed before; e did not)."""
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await current(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Hi", "ctrl+s")
        await settle(pilot)
        await burst(pilot, *keys, *"qu")
        await settle(pilot)
        assert type(app.screen).__name__ == screen
        box = app.focused
        typed = box.value if hasattr(box, "value") else box.text
        assert typed.endswith(text) if text.startswith(">") else typed == text

"""A new user's day in tmux, third walk (#17, #18, #21): each test here failed on the
code before its fix. Merging another customer's conversation, undo send of a reply-all
or a forward, merge + split taken back, a bulk macro that asks a question, keys typed
in the same burst as the key that opens a dialog, the list's cursor after a thread,
and undo notices that pile up."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlmodel import select

from inbox_tui.errors import UserError
from inbox_tui.models import Contact, Conversation, Message, Outbox
from inbox_tui.services import replies
from inbox_tui.services.merge import merge
from tests.tui.conftest import ME, make_app, make_config, settle
from tests.tui.test_mail_keys import current, seed_cc_mail
from tests.tui.test_mail_keys import settle as settle_mail
from tests.tui.test_review_step import review_shown, smtp_config, type_into

SIZE = (100, 30)
TOMAS, AISHA = 181, 256  # the demo's: Tomás Bennett's "Card is read-only", Aisha Okafor's


def customer_of(store, cid: int) -> tuple[str, str]:
    with store.read() as s:
        conv = s.get(Conversation, cid)
        contact = s.get(Contact, conv.contact_id)
        return contact.name, contact.email


# -- 1. merging another customer's conversation -----------------------------------------


async def test_merge_of_another_customers_conversation_warns_and_the_review_names_who(
    demo_store,
):
    tomas, aisha = customer_of(demo_store, TOMAS)[0], customer_of(demo_store, AISHA)[0]
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(TOMAS)
        await settle(pilot)
        await pilot.press("J", *f"#{AISHA}", "enter")
        await settle(pilot)
        warning = " ".join(app.screen.notes)
        assert "two different customers" in warning
        assert aisha in warning and tomas in warning
        await pilot.press("y")
        await settle(pilot, 5)
        await pilot.press("r", *"Thanks!", "ctrl+s")
        await settle(pilot)
        shown = review_shown(app)
        # Aisha wrote last: the reply answers her message, and the review says so.
        assert "Answers   " + aisha in shown
        # (a long value wraps under its column, loopf; read as one line)
        flat = " ".join(shown.split())
        assert "“You made our launch easy”" in flat
        assert "not the other 1 customer here" in flat


def test_a_reply_goes_to_the_customer_of_the_message_it_answers(demo_store):
    """The review pins the message it showed: mail from the other customer arriving
    between the review and the send does not change who the reply goes to."""
    tomas, aisha = customer_of(demo_store, TOMAS)[1], customer_of(demo_store, AISHA)[1]
    demo_store.run(merge, ME, AISHA, TOMAS)
    with demo_store.read() as s:
        tomas_last = s.exec(
            select(Message)
            .where(Message.conversation_id == TOMAS)
            .where(Message.author_email == tomas)
            .order_by(Message.sent_at.desc())
        ).first()
        answered = (tomas_last.id, tomas_last.message_id)
    config = make_config()
    oid = demo_store.run(
        replies.queue_reply, ME, TOMAS, "About the card:", config=config, answering=answered[0]
    )
    with demo_store.read() as s:
        raw = s.get(Outbox, oid).raw
    sent = email.message_from_bytes(raw, policy=email.policy.SMTP)
    assert tomas in sent["To"]
    assert aisha not in str(sent["To"]) + str(sent["Cc"] or "")
    assert sent["Subject"] == "Re: Card is read-only"
    assert sent["In-Reply-To"] == f"<{answered[1]}>"
    # A message that is not the customer's (or not there any more) is refused plainly.
    with demo_store.read() as s:
        ours = s.exec(
            select(Message.id)
            .where(Message.conversation_id == TOMAS)
            .where(Message.direction == "out")
        ).first()
    with pytest.raises(UserError, match="no longer in the conversation"):
        demo_store.run(replies.queue_reply, ME, TOMAS, "x", config=config, answering=ours)


# -- 2. undo send brings the reply or forward back exactly as it was ---------------------


async def test_b_on_a_reply_all_brings_back_its_mode_recipients_files_and_signature(
    demo_store, smtp_server, tmp_path
):
    cid = seed_cc_mail(demo_store)
    report = tmp_path / "report.csv"
    report.write_bytes(b"when;what\n09:00;printed\n")
    app = make_app(demo_store, config=smtp_config(smtp_server, undo=60))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("enter")
        await settle_mail(pilot)
        await pilot.press("A")
        await settle_mail(pilot)
        await pilot.press(*"Invoice attached.", "ctrl+s")
        await settle_mail(pilot)
        await pilot.press("a")
        await settle_mail(pilot)
        await type_into(pilot, "#rcpt-bcc", "boss@northwind.example")
        await pilot.press("enter")
        await settle_mail(pilot)
        await pilot.press("s", "f")
        await settle_mail(pilot)
        await type_into(pilot, "Input", str(report))
        await pilot.press("enter")
        await settle_mail(pilot)
        before = review_shown(app)
        await pilot.press("y")
        await settle_mail(pilot, 5)
        assert app.screen is app.main
        await pilot.press("B")
        await settle_mail(pilot, 5)
        assert "Reply to all" in str(app.screen.query_one("Label").render())
        assert app.screen.query_one("TextArea").text == "Invoice attached."
        await pilot.press("ctrl+s")
        await settle_mail(pilot)
        again = review_shown(app)
        for line in ("Cc        Bob Stone", "Bcc       boss@northwind.example"):
            assert line in before and line in again
        assert "Files     report.csv" in again
        assert "Signature not added" in again
        assert again == before
    assert smtp_server.messages == []


async def test_a_forward_taken_back_reopens_with_its_note_and_address(demo_store, smtp_server):
    cid = seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server, undo=60))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("enter")
        await settle_mail(pilot)
        await pilot.press("f")
        await settle_mail(pilot)
        await pilot.press("enter")  # the whole conversation, quoted
        await settle_mail(pilot)
        await type_into(pilot, "Input", "billing@vendor.example")
        await pilot.press("enter")
        await settle_mail(pilot)
        await pilot.press(*"Please check this invoice.", "ctrl+s", "y")
        await settle_mail(pilot, 5)
        await pilot.press("B")
        await settle_mail(pilot, 5)
        assert str(app.screen.query_one("Label").render()).startswith("Forward")
        assert app.screen.query_one("TextArea").text == "Please check this invoice."
        await pilot.press("ctrl+s")
        await settle_mail(pilot)
        shown = review_shown(app)
        assert "To        billing@vendor.example" in shown
        assert "Forwards  the whole conversation, quoted" in shown
    assert smtp_server.messages == []


# -- 4. a bulk macro with a question ----------------------------------------------------


async def test_a_bulk_macro_asks_its_question_once_then_applies_to_all(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = []
        for _ in range(3):
            ids.append(app.main.conv_list.current_row().id)
            await pilot.press("x")
            await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press(*"Escalate to engineering", "enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "Prompt"
        assert "ticket link" in app.screen.title_text and "3 selected" in app.screen.title_text
        await pilot.press(*"https://bugs.example/123", "enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "Confirm"
        await pilot.press("y")
        await settle(pilot, 6)
        said = [str(n.message) for n in app._notifications]
        assert not any("cannot be sent yet" in t for t in said), said
    with demo_store.read() as s:
        for cid in ids:
            notes = s.exec(
                select(Message.body)
                .where(Message.conversation_id == cid)
                .where(Message.direction == "note")
            ).all()
            assert any("https://bugs.example/123" in n for n in notes), (cid, notes)


# -- 5. keys typed in the same burst as the key that opens a dialog ---------------------


async def burst(pilot, *keys: str) -> None:
    """Keys as a terminal delivers a fast typist's (or a paste): all sent before the
    app handles any (Pilot's ``press`` waits for the app between keys)."""
    import unicodedata

    from textual import events
    from textual.app import _character_to_key, _get_unicode_name_from_key
    from textual.keys import REPLACED_KEYS

    driver = pilot.app._driver
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:  # as Pilot.press makes them
            char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(pilot.app)
        driver.send_message(event)
    await pilot.pause()


async def open_a_thread(pilot) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_a_burst_after_t_reaches_the_tag_picker_whole_with_its_enter(demo_store, monkeypatch):
    from inbox_tui.services import suggest

    real = suggest.tag_choices

    def slowed(*args, **kwargs):  # the first picker of the day: "Loading…" for a while
        import time

        time.sleep(0.4)
        return real(*args, **kwargs)

    monkeypatch.setattr(suggest, "tag_choices", slowed)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_a_thread(pilot)
        cid = app.main.open_id
        await burst(pilot, "t", *"confused", "enter")
        await settle(pilot, 5)
        if app.screen.__class__.__name__ == "Confirm":
            await pilot.press("y")
            await settle(pilot, 5)
        with demo_store.read() as s:
            from inbox_tui.services.conversations import get_conversation

            assert "confused" in get_conversation(s, cid).tags


async def test_a_burst_after_t_filters_with_every_letter(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_a_thread(pilot)
        await burst(pilot, "t", *"conf")
        await settle(pilot)
        assert app.screen.query_one("Input").value == "conf"


async def test_a_burst_after_z_snoozes_for_what_was_typed(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_a_thread(pilot)
        await burst(pilot, "z", *"3h")
        await settle(pilot)
        assert app.screen.query_one("Input").value == "3h"


async def test_a_burst_of_backspaces_and_text_in_the_search_box(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await burst(pilot, "/", *"web")
        await settle(pilot)
        await burst(pilot, *["backspace"] * 8, *"INV-2291")
        await settle(pilot)
        assert app.main.query_one("#search").value == "INV-2291"


# -- 6. the list's cursor after a thread --------------------------------------------------


def cursor_visible(app) -> bool:
    lst = app.main.conv_list
    top, height = int(lst.scroll_y), lst.scrollable_content_region.height
    return height > 0 and top <= lst.cursor < top + height


@pytest.mark.parametrize("down", [30, 70])
@pytest.mark.parametrize("between", [(), ("e",), ("z", "enter")])
async def test_back_from_a_thread_the_cursor_row_is_in_view(demo_store, between, down):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(down):
            await pilot.press("j")
        await settle(pilot)
        assert cursor_visible(app)
        await pilot.press("enter")
        await settle(pilot)
        for key in between:  # close and go to the next one (a category may be asked)
            await pilot.press(key)
            await settle(pilot)
            while app.screen is not app.main:  # the category picker: its first choice
                await pilot.press("enter")
                await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not app.main.has_class("-reading")
        assert cursor_visible(app), (app.main.conv_list.cursor, app.main.conv_list.scroll_y)


# -- 7. undo notices ----------------------------------------------------------------------


async def test_undo_notices_replace_each_other(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for name in ("alpha", "beta", "gamma"):
            await pilot.press("t", *name, "enter")
            await settle(pilot)
        for _ in range(3):
            await pilot.press("ctrl+z")
            await settle(pilot)
        undone = [n.message for n in app._notifications if n.message.startswith("Undone")]
        assert len(undone) == 1, undone
        assert "alpha" in undone[0]  # the newest: the third undo took back the first tag

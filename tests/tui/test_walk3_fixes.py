"""Defects a README-only walkthrough (walk3: three agents on one demo store in tmux)
found; each test failed on the code before its fix."""

from __future__ import annotations

import os

import pytest
from sqlmodel import select

from inbox_tui.models import Conversation
from inbox_tui.services import triage
from inbox_tui.services.presence import heartbeat
from tests.tui.conftest import make_app, make_config, settle

SIZE = (100, 30)


def header_lines(view, n: int = 6) -> str:
    return "\n".join(view.render_line(y).text for y in range(n))


async def test_open_threads_header_follows_presence_at_each_poll(demo_store):
    """Another agent opening (or leaving, or replying in) the open conversation shows in
    its header at the next poll, as the list's ◉ does, not only when the thread reloads."""
    with demo_store.read() as s:
        conv_id = s.exec(select(Conversation.id).where(Conversation.status == "open")).first()
    demo_store.run(lambda s: triage.ensure_agent(s, "priya"))
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(conv_id)
        await settle(pilot)
        view = app.main.query_one("#thread")
        assert "is viewing" not in header_lines(view)

        demo_store.run(heartbeat, "priya", conv_id, "viewing")
        app._poll()
        await settle(pilot)
        assert "Priya Nair is viewing" in header_lines(view)

        demo_store.run(heartbeat, "priya", conv_id, "replying")
        app._poll()
        await settle(pilot)
        assert "Priya Nair is replying" in header_lines(view)

        demo_store.run(heartbeat, "priya", None)
        app._poll()
        await settle(pilot)
        assert "Priya Nair is" not in header_lines(view)


async def test_a_reply_that_goes_out_stops_waiting_on_every_screen(demo_store):
    """A reply sent by another agent (or `outbox flush`) leaves the outbox without any
    event: the open thread still said "waiting to go out (B takes it back)" a minute on."""
    from datetime import timedelta

    from inbox_tui.models import utcnow
    from inbox_tui.services.compose import send_reply
    from inbox_tui.services.outbox import flush_outbox

    with demo_store.read() as s:
        conv_id = s.exec(select(Conversation.id).where(Conversation.status == "open")).first()
    config = make_config()
    config.mail.undo_seconds = 10
    demo_store.run(lambda s: triage.ensure_agent(s, "priya"))
    demo_store.run(send_reply, "priya", conv_id, "On its way.", config=config)
    app = make_app(demo_store, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(conv_id)
        await settle(pilot)
        app._poll()  # the first polls wake the demo's snoozes: a baseline without them
        await settle(pilot)
        view = app.main.query_one("#thread")
        assert "waiting to go out" in view.plain_text()

        later = utcnow() + timedelta(seconds=30)
        report = await flush_outbox(demo_store, config, clock=lambda: later)
        assert report.logged == 1
        app._poll()
        await settle(pilot)
        assert "On its way." in view.plain_text()
        assert "waiting to go out" not in view.plain_text()


@pytest.mark.parametrize("size", [(76, 24), (80, 24), (160, 40)])  # 160: beside a thread
async def test_a_snoozed_rows_assignee_stays_at_the_edge(demo_store, size):
    """A snoozed row's wake-up time pushed the assignee off the row: "m" for mei at 80
    columns, nothing in the list beside a thread at 160."""
    from datetime import UTC, datetime

    with demo_store.read() as s:
        conv_id = s.exec(select(Conversation.id).where(Conversation.status == "open")).first()
    demo_store.run(lambda s: triage.ensure_agent(s, "mei"))
    demo_store.run(triage.assign, "tester", conv_id, "mei")
    demo_store.run(triage.snooze, "tester", conv_id, datetime(2027, 12, 7, 10, 0, tzinfo=UTC))
    demo_store.run(heartbeat, "mei", conv_id, "viewing")  # the list's ◉ takes room too
    app = make_app(demo_store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app._poll()  # who else has it open
        app.main.view = "snoozed"
        app.main.reload(keep_id=conv_id)
        await settle(pilot)
        lst = app.main.conv_list
        assert lst.move_to(conv_id)
        await settle(pilot)
        line = lst.render_line(lst.cursor - int(lst.scroll_y)).text
        assert "◉" in line, line
        assert "wakes" in line and "Dec 10:00" in line, line
        assert line.rstrip().endswith(" mei"), line


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_merging_into_itself_is_said_in_the_picker_and_toasts_leave_dialogs_alone(
    demo_store,
):
    """walk3: "cannot be merged into itself" and "99999 does not exist" were toasts over
    the merge dialog's border."""
    from inbox_tui.tui.widgets.dialogs import FuzzyPicker

    with demo_store.read() as s:
        conv_id = s.exec(select(Conversation.id).where(Conversation.status == "open")).first()
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main.open_conversation(conv_id)
        await settle(pilot)
        await pilot.press("J", *f"#{conv_id}", "enter")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, FuzzyPicker)  # still open, saying why
        said = str(picker.query_one("#picker-error").render())
        assert f"Conversation {conv_id} cannot be merged into itself." in said
        assert toasts(app) == []

        # any notice while a dialog is open is said inside it, not over it
        app.notify("The store is busy.", severity="error")
        await settle(pilot)
        assert "The store is busy." in str(picker.query_one("#picker-error").render())
        assert toasts(app) == []
        await pilot.press("escape")
        await settle(pilot)

        # a toast still up when a dialog opens goes (it covered the new dialog's border)
        app.notify("Conversation 99999 does not exist.", severity="error")
        await settle(pilot)
        assert toasts(app)
        await pilot.press("J")
        await settle(pilot)
        assert isinstance(app.screen, FuzzyPicker)
        assert toasts(app) == []


async def test_status_news_fades_even_when_the_same_words_come_again(demo_store):
    """walk3: "ENG-4812: 12 of 12 follow-ups queued…" stayed for the rest of the session."""
    from inbox_tui.tui.screens.flows import NEWS_SECONDS, StatusNews

    assert StatusNews("ENG-4812: 12 of 12 follow-ups queued…").seconds == NEWS_SECONDS
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = app.main.query_one("#status")
        app.main.post_message(StatusNews("ENG-4812: 3 of 3 follow-ups queued…", 0.3))
        await settle(pilot)
        assert "3 of 3" in str(status.render())
        await pilot.pause(0.5)
        assert "3 of 3" not in str(status.render())

        app.main.set_status("Cannot reach the store.", 0.3)
        await pilot.pause(0.2)
        app.main.set_status("Cannot reach the store.", 0.6)  # said again: its own time
        await pilot.pause(0.2)
        assert "Cannot reach" in str(status.render())


async def test_the_save_prompt_offers_the_folder_saved_into_last(demo_store, tmp_path):
    """#18: the attachment save prompt forgot the folder used a moment ago."""
    from datetime import UTC, datetime

    from inbox_tui.incoming import Attachment, IncomingMessage
    from inbox_tui.ingest import Ingestor
    from inbox_tui.services.attachments import default_folder
    from tests.tui.test_attachments_dialog import open_dialog

    def add(session):
        files = [
            Attachment(f"{n}.csv", "text/csv", 4, data=b"a;b\n", status="stored") for n in "xy"
        ]
        return Ingestor(session).add(
            IncomingMessage(
                source="mail:import", external_id="two-1", message_id="<two-1@x.example>",
                subject="Two files", author_name="Ann", author_email="ann@x.example",
                sent_at=datetime(2026, 11, 18, 12, 0, tzinfo=UTC), body="Attached.",
                attachments=files,
            )
        ).conversation_id  # fmt: skip

    cid = demo_store.run(add)
    chosen = tmp_path / "invoices"
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot, cid)
        await pilot.press("s")
        await settle(pilot)
        box = app.screen.query_one("Input")
        assert box.value == str(default_folder())
        box.value = str(chosen)
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(os.listdir(chosen)) == ["x.csv"]
        await pilot.press("j", "s")
        await settle(pilot)
        assert app.screen.query_one("Input").value == str(chosen)
        await pilot.press("enter")
        await settle(pilot)
        assert sorted(os.listdir(chosen)) == ["x.csv", "y.csv"]


def shown_lines(widget) -> str:
    """What a widget shows on screen, line by line (cut text is missing here)."""
    return " ".join(widget.render_line(y).text.strip() for y in range(widget.size.height))


async def test_long_dialog_titles_and_refusals_are_read_whole_at_80_columns(demo_store):
    """walk3 at 80x24: the custom snooze title ended "…or 2026-12-01" and the macro
    editor's refusal (an unknown placeholder, which lists the known ones) was cut."""
    from inbox_tui.when import SNOOZE_HINT

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("z", *"Custom", "enter")
        await settle(pilot)
        title = app.screen.query_one("#prompt-title")
        box = app.screen.query_one("Vertical").content_region
        assert title.region.right <= box.right  # inside the dialog, not clipped by it
        assert f"Snooze for ({SNOOZE_HINT})" in shown_lines(title)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("M")
        await settle(pilot, 5)
        await pilot.press(*"Order status", "enter")
        await settle(pilot, 5)
        editor = app.screen
        await pilot.press(*" {{contact.frist_name}}", "ctrl+s", "y")
        await settle(pilot, 5)
        hint = shown_lines(editor.query_one("#composer-hint"))
        assert "Unknown placeholder '{{contact.frist_name}}'" in hint
        assert hint.endswith("article:SLUG and ask: QUESTION."), hint


async def test_typing_filters_the_views_as_in_every_picker(demo_store):
    """walk3: the view picker (v) could not be filtered by typing."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        views = app.main.query_one("#views")
        every = views.option_count
        await pilot.press(*"snoo")
        await settle(pilot)
        labels = [str(views.get_option_at_index(i).prompt) for i in range(views.option_count)]
        assert labels[0].startswith("Snoozed") and views.option_count < every, labels
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        assert views.option_count == every
        await pilot.press(*"pend", "enter")
        await settle(pilot)
        assert app.main.view == "pending"
        # walk5: letters the list also moves with (g, j, k) are letters of a begun
        # filter ("billing" was "billin", "bugs" "bus").
        await pilot.press("v", *"bug")
        await settle(pilot)
        assert views.border_title == "views: bug"
        # Esc closes the panel, filter and all (walk5: it only cleared the filter, the
        # panel stayed and the next v went into it); v opens it again unfiltered.
        await pilot.press("escape")
        await settle(pilot)
        assert not views.has_class("shown") and app.main.view == "pending"
        await pilot.press("v")
        await settle(pilot)
        assert views.has_class("shown") and views.option_count == every and not views.typed


async def test_choosing_a_view_after_a_search_closes_the_search_box(demo_store):
    """walk7: after a search for "warehouse", choosing "All open" in the views panel
    showed the whole view under a search box that still read "warehouse"."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"warehouse", "enter")
        await settle(pilot)
        search = app.main.query_one("#search")
        assert search.value == "warehouse" and search.has_class("shown")
        await pilot.press("v", *"all open", "enter")
        await settle(pilot)
        assert app.main.view == "open" and app.main.query_text == ""
        assert search.value == "" and not search.has_class("shown")

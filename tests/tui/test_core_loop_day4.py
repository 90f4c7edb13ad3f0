"""The core loop, fourth pass (#17, walk2's open defects): each test drives the app with
keys as the agent did and failed on the code before its fix."""

from __future__ import annotations

from sqlmodel import func, select

from inbox_tui.models import Conversation
from tests.tui.conftest import make_app, settle
from tests.tui.test_core_loop_day3 import burst

SMALL = (80, 24)


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def closed_count(store) -> int:
    with store.read() as s:
        return s.exec(
            select(func.count()).select_from(Conversation).where(Conversation.status == "closed")
        ).one()


async def _views_on(pilot, app, view_id: str):
    await pilot.press("v")
    await settle(pilot)
    views = app.main.query_one("#views")
    views.highlighted = next(i for i, o in enumerate(views._options) if o.id == view_id)
    await settle(pilot)
    return views


# -- 2. the views panel's rename ------------------------------------------------------


async def test_rename_keeps_the_old_name_with_the_cursor_at_its_end(demo_store):
    """walk2: typing into the rename prompt replaced the prefilled name (it was selected
    whole, invisibly). It stays, with the cursor after it, as in any editor."""
    from textual.widgets import Input

    from inbox_tui.services import views as sv

    demo_store.run(sv.save_view, "Exports", "export", "open")
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _views_on(pilot, app, "saved:Exports")
        await pilot.press("R")
        await settle(pilot)
        box = app.screen.query_one(Input)
        assert (box.value, box.cursor_position) == ("Exports", len("Exports"))
        await pilot.press(*" 2026", "enter")
        await settle(pilot, 5)
    assert [v.name for v in demo_store.run(sv.list_saved_views)] == ["Exports 2026"]


async def test_rename_with_the_new_name_typed_at_once(demo_store):
    """walk2: R and a name typed at once: the letters acted on the list behind (e closed
    a conversation) instead of going into the prompt."""
    from inbox_tui.services import views as sv

    demo_store.run(sv.save_view, "Exports", "export", "open")
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _views_on(pilot, app, "saved:Exports")
        before = closed_count(demo_store)
        await burst(pilot, "R", *" weekly", "enter")
        await settle(pilot, 5)
        assert not any("Only saved views" in t for t in toasts(app)), toasts(app)
        assert app.screen is app.main, app.screen
    assert [v.name for v in demo_store.run(sv.list_saved_views)] == ["Exports weekly"]
    assert closed_count(demo_store) == before


# -- 3. a value typed in a choice list carries on ---------------------------------------


async def mail_settle(pilot) -> None:
    from tests.tui.test_mail_keys import settle as settle_mail  # the IMAP watch runs on

    await settle_mail(pilot)


async def _reviewing(pilot, app):
    await mail_settle(pilot)
    await pilot.press("r")
    await mail_settle(pilot)
    await pilot.press(*"Later today.", "ctrl+s")
    await mail_settle(pilot)
    assert app.screen.reviewing


async def test_send_at_3h_typed_in_the_choices_schedules_3h(demo_store, smtp_server):
    """walk2: w, 3h and Enter opened an empty "Send at" prompt (3h filtered the choices
    to "Another time…", and Enter chose it)."""
    from datetime import UTC, datetime, timedelta

    from inbox_tui.tui.app import InboxApp
    from tests.tui.test_review_step import ME, smtp_config

    now = datetime.now(UTC).replace(microsecond=0)
    app = InboxApp(demo_store, smtp_config(smtp_server), ME, clock=lambda: now)
    async with app.run_test(size=SMALL) as pilot:
        await _reviewing(pilot, app)
        await pilot.press("w", *"3h", "enter")
        await mail_settle(pilot)
        assert app.screen.__class__.__name__ == "Composer", app.screen
        assert app.screen.review.send_at.replace(tzinfo=UTC) == now + timedelta(hours=3)
    assert smtp_server.messages == []


async def test_a_send_time_typed_wrong_is_refused_in_one_sentence_and_kept(demo_store, smtp_server):
    """A time that starts like one and does not read stays typed, with why."""
    from datetime import UTC, datetime

    from inbox_tui.tui.app import InboxApp
    from tests.tui.test_review_step import ME, smtp_config

    now = datetime.now(UTC).replace(microsecond=0)
    app = InboxApp(demo_store, smtp_config(smtp_server), ME, clock=lambda: now)
    async with app.run_test(size=SMALL) as pilot:
        await _reviewing(pilot, app)
        await pilot.press("w", *"3 hourz", "enter")
        await mail_settle(pilot)
        picker = app.screen
        assert picker.__class__.__name__ == "FuzzyPicker", picker
        assert picker.query_one("Input").value == "3 hourz"
        said = str(picker.query_one("#picker-error").render())
        assert "“3 hourz” is not a send time" in said, said
        assert app.screen_stack[-2].review.send_at is None


async def test_snooze_a_misspelt_day_is_refused_in_one_sentence_and_kept(demo_store):
    """walk2: z and a typo opened an empty Custom prompt without saying why ("on frday"
    filtered the presets down to "Custom…", and Enter chose it; "thursdy" took the
    "4 hours" preset). A misspelt day is refused where it was typed, and stays."""
    from textual.widgets import Input

    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for typo in ("on frday", "thursdy"):
            await pilot.press("z", *typo, "enter")
            await settle(pilot)
            picker = app.screen
            assert picker.__class__.__name__ == "FuzzyPicker", (typo, picker)
            assert picker.query_one(Input).value == typo
            said = str(picker.query_one("#picker-error").render())
            assert f"“{typo}” is not a snooze time; try " in said, said
            await pilot.press("escape")
            await settle(pilot)


async def test_snooze_custom_opens_with_the_time_typed_after_its_name(demo_store):
    """Custom chosen by typing its name and a time: the prompt opens with the time (it
    opened empty), and says at once why it does not read."""
    from textual.widgets import Input

    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("z", *"custom friday 25pm", "enter")
        await settle(pilot)
        prompt = app.screen
        assert prompt.__class__.__name__ == "Prompt", prompt
        assert prompt.query_one(Input).value == "friday 25pm"
        said = str(prompt.query_one("#prompt-error").render())
        assert "“friday 25pm” is not a snooze time; try " in said, said
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"2pm", "enter")
        await settle(pilot, 5)
        assert app.screen is app.main
        assert any("Snoozed" in t for t in toasts(app)), toasts(app)


# -- 4. the header names what the list shows -----------------------------------------


async def test_the_header_names_a_search_of_everything(demo_store):
    """walk2: the header said "All open (12)" over a search of everything: the count
    was of the search, the name of the view."""
    from inbox_tui.services.views import count_conversations, resolve_filter

    everywhere = demo_store.run(
        lambda s: count_conversations(s, resolve_filter("all", "export", "tester"))
    )
    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"export", "tab")
        await settle(pilot, 5)
        top = str(app.main.query_one("#top").render())
        assert f"inbox-tui · Search: export in Everything ({everywhere:,})" in top, top
        assert "All open (" not in top, top


# -- 5. the age column, and the help explaining it ----------------------------------


async def test_the_age_column_counts_from_the_customer_not_from_our_note(demo_store):
    """walk2: a note (or B) reset the row's age to 0m: it counted from the last activity,
    ours included. It is the customer's age: since they last wrote."""
    from datetime import UTC, timedelta

    from rich.style import Style

    from inbox_tui.tui.widgets.conversation_list import age

    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        lst = app.main.conv_list

        def row_of(cid):
            return next(r for rows in lst._pages.values() for r in rows if r and r.id == cid)

        now = app.clock()
        old = next(r for r in lst._pages[0] if now - r.last_activity_at > timedelta(days=1))
        with demo_store.read() as s:
            conv = s.get(Conversation, old.id)
            since = (conv.last_customer_at or conv.created_at).replace(tzinfo=UTC)
        app.main.open_conversation(old.id)
        await settle(pilot)
        await pilot.press("n", *"Checked the logs.", "ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot, 5)
        await pilot.press("escape")
        await settle(pilot, 5)
        row = row_of(old.id)
        assert row.last_activity_at > now - timedelta(minutes=5)  # the note is activity
        shown = "".join(seg.text for seg in lst._segments(row, 120, Style()))
        assert shown[3:8] == age(since, app.clock()).rjust(4) + " ", shown
        assert age(since, app.clock()) != "0m"


async def test_help_explains_the_age_column_and_the_response_marks(demo_store):
    """walk2: ? explained the status marks but not the age column nor `!1d`."""
    from tests.tui.test_core_loop import line_texts

    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        lines = [ln for w in app.screen.query("Static") for ln in line_texts(w)]
        assert any("3d" in ln and "since the customer last wrote" in ln for ln in lines)
        assert any("!1d" in ln and "overdue" in ln for ln in lines), lines


async def test_deleting_the_view_on_screen_goes_to_all_open(demo_store):
    """walk5: deleting the saved view the list showed left "Open bugs (team) (0) · No
    conversations here" on screen."""
    from inbox_tui.services import views as sv

    demo_store.run(sv.save_view, "Open bugs (team)", "tag:bug", "open")
    app = make_app(demo_store)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await _views_on(pilot, app, "saved:Open bugs (team)")
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.view == "saved:Open bugs (team)"
        await _views_on(pilot, app, "saved:Open bugs (team)")
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot, 5)
        top = str(app.main.query_one("#top").render())
        assert app.main.view == "open" and "All open" in top and "Open bugs" not in top, top
        assert app.main.conv_list.current_row() is not None
    assert demo_store.run(sv.list_saved_views) == []

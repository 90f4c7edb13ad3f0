"""The agent's core loop (#17): never act on what the agent cannot see, never lose typed
text, never crash on a documented key. Each test drives the app with keys, as an agent
would, and checks the store or the screen; each failed on the code before the fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from inbox_tui.config import AgentIdentity, Config
from inbox_tui.models import Agent, Conversation, Presence
from inbox_tui.services import triage
from tests.tui.conftest import ME, NOW, make_app, make_config
from tests.tui.test_triage_keys import conv, settle, tags_of

SIZE = (100, 30)


def lst(app):
    return app.main.query_one("#list")


def plain(widget) -> str:
    return str(widget.render())


def line_texts(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


# -- 1. selections are explicit and short-lived ------------------------------------------


async def test_open_thread_acts_on_itself_not_on_a_leftover_selection(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        picked = []
        for _ in range(2):
            picked.append(lst(app).current_row().id)
            await pilot.press("x")
            await settle(pilot)
        opened = lst(app).current_row().id
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"pricing", "enter")
        await settle(pilot)
        assert "pricing" in tags_of(demo_store, opened)
        assert not any("pricing" in tags_of(demo_store, cid) for cid in picked)


async def test_escape_clears_the_selection_and_the_footer_shows_it(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x", "x")
        await settle(pilot)
        assert len(lst(app).selected) == 2
        assert "2 selected" in plain(app.main.query_one("#keys"))
        await pilot.press("escape")
        await settle(pilot)
        assert not lst(app).selected
        assert "selected" not in plain(app.main.query_one("#keys"))
        assert "selected" not in plain(app.main.query_one("#top"))


async def test_bulk_macro_asks_then_ends_the_selection(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = []
        for _ in range(2):
            ids.append(lst(app).current_row().id)
            await pilot.press("x")
            await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("3")  # "Feature request logged": tags, replies, closes
        await settle(pilot)
        assert app.screen.__class__.__name__ == "Confirm"
        shown = plain(app.screen.query_one("Static"))
        for cid in ids:
            assert conv(demo_store, cid).subject[:40] in shown
        await pilot.press("n")  # no: nothing happens
        await settle(pilot)
        assert not any("feature request" in tags_of(demo_store, cid) for cid in ids)
        assert all(conv(demo_store, cid).status == "open" for cid in ids)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot, 5)
        assert all("feature request" in tags_of(demo_store, cid) for cid in ids)
        assert all(conv(demo_store, cid).status == "closed" for cid in ids)
        assert not lst(app).selected


# -- 2. the palette ----------------------------------------------------------------------


async def test_colon_and_ctrl_p_open_the_palette_without_crashing(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "CommandPalette"
        await pilot.press(*"search")  # a title with "[/]" in it, searched and highlighted
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running and app._exception is None
        assert app.screen is app.main
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "CommandPalette"
        await pilot.press(*"reply to", "enter")  # a command chosen from the palette runs
        await settle(pilot)
        assert app.screen.__class__.__name__ == "Composer"


# -- 3. the thread window ----------------------------------------------------------------


async def test_a_short_thread_keeps_every_message_after_an_action(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        thread = app.main.query_one("#thread").thread
        cid, count = thread.conversation.id, len(thread.messages)
        assert thread.earlier == 0
        await pilot.press("r", *"On it.", "ctrl+s", "y")
        await settle(pilot, 5)
        await pilot.press("t", *"pricing", "enter")
        await settle(pilot, 5)
        thread = app.main.query_one("#thread").thread
        assert thread.conversation.id == cid
        assert thread.earlier == 0 and len(thread.messages) == count + 1


# -- 4. the composer ---------------------------------------------------------------------


async def test_escape_closes_the_composer_and_r_brings_the_text_back(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", *"half a reply")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one("TextArea").text == "half a reply"


async def test_ctrl_q_quits_from_inside_the_composer(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", *"text")
        await settle(pilot)
        assert app.return_code is None
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0


async def test_a_send_error_gives_the_typed_reply_back(demo_store):
    # Not the demo, and no account to send from: queueing the reply fails.
    config = Config(path=None, db_url=None, agent=AgentIdentity(ME, "Tess Ter"), demo=False)
    app = make_app(demo_store, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r", *"a careful answer", "ctrl+s", "y")
        await settle(pilot, 5)
        assert any("No account" in n.message for n in app._notifications)
        assert app.screen.__class__.__name__ == "Composer"
        assert app.screen.query_one("TextArea").text == "a careful answer"


async def test_a_failed_macro_edit_keeps_the_edits(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("M", *"order status", "enter")
        await settle(pilot)
        app.screen.query_one("TextArea").text = "Hi {{contact.nickname}}, my long edit"
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        assert app.screen.__class__.__name__ == "Composer"
        assert app.screen.query_one("TextArea").text == "Hi {{contact.nickname}}, my long edit"


# -- 5. silent wrong outcomes ------------------------------------------------------------


async def test_send_and_close_after_a_macro_reply_closes(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("enter", "m")
        await settle(pilot)
        await pilot.press("2")  # "Ask for details": its own status is pending
        await settle(pilot)
        assert app.screen.__class__.__name__ == "Composer"
        await pilot.press("ctrl+s", "c")
        await settle(pilot, 5)
        assert conv(demo_store, cid).status == "closed"


async def test_typed_snooze_duration_wins_over_a_preset(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("enter", "z")
        await settle(pilot)
        await pilot.press(*"3h", "enter")
        await settle(pilot, 5)
        c = conv(demo_store, cid)
        assert c.status == "snoozed"
        assert c.snoozed_until.replace(tzinfo=NOW.tzinfo) == NOW + timedelta(hours=3)


@pytest.mark.parametrize(
    ("typed", "expected"),
    # NOW is Wednesday 2026-11-18 15:30 UTC. Each of these once snapped to a preset the
    # filter happened to match ("tomorrow 2pm" -> Tomorrow 09:00, "friday" -> 2 days).
    [
        ("tomorrow 2pm", datetime(2026, 11, 19, 14, 0, tzinfo=UTC)),
        ("friday", datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
        ("next monday 10:00", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        ("tomorrow 17:00", datetime(2026, 11, 19, 17, 0, tzinfo=UTC)),
    ],
)
async def test_typed_day_and_clock_time_snooze_until_that_time(demo_store, typed, expected):
    assert datetime(2026, 11, 18, 15, 30, tzinfo=UTC) == NOW
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("enter", "z")
        await settle(pilot)
        await pilot.press(*typed, "enter")
        await settle(pilot, 5)
        c = conv(demo_store, cid)
        assert c.status == "snoozed"
        assert c.snoozed_until.replace(tzinfo=UTC) == expected


async def test_a_bad_custom_snooze_says_so_and_keeps_the_dialog(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("enter", "z")
        await settle(pilot)
        await pilot.press(*"custom", "enter")
        await settle(pilot)
        prompt = app.screen
        assert prompt.__class__.__name__ == "Prompt"
        await pilot.press(*"next blue moon", "enter")
        await settle(pilot)
        assert app.screen is prompt
        assert "not a snooze time" in "".join(plain(s) for s in prompt.query("Static"))
        assert conv(demo_store, cid).status != "snoozed"
        # Once edited, the sentence was about another text (walk7: it stayed until Enter)
        await pilot.press("backspace")
        await settle(pilot)
        assert "not a snooze time" not in "".join(plain(s) for s in prompt.query("Static"))


async def test_focus_returns_to_the_list_after_saving_a_view(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"tag:bug", "ctrl+s")
        await settle(pilot)
        await pilot.press(*"Bugs", "enter")
        await settle(pilot)
        assert app.focused is lst(app)


# -- 6. display --------------------------------------------------------------------------


async def test_assignee_column_ends_at_the_right_edge_when_wide(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        widget = lst(app)
        assert widget.size.width >= 86
        for y, text in enumerate(line_texts(widget)[:10]):
            row = widget.row_at(int(widget.scroll_y) + y)
            assert text.rstrip().endswith((row.assignee or "—")[:10]), text


async def test_tags_show_at_80_columns(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        widget = lst(app)
        lines = line_texts(widget)
        tagged = [
            (y, row)
            for y in range(len(lines))
            if (row := widget.row_at(int(widget.scroll_y) + y)) and row.tags
        ]
        assert tagged
        for y, row in tagged:
            assert f"#{row.tags[0][:5]}" in lines[y]


async def test_help_explains_the_list_glyphs(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        # The help is several blocks (keys, then the list's marks, each in two columns
        # since #17): every line of the screen's text.
        text = "\n".join(ln for w in app.screen.query("Static") for ln in line_texts(w))
        for glyph, meaning in (("●", "open"), ("◐", "pending"), ("z", "snoozed"), ("✓", "closed")):
            assert any(glyph in line and meaning in line for line in text.splitlines()), glyph
        assert any("»" in line and "chat" in line for line in text.splitlines())


async def test_thread_opens_at_its_top_with_subject_and_viewers(demo_store):
    with demo_store.read() as s:
        busy = s.exec(
            select(Conversation)
            .where(Conversation.status == "open")
            .order_by(Conversation.message_count.desc())
        ).first()
    demo_store.run(lambda s: triage.ensure_agent(s, "priya"))
    from inbox_tui.services.presence import heartbeat

    demo_store.run(heartbeat, "priya", busy.id, "viewing")
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main.open_conversation(busy.id)
        await settle(pilot)
        view = app.main.query_one("#thread")
        assert view.thread.conversation.id == busy.id
        assert view.max_scroll_y > 0  # long enough to scroll at 80x24
        assert view.scroll_y == 0
        header = "\n".join(view.render_line(y).text for y in range(4))  # on screen, at the top
        assert busy.subject[:20] in header and "is viewing" in header


async def test_replying_presence_clears_when_the_reply_is_sent(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "r")
        await settle(pilot)

        def activity():
            with demo_store.read() as s:
                me = s.exec(select(Agent).where(Agent.username == ME)).one()
                return s.get(Presence, me.id).activity

        assert activity() == "replying"
        await pilot.press(*"Done.", "ctrl+s", "y")
        await settle(pilot, 5)
        assert activity() == "viewing"


async def test_collision_dialog_title_is_shown_whole(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("enter", "r", *"my answer")
        await settle(pilot)
        demo_store.run(triage.add_note, "priya", cid, "I am on this one")
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        picker = app.screen
        assert picker.__class__.__name__ == "FuzzyPicker"
        box = picker.query_one("Vertical")
        title = box.children[0]  # the dialog's first line(s)
        assert box.content_region.contains_region(title.region)  # not cut by the box
        # Every word of the title fits in the lines the title takes on screen.
        shown = " ".join(title.render_line(y).text.strip() for y in range(title.size.height))
        assert " ".join(picker.title_text.split()) == " ".join(shown.split())


async def test_pickers_mark_the_current_status_and_assignee(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "i")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert [it.value for it in app.screen.items if it.checked] == ["open"]
        await pilot.press("escape", "a")
        await settle(pilot)
        assert [it.value for it in app.screen.items if it.checked] == [ME]


async def test_snoozed_view_shows_wake_times(demo_store):
    app = make_app(demo_store, config=make_config())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("z", *"4 hours", "enter")
        await settle(pilot, 5)
        await pilot.press("v", "down", "down", "enter")  # All open → Pending → Snoozed
        await settle(pilot, 5)
        widget = lst(app)
        assert widget.total >= 1 and widget.row_at(0).status == "snoozed"
        wake = NOW + timedelta(hours=4)
        assert f"{wake:%H:%M}" in widget.render_line(0).text


async def test_keys_typed_right_after_t_go_to_the_picker(demo_store, monkeypatch):
    """The picker opens at once and fills when its data arrives: "pricing" typed while
    the tag choices load (slowly here, as on a busy store) must not reach the list
    (c is "customer", i "assign to me", n "note")."""
    import time

    from inbox_tui.services import suggest

    real = suggest.tag_choices

    def slow(*args, **kwargs):
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(suggest, "tag_choices", slow)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        before = conv(demo_store, cid).assignee_id
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("t", *"pricing", "enter")
        await settle(pilot, 5)
        assert "pricing" in tags_of(demo_store, cid)
        assert conv(demo_store, cid).assignee_id == before
        assert app.screen is app.main and app.main.query_one("#search").value == ""


async def test_a_picker_whose_choices_fail_closes_and_says_why(demo_store, monkeypatch):
    from inbox_tui.errors import UserError
    from inbox_tui.services import suggest

    def broken(*args, **kwargs):
        raise UserError("The tag list cannot be read right now.")

    monkeypatch.setattr(suggest, "tag_choices", broken)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert app.screen is app.main  # not a picker stuck on "Loading…"
        assert any("cannot be read" in n.message for n in app._notifications)


# -- pickers: what is typed is what is chosen ---------------------------------------------


def test_pickers_rank_what_starts_with_the_typed_text_first():
    from inbox_tui.tui.widgets.dialogs import PickItem, rank_items

    items = [PickItem(label=x, value=x) for x in ("Ask for details", "Order status", "bug")]
    # WRatio alone put "Ask for details" (its "for d...") above "Order status".
    assert [i.label for i in rank_items("order", items)][:1] == ["Order status"]
    assert [i.label for i in rank_items("stat", items)][:1] == ["Order status"]


async def test_a_new_tag_name_typed_and_entered_creates_that_tag(demo_store):
    """Walkthrough: t, "urgent", Enter tagged "feature request" (the first fuzzy match)."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        before = set(tags_of(demo_store, cid))
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"urgent", "enter")
        await settle(pilot)
        assert set(tags_of(demo_store, cid)) - before == {"urgent"}
        assert before <= set(tags_of(demo_store, cid))  # and nothing else toggled off


async def test_letters_typed_in_the_views_panel_touch_no_conversation(demo_store):
    """Walkthrough: v, then typing "All open" ran e (close) and n (note) on the
    conversation behind the panel, and i assigned it."""
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        before = conv(demo_store, cid)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press(*"eixsz")
        await settle(pilot)
        after = conv(demo_store, cid)
        assert (after.status, after.assignee_id, after.version) == (
            before.status,
            before.assignee_id,
            before.version,
        )
        assert len(app.screen_stack) == 2  # no picker or composer opened over the screen


async def test_discard_in_the_collision_dialog_discards_the_draft(demo_store):
    """walk2: "Discard the reply" kept the draft; r brought the text back."""
    from inbox_tui.services.drafts import get_draft, save_draft

    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        cid = lst(app).current_row().id
        await pilot.press("enter", "r", *"my answer")
        await settle(pilot)
        demo_store.run(save_draft, ME, cid, "my answer")  # as the composer's autosave does
        demo_store.run(triage.add_note, "priya", cid, "I am on this one")
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        assert app.screen.__class__.__name__ == "FuzzyPicker"
        await pilot.press(*"discard", "enter")
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert get_draft(s, ME, cid) is None

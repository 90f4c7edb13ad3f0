"""Mentions and the preview at 140+ columns (#21). The rule: a mention is read when its
note was shown on screen for the agent. The thread beside the list shows the cursor's
conversation; a note naming me that stays in sight there for PREVIEW_READ_SECONDS is
read, one the cursor only passes over is not, nor one below the preview's lines until
the preview is scrolled to it. Pilot at 160x48."""

from __future__ import annotations

from datetime import timedelta

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.services import core, mentions, triage
from inbox_tui.tui.screens.teamwork import PREVIEW_READ_SECONDS
from tests.tui.conftest import ME, NOW, make_app, settle

SIZE = (160, 48)
# Newer than the demo's mail, older than the notes (written at the real time).
LATER = NOW + timedelta(hours=1)


def conversation(store, key: str, messages: int, at) -> int:
    def work(s):
        ing = Ingestor(s)
        cid = None
        for i in range(messages):
            cid = ing.add(
                IncomingMessage(
                    source="t",
                    external_id=f"{key}-{i}",
                    message_id=f"<{key}-{i}@preview.example>",
                    in_reply_to=f"<{key}-{i - 1}@preview.example>" if i else None,
                    subject=f"Preview {key}",
                    author_email=f"{key}@customer.example",
                    author_name=key.title(),
                    sent_at=at + timedelta(minutes=i),
                    body=f"message {i} of {key}",
                )
            ).conversation_id
        return cid

    return store.run(work)


def unread(store) -> set[int]:
    with store.read() as s:
        return {m.conversation_id for m in mentions.list_mentions(s, ME, unread_only=True)}


def index_of(app, cid: int) -> int:
    lst = app.main.conv_list
    return next(i for i in range(min(lst.total, 100)) if (r := lst.row_at(i)) and r.id == cid)


async def move_to(pilot, index: int) -> None:
    lst = pilot.app.main.conv_list
    for _ in range(200):
        if lst.cursor == index:
            return
        await pilot.press("j" if lst.cursor < index else "k")
    raise AssertionError(f"the cursor stays at {lst.cursor}, not {index}")


async def dwell(pilot) -> None:
    await pilot.pause(PREVIEW_READ_SECONDS + 0.6)
    await settle(pilot)


async def test_a_previewed_note_is_read_once_it_was_on_screen(demo_store):
    demo_store.run(core.ensure_agent, "sam")
    short = conversation(demo_store, "short", 2, LATER)
    long = conversation(demo_store, "long", 45, LATER - timedelta(days=1))
    demo_store.run(triage.add_note, "sam", short, f"@{ME} please look at this")
    demo_store.run(triage.add_note, "sam", long, f"@{ME} the last one here")
    assert unread(demo_store) == {short, long}
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = app.main
        assert main.has_class("-wide")
        at_short, at_long = index_of(app, short), index_of(app, long)
        # The cursor passes over it: shown for a moment, not read.
        await move_to(pilot, max(at_short, at_long) + 1)
        await settle(pilot)
        await move_to(pilot, at_short)
        assert main.open_id == short
        await move_to(pilot, max(at_short, at_long) + 1)  # a demo conversation
        await dwell(pilot)
        assert unread(demo_store) == {short, long}
        # It stays on screen: read, the @ mark goes, the count follows.
        await move_to(pilot, at_short)
        await settle(pilot)
        assert main.thread_view.thread.conversation.id == short
        assert main.thread_view.notes_on_screen()
        await dwell(pilot)
        assert unread(demo_store) == {long}
        assert not main.conv_list.current_row().mentioned
        assert main.unread_mentions == 1
        assert not main.has_class("-reading")  # only previewed, never opened
        # A long thread previews from its top: the note below the screen is not read...
        await move_to(pilot, index_of(app, long))
        await settle(pilot)
        assert main.thread_view.thread.conversation.id == long
        assert main.thread_view.notes_on_screen() == []
        await dwell(pilot)
        assert unread(demo_store) == {long}
        assert main.conv_list.current_row().mentioned
        # ...until the preview is scrolled to it.
        tv = main.thread_view
        note = tv.thread.messages[-1]
        assert note.direction == "note"
        tv.scroll_to(y=tv.line_of(note.id), animate=False, immediate=True)  # the mouse wheel
        await settle(pilot)
        assert tv.scroll_y == tv.max_scroll_y  # as far as it goes: the note in sight
        assert main.thread_view.notes_on_screen()
        await dwell(pilot)
        assert unread(demo_store) == set()
        assert main.unread_mentions == 0

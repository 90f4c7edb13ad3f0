"""A mention shown in an open thread is read (#21, walk4 #11). The rule: a mention is
read once the agent has its note on screen: the thread opened (all of it), or the
preview after its dwell (test_mention_preview). A note naming me that arrives while
its thread is open shows there at the refresh (the SQLite poll, PostgreSQL's notice),
so it is read then: no unread count, no @ mark on the list. A mention in another
conversation stays unread."""

from __future__ import annotations

from inbox_tui.services import core, mentions, triage
from inbox_tui.store import Store
from tests.tui.conftest import ME, make_app, settle
from tests.tui.test_mention_preview import index_of, move_to
from tests.tui.test_team_keys import customer_wrote_twice, shown_row


def unread(store) -> set[int]:
    with store.read() as s:
        return {m.conversation_id for m in mentions.list_mentions(s, ME, unread_only=True)}


async def open_and_wait_for_note(
    pilot, write, text: str, cid: int, other: int, poll: bool = True
) -> None:
    """Open ``cid``, then another agent's notes name me in ``cid`` and ``other`` (by
    ``write``); wait until the open thread shows the first (the refresh: the poll, or
    with ``poll`` False PostgreSQL's notice alone)."""
    app = pilot.app
    main = app.main
    await settle(pilot)
    app._poll()  # the baseline of the toasts
    await settle(pilot)
    await move_to(pilot, index_of(app, cid))
    await pilot.press("enter")
    await settle(pilot, 5)
    assert main.has_class("-reading") and main.thread_view.thread.conversation.id == cid
    write(triage.add_note, "sam", cid, f"@{ME} {text}")
    write(triage.add_note, "sam", other, f"@{ME} and this one")
    for _ in range(100):  # the poll here; on PostgreSQL until the listener heard it
        if poll:
            app._poll()
        await pilot.pause(0.1)
        await settle(pilot, 5)
        bodies = [m.body for m in main.thread_view.thread.messages]
        if f"@{ME} {text}" in bodies:
            return
    raise AssertionError("the open thread never showed the new note")


async def check_read(pilot, store, cid: int, other: int) -> None:
    main = pilot.app.main
    await settle(pilot, 5)
    assert unread(store) == {other}  # the one on screen read, the other not
    assert main.has_class("-reading")  # still reading it: nothing reopened it
    assert not shown_row(pilot.app, cid).mentioned  # the list's @ mark goes
    assert shown_row(pilot.app, other).mentioned
    assert main.unread_mentions == 1


async def test_a_note_naming_me_that_arrives_in_the_open_thread_is_read(demo_store):
    demo_store.run(core.ensure_agent, "sam")
    cid, other = customer_wrote_twice(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_and_wait_for_note(pilot, demo_store.run, "new here", cid, other)
        await check_read(pilot, demo_store, cid, other)


async def test_at_160_columns_an_opened_thread_reads_a_new_mention_too(demo_store):
    """The preview's dwell rule stops in the opened thread ("-reading"): opened, the
    whole thread counts as shown."""
    demo_store.run(core.ensure_agent, "sam")
    cid, other = customer_wrote_twice(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_and_wait_for_note(pilot, demo_store.run, "wide one", cid, other)
        await check_read(pilot, demo_store, cid, other)


async def test_on_postgresql_the_notice_brings_the_note_and_it_is_read(postgres_url_factory):
    store = Store(postgres_url_factory())
    cid, other = customer_wrote_twice(store)
    store.run(core.ensure_agent, "sam")
    store.run(core.ensure_agent, ME)
    writer = Store(store.url)  # another agent's session: its own connections
    app = make_app(store, poll_seconds=3600)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await open_and_wait_for_note(pilot, writer.run, "on postgres", cid, other, poll=False)
            await check_read(pilot, store, cid, other)
    finally:
        writer.close()
        store.close()

"""Defects a README-only walkthrough (walk3: three agents on one demo store in tmux)
found; each test failed on the code before its fix."""

from __future__ import annotations

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

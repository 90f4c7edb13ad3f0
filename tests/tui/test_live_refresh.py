"""On PostgreSQL the TUI hears other agents' changes (LISTEN/NOTIFY) instead of waiting
for its poll: here the poll is an hour, so only the notification can refresh the list."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.services import triage
from inbox_tui.store import Store
from tests.tui.conftest import make_app, settle


def listeners() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "inbox-tui-listen" and t.is_alive()]


async def test_another_agents_tag_appears_without_a_poll(postgres_url_factory):
    store = Store(postgres_url_factory())

    def add(s):
        ing = Ingestor(s)
        for i in range(3):
            ing.add(
                IncomingMessage(
                    source="t",
                    external_id=str(i),
                    message_id=f"<live{i}@example.com>",
                    subject=f"Question {i}",
                    author_name="Ann",
                    author_email=f"ann{i}@example.com",
                    sent_at=datetime(2026, 11, 18, 10, i, tzinfo=UTC),
                    body="hi",
                )
            )

    store.run(add)
    other = Store(store.url)  # another agent: its own engine and connections
    app = make_app(store, poll_seconds=3600)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            row = app.main.conv_list.current_row()
            assert row is not None and "urgent" not in row.tags
            assert len(listeners()) == 1
            for _ in range(100):  # until the listener is up and has heard it
                other.run(lambda s: triage.tag(s, "ann", row.id, "urgent"))
                await pilot.pause(0.1)
                await settle(pilot)
                if "urgent" in app.main.conv_list.current_row().tags:
                    break
                other.run(lambda s: triage.untag(s, "ann", row.id, "urgent"))
            assert "urgent" in app.main.conv_list.current_row().tags
        for _ in range(50):  # the app has ended: its listener stops within a wake-up
            if not listeners():
                break
            time.sleep(0.1)
        assert not listeners()
    finally:
        other.close()
        store.close()

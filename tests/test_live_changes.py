"""PostgreSQL LISTEN/NOTIFY: a change committed on one connection wakes a listener on
another, and the listener stops when asked. (SQLite has no notifications; the TUI polls.)"""

from __future__ import annotations

import queue
import threading

import pytest

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import utcnow
from inbox_tui.services import triage
from inbox_tui.services.changes import listen_for_changes
from inbox_tui.services.presence import heartbeat
from inbox_tui.store import Store


@pytest.fixture
def pg_store(postgres_url_factory):
    s = Store(postgres_url_factory())
    yield s
    s.close()


def _listener(store: Store):
    woke: queue.Queue[str] = queue.Queue()
    stop = threading.Event()
    ready = threading.Event()

    def on_change() -> None:
        woke.put("change")

    def run() -> None:
        ready.set()
        listen_for_changes(store.url, on_change, stop.is_set, wake_every=0.2)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    ready.wait(10)
    return woke, stop, t


def test_a_committed_change_wakes_the_listener(pg_store):
    def add(s):
        Ingestor(s).add(
            IncomingMessage(
                source="t",
                external_id="1",
                message_id="<n1@example.com>",
                subject="Hello",
                author_name="Ann",
                author_email="ann@example.com",
                sent_at=utcnow(),
                body="hi",
            )
        )

    pg_store.run(add)
    woke, stop, thread = _listener(pg_store)
    try:
        # the LISTEN is in place once a notice sent after it arrives: send until one does
        for _ in range(50):
            pg_store.run(triage.ensure_agent, "sam")  # no event: must not notify
            pg_store.run(lambda s: triage.tag(s, "sam", 1, "probe"))
            try:
                woke.get(timeout=0.2)
                break
            except queue.Empty:
                continue
        else:
            raise AssertionError("no notification after 50 committed changes")
        while not woke.empty():
            woke.get_nowait()
        # another agent's change, once the listener is known to be listening
        pg_store.run(lambda s: triage.assign(s, "sam", 1, "sam"))
        assert woke.get(timeout=30) == "change"
        # new mail: ingest writes through Core statements, not ORM objects
        pg_store.run(
            lambda s: Ingestor(s).add(
                IncomingMessage(
                    source="t",
                    external_id="2",
                    message_id="<n2@example.com>",
                    subject="Another",
                    author_email="bo@example.com",
                    sent_at=utcnow(),
                    body="new mail",
                )
            )
        )
        assert woke.get(timeout=30) == "change"
        # presence: an agent seen before is one Core UPDATE (services/presence), which
        # must still tell the others who has the conversation open
        pg_store.run(heartbeat, "sam", 1)  # the first creates the row (through the ORM)
        assert woke.get(timeout=30) == "change"
        pg_store.run(heartbeat, "sam", 1, "replying")
        assert woke.get(timeout=30) == "change"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_saved_view_renamed_or_deleted_wakes_the_listener(pg_store):
    """Saved views write no event: a rename or a delete by the CLI must still notify,
    so every TUI's views panel follows (walk5 #11)."""
    from inbox_tui.services import views

    pg_store.run(views.save_view, "Bugs", "tag:bug", "open")
    woke, stop, thread = _listener(pg_store)
    try:
        for n in range(50):  # listening once a notice sent after the LISTEN arrives
            pg_store.run(views.save_view, f"probe {n}", "tag:bug", "open")
            try:
                woke.get(timeout=0.2)
                break
            except queue.Empty:
                continue
        else:
            raise AssertionError("no notification after 50 saved views")
        while not woke.empty():
            woke.get_nowait()
        pg_store.run(views.rename_view, "Bugs", "Bugs to fix")
        assert woke.get(timeout=30) == "change"
        pg_store.run(views.delete_view, "Bugs to fix")
        assert woke.get(timeout=30) == "change"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()

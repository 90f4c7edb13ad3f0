"""Presence for a thread opened or left is said once the agent stays (#22): the write
(a worker and a transaction, ~1 ms of CPU) no longer shares the open's frame, an open
left at once writes nothing, and leaving a thread is said too (it waited for the next
15-second heartbeat)."""

from __future__ import annotations

import asyncio
import time

from inbox_tui.services import presence
from inbox_tui.tui import app as tui_app
from tests.tui.conftest import make_app, settle
from tests.tui.test_typing_flow import presence_of


def _written(monkeypatch) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """The heartbeats written from now on: (conversation, activity). The agent stays
    only when the test says so (``_stay``), however slow the machine."""
    monkeypatch.setattr(tui_app, "PRESENCE_SETTLE", 3600.0)
    written: list[tuple[object, ...]] = []
    real = presence.heartbeat

    def counted(session, actor, conversation_id, activity="viewing"):  # type: ignore[no-untyped-def]
        written.append((conversation_id, activity))
        return real(session, actor, conversation_id, activity)

    monkeypatch.setattr(presence, "heartbeat", counted)
    return written


async def _stay(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """The agent stays: the pending presence write is due now (not after a real wait)."""
    timer = app._presence_timer
    if timer is not None:
        timer.stop()
        app._presence_settled()
    await settle(pilot)


async def test_an_open_thread_is_said_once_the_agent_stays(demo_store, monkeypatch):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app._heartbeat()  # the 15-second heartbeat: in the list
        await settle(pilot)
        written = _written(monkeypatch)
        cid = app.main.conv_list.current_row().id
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.has_class("-reading")
        assert written == []  # not in the open's frame
        await _stay(app, pilot)
        assert written == [(cid, "viewing")]
        assert presence_of(demo_store) == (cid, "viewing")
        await pilot.press("escape")
        await settle(pilot)
        await _stay(app, pilot)
        assert written == [(cid, "viewing"), (None, "viewing")]
        assert presence_of(demo_store) == (None, "viewing")


async def test_a_thread_left_at_once_writes_nothing(demo_store, monkeypatch):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app._heartbeat()
        await settle(pilot)
        written = _written(monkeypatch)
        for _ in range(3):
            await pilot.press("enter", "escape")
            await settle(pilot)
        await _stay(app, pilot)
        assert not app.main.has_class("-reading")
        assert written == []
        assert presence_of(demo_store) == (None, "viewing")


async def test_the_wait_starts_again_at_each_change(demo_store, monkeypatch):
    """An agent going from thread to thread (Enter, Esc, j, Enter) is said once they
    stay on the last one: counted from the first change, the write landed inside the
    next thread's open (#22: a third idle window in 1 of ~8 opens of the benchmark)."""
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app._heartbeat()
        await settle(pilot)
        written = _written(monkeypatch)
        settle_s = 2.0
        monkeypatch.setattr(tui_app, "PRESENCE_SETTLE", settle_s)
        opened = time.monotonic()
        await pilot.press("enter")
        await settle(pilot)
        await asyncio.sleep(max(0.0, opened + 0.6 * settle_s - time.monotonic()))
        await pilot.press("escape", "j", "enter")
        last = time.monotonic()
        await settle(pilot)
        second = app.main.conv_list.current_row().id
        assert app.main.open_id == second
        # Counted from the first Enter, the write was due ~0.4 * settle_s from here.
        await asyncio.sleep(max(0.0, last + 0.9 * settle_s - time.monotonic()))
        assert written == []
        for _ in range(100):
            if written:
                break
            await asyncio.sleep(0.05)
        await settle(pilot)
        assert written == [(second, "viewing")]
        assert presence_of(demo_store) == (second, "viewing")

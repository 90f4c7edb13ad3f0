"""The real TUI stays open on a store while agent processes triage it, on SQLite and
PostgreSQL: the list keeps up by its own polling (no restart, no reload by the test), the
agent's cursor stays on the conversation it was on, and nothing goes wrong on screen.

At the end the list (every conversation, the "Everything" view) must show exactly what
the store has: order, status, assignee and tags; the event log must replay to the same
state (as in test_many_agents); no exception may have reached the app and no error may
have been shown in the status line at any point."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from sqlmodel import func, select

from inbox_tui.models import Message
from inbox_tui.services.conversations import ConversationFilter, list_conversations
from inbox_tui.store import Store
from tests.reliability.test_many_agents import replay, seed
from tests.tui.conftest import make_app, settle
from tests.tui.test_core_loop_views_help import _pick_view

SIZE = (120, 40)
CONVERSATIONS = 40
CURSOR_AT = 7


def start_agents(url: str, agents: int, seconds: float) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.agent_worker",
                url,
                f"agent{a}",
                str(seconds),
                str(100 + a),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in range(agents)
    ]


def finish(procs: list[subprocess.Popen[str]]) -> list[dict]:
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def shown(rows) -> list[tuple]:
    return [(r.id, r.status, r.assignee, sorted(r.tags)) for r in rows]


def in_store(store: Store) -> list[tuple]:
    with store.read() as s:
        return shown(list_conversations(s, ConversationFilter(), limit=100))


def on_screen(app) -> list[tuple]:
    return shown(app.main.conv_list._pages.get(0, []))


def thread_on_screen(app) -> tuple | None:
    t = app.main.thread_view.thread
    return None if t is None else (*shown([t.conversation]), t.earlier + len(t.messages))


def thread_in_store(store: Store, cid: int) -> tuple:
    with store.read() as s:
        row = next(r for r in list_conversations(s, ConversationFilter(), limit=100) if r.id == cid)
        count = s.exec(select(func.count()).where(Message.conversation_id == cid)).one()
    return (*shown([row]), count)


def status_text(app) -> str:
    return str(app.main.query_one("#status").content)


async def run(store: Store, agents: int, seconds: float) -> None:
    seed(store, CONVERSATIONS)
    app = make_app(store, poll_seconds=0.2)
    statuses: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _pick_view(pilot, app, "all")  # the views list: Everything
        await settle(pilot)
        assert app.main.view == "all" and app.main.conv_list.total == CONVERSATIONS
        for _ in range(CURSOR_AT):
            await pilot.press("down")
        await settle(pilot)
        kept = app.main.conv_list.current_row().id
        await pilot.press("enter")  # open it: its thread reloads on every change too
        await settle(pilot)
        assert app.main.open_id == kept
        generation = app.main.conv_list._generation

        procs = start_agents(store.url, agents, seconds)
        try:
            while any(p.poll() is None for p in procs):
                await pilot.pause(0.25)
                row = app.main.conv_list.current_row()
                assert row is None or row.id == kept, "the cursor moved to another conversation"
                if status_text(app):
                    statuses.append(status_text(app))
                assert app._exception is None, app._exception
        finally:
            results = finish(procs)
        errors = [e for r in results for e in r["errors"] if "in the past" not in e]
        assert errors == []
        assert sum(r["actions"] for r in results) > agents * 5
        replay(store)

        # The list and the open thread catch up by their own poll: wait (bounded) until
        # they show what the store has.
        deadline = time.monotonic() + 60
        while (on_screen(app), thread_on_screen(app)) != (
            in_store(store),
            thread_in_store(store, kept),
        ):
            assert time.monotonic() < deadline, (
                "the open list or thread never showed the store's final state",
                on_screen(app),
                in_store(store),
                thread_on_screen(app),
                thread_in_store(store, kept),
            )
            await pilot.pause(0.25)
        assert app.main.conv_list.total == CONVERSATIONS
        assert app.main.conv_list._generation > generation, "the list never refreshed live"
        assert app.main.conv_list.current_row().id == kept
        assert app.main.open_id == kept
        if status_text(app):
            statuses.append(status_text(app))
        assert statuses == [], statuses
        assert app._exception is None, app._exception
    assert app._exception is None and app.return_code in (None, 0)


async def test_tui_open_while_four_agents_work(store):
    await run(store, agents=4, seconds=12)


@pytest.mark.slow
async def test_tui_open_while_eight_agents_work_ninety_seconds(store):
    await run(store, agents=8, seconds=90)

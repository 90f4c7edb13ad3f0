"""Round-robin in the TUI (#21 acceptance walk): with `[assignment]` on, a conversation
that arrives while agents run the TUI is given to whoever's turn it is among those
present, at the poll that sees it; before, only `inbox-tui assign` (cron) gave work out,
so "turn on round-robin for two agents in two TUIs" assigned nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Agent, Conversation
from inbox_tui.services import presence
from tests.tui.conftest import ME, NOW, make_app, make_config, settle


def arrive(store, key: str, minutes: int) -> int:
    def work(s):
        return (
            Ingestor(s)
            .add(
                IncomingMessage(
                    source="imap:support/INBOX",
                    external_id=key,
                    message_id=f"<{key}@customer.example>",
                    subject=f"Arrived {key}",
                    author_email=f"{key}@customer.example",
                    sent_at=NOW + timedelta(minutes=minutes),
                    body="hello",
                )
            )
            .conversation_id
        )

    return store.run(work)


def assignee(store, cid: int) -> str | None:
    with store.read() as s:
        conv = s.get(Conversation, cid)
        if conv is None or conv.assignee_id is None:
            return None
        return s.exec(select(Agent.username).where(Agent.id == conv.assignee_id)).one()


async def test_new_conversations_are_given_out_in_turn_while_the_tui_runs(store):
    waiting = arrive(store, "before-start", 0)  # waited for someone before the TUI started
    cfg = make_config(assignment={"mode": "round-robin", "agents": [ME, "sam"], "cap": 20})
    app = make_app(store, config=cfg)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        store.run(presence.heartbeat, ME, None)  # this TUI's heartbeat; sam is away
        app._poll()
        await settle(pilot)
        assert assignee(store, waiting) == ME
        first = arrive(store, "first", 1)
        app._poll()
        await settle(pilot)
        assert assignee(store, first) == ME  # the only one present
        assert "Given to you (round-robin)" in app.main.query_one("#status").render().plain
        store.run(presence.heartbeat, "sam", None)  # sam opens the TUI elsewhere
        second, third = arrive(store, "second", 2), arrive(store, "third", 3)
        app._poll()
        await settle(pilot)
        assert [assignee(store, second), assignee(store, third)] == ["sam", ME]
        app._poll()  # the assignments' own change: the list shows them
        await settle(pilot)
        row = next(
            r
            for i in range(app.main.conv_list.total)
            if (r := app.main.conv_list.row_at(i)) and r.id == third
        )
        assert row.assignee == ME

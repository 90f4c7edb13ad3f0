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


async def test_an_absent_agents_unanswered_work_is_reoffered_by_the_poll(store):
    """[assignment] reoffer_after: an agent's presence lapses without any change in the
    store, so the poll looks for absences by itself (every 30 s) and re-offers their
    unanswered conversations to those present, with the reason in the event."""
    import json

    from inbox_tui.models import Event, Presence, utcnow
    from inbox_tui.services import triage

    def last_seen(name: str, minutes: int) -> None:
        def work(s):
            agent = triage.ensure_agent(s, name)
            row = s.get(Presence, agent.id) or Presence(agent_id=agent.id)
            row.heartbeat_at = utcnow() - timedelta(minutes=minutes)
            s.add(row)

        store.run(work)

    cid = arrive(store, "sams", 0)
    last_seen("sam", 10)
    store.run(triage.assign, "sam", cid, "sam")
    policy = {"mode": "round-robin", "agents": [ME, "sam"], "reoffer_after": "15m"}
    app = make_app(store, config=make_config(assignment=policy))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        store.run(presence.heartbeat, ME, None)
        app._poll()
        await settle(pilot)
        assert assignee(store, cid) == "sam"  # away 10 minutes: not yet
        last_seen("sam", 20)  # a lapse changes nothing the change token sees
        app._poll()
        await settle(pilot)
        assert assignee(store, cid) == "sam"  # looked less than 30 s ago
        app._reoffer_looked -= 31  # half a minute later
        app._poll()
        await settle(pilot)
        assert assignee(store, cid) == ME
        assert "Given to you (round-robin)" in app.main.query_one("#status").render().plain
    with store.read() as s:
        data = [json.loads(d) for d in s.exec(select(Event.data).where(Event.kind == "assigned"))]
    assert [(d["to"], d.get("reason")) for d in data if d.get("auto")] == [(ME, "away")]

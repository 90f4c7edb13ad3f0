"""Fair auto-assignment (#21): round-robin and least-open among present agents under a
cap, re-offered when an agent goes away, and never the same conversation twice with
many processes assigning at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from inbox_tui import cli
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Conversation, Event, Presence, utcnow
from inbox_tui.services import core, triage
from inbox_tui.services.autoassign import AssignPolicy, assign_next, reoffer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seed(store, n: int, start: int = 0) -> list[int]:
    def work(s):
        ing = Ingestor(s)
        return [
            ing.add(
                IncomingMessage(
                    source="imap:support/INBOX",
                    external_id=str(i),
                    message_id=f"<c{i}@x>",
                    subject=f"Question {i}",
                    author_email=f"c{i}@acme.example",
                    author_name=f"C{i}",
                    sent_at=T0 + timedelta(minutes=i),
                    body="help",
                )
            ).conversation_id
            for i in range(start, start + n)
        ]

    return store.run(work)


def present(store, *names: str, away: tuple[str, ...] = ()) -> None:
    def work(s):
        for name in (*names, *away):
            agent = core.ensure_agent(s, name)
            row = s.get(Presence, agent.id) or Presence(agent_id=agent.id)
            # Present: a heartbeat that stays fresh for the whole test; away: stale.
            row.heartbeat_at = utcnow() + (
                timedelta(hours=-1) if name in away else timedelta(hours=1)
            )
            s.add(row)

    store.run(work)


def assignees(store) -> dict[int, str | None]:
    with store.read() as s:
        from inbox_tui.models import Agent

        rows = s.exec(
            select(Conversation.id, Agent.username).outerjoin(
                Agent, Agent.id == Conversation.assignee_id
            )
        ).all()
        return dict(rows)


def run_all(store, policy) -> list[tuple[int, str]]:
    out = []
    while (done := store.run(assign_next, policy)) is not None:
        out.append(done)
    return out


def test_round_robin_among_present_agents_under_the_cap(store):
    ids = seed(store, 6)
    present(store, "sam", "ann", away=("bob",))
    given = run_all(store, AssignPolicy("round-robin", cap=2))
    assert given == [(ids[0], "ann"), (ids[1], "sam"), (ids[2], "ann"), (ids[3], "sam")]
    assert [assignees(store)[i] for i in ids[4:]] == [None, None]  # everyone at the cap
    with store.read() as s:
        event = s.exec(select(Event).where(Event.kind == "assigned").order_by(Event.id)).first()
        assert event is not None and event.agent_id is None
        assert json.loads(event.data) == {
            "from": None,
            "to": "ann",
            "auto": "round-robin",
            "reason": "new",
        }
    # The turn continues where it stopped: closing one frees a place for ann.
    store.run(triage.close, "ann", ids[0])
    assert run_all(store, AssignPolicy("round-robin", cap=2)) == [(ids[4], "ann")]


def test_least_open_fills_the_emptiest_first(store):
    ids = seed(store, 5)
    present(store, "sam", "ann")
    store.run(triage.assign, "sam", ids[4], "sam")
    store.run(triage.assign, "sam", ids[3], "sam")
    given = run_all(store, AssignPolicy("least-open", cap=10))
    assert [a for _, a in given] == ["ann", "ann", "sam"]
    assert Counter(assignees(store).values()) == {"ann": 2, "sam": 3}


def test_only_the_listed_agents_and_sources(store):
    ids = seed(store, 2)
    present(store, "sam", "ann")
    assert run_all(store, AssignPolicy("round-robin", agents=("sam",), sources=("chat:",))) == []
    assert run_all(
        store, AssignPolicy("round-robin", agents=("sam",), sources=("imap:support/",))
    ) == [
        (ids[0], "sam"),
        (ids[1], "sam"),
    ]


def test_an_absent_agents_work_is_re_offered(store):
    ids = seed(store, 3)
    present(store, "sam", "ann")
    policy = AssignPolicy("round-robin")
    run_all(store, policy)
    assert Counter(assignees(store).values()) == {"ann": 2, "sam": 1}
    present(store, "sam", away=("ann",))
    moved = store.run(reoffer, policy)
    assert sorted(c for c, _ in moved) == [ids[0], ids[2]] and {a for _, a in moved} == {"sam"}
    assert set(assignees(store).values()) == {"sam"}


CONCURRENT = 4


def test_many_processes_never_give_a_conversation_twice(store, tmp_path):
    ids = seed(store, 40)
    present(store, "sam", "ann")
    config = tmp_path / "c.toml"
    config.write_text('[agent]\nusername = "cron"\n[assignment]\nmode = "round-robin"\ncap = 100\n')
    args = [
        sys.executable,
        "-m",
        "inbox_tui",
        "--config",
        str(config),
        "--db",
        store.url,
        "assign",
        "--json",
    ]
    procs = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(CONCURRENT)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    given = [json.loads(line) for out, _ in outs for line in out.splitlines()]
    assert sorted(g["id"] for g in given) == sorted(ids)  # each exactly once
    with store.read() as s:
        events = s.exec(select(Event.conversation_id).where(Event.kind == "assigned")).all()
    assert sorted(events) == sorted(ids)
    # The turn order held across processes: strict alternation, 20 each.
    assert Counter(assignees(store).values()) == {"ann": 20, "sam": 20}
    with store.read() as s:
        order = [
            json.loads(d)["to"]
            for d in s.exec(
                select(Event.data).where(Event.kind == "assigned").order_by(Event.id)
            ).all()
        ]
    assert order == ["ann", "sam"] * 20


def test_off_is_one_sentence(sqlite_store, capsys):
    assert cli.main(["--db", sqlite_store.url, "assign"]) == 2
    assert "Auto-assignment is off" in capsys.readouterr().err

"""Re-offering an absent agent's work by itself (#21: "re-offered when an agent goes away
with open conversations"): with ``[assignment] reoffer_after`` set (opt-in), once an
agent's presence has lapsed that long their open conversations still waiting for a reply
are given out again by the fair auto-assignment, each an ``assigned`` event with the
reason; many processes at once never move one twice. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import col, select

from inbox_tui.config import ConfigError, load_config
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Event, Presence, utcnow
from inbox_tui.services import core, triage
from inbox_tui.services.autoassign import AssignPolicy, reoffer_lapsed
from tests.test_autoassign import T0, assignees, seed


def seen(store, name: str, ago: timedelta) -> None:
    """``name``'s TUI last sent its heartbeat ``ago`` (negative: fresh for the test)."""

    def work(s):
        agent = core.ensure_agent(s, name)
        row = s.get(Presence, agent.id) or Presence(agent_id=agent.id)
        row.heartbeat_at = utcnow() - ago
        s.add(row)

    store.run(work)


def answer(store, cid: int, key: str) -> None:
    """Our reply from the mailbox: the conversation no longer waits."""

    def work(s):
        Ingestor(s).add(
            IncomingMessage(
                source="imap:support/INBOX",
                external_id=key,
                message_id=f"<{key}@x>",
                in_reply_to=f"<c{cid - 1}@x>",
                subject="Re",
                author_email="support@us.example",
                author_name="ann",
                agent_username="ann",
                sent_at=T0 + timedelta(hours=1),
                body="done",
            )
        )

    store.run(work)


def away_events(store) -> list[dict]:
    with store.read() as s:
        rows = s.exec(
            select(Event.conversation_id, Event.data)
            .where(Event.kind == "assigned")
            .order_by(col(Event.id))
        ).all()
    return [
        {"id": cid, **json.loads(d)} for cid, d in rows if json.loads(d).get("reason") == "away"
    ]


def test_an_agent_away_longer_than_the_setting_has_their_unanswered_work_reoffered(store):
    ids = seed(store, 4)
    seen(store, "sam", -timedelta(hours=1))
    seen(store, "ann", timedelta(minutes=10))
    for cid in ids[:3]:
        store.run(triage.assign, "ann", cid, "ann")
    answer(store, ids[2], "a1")  # ann answered this one: it does not wait on her
    store.run(triage.set_status, "ann", ids[1], "pending")  # waits on the customer
    policy = AssignPolicy("round-robin", reoffer_after=timedelta(minutes=15))
    assert reoffer_lapsed(store, policy) == []  # away 10 minutes: not yet
    assert reoffer_lapsed(store, AssignPolicy("round-robin")) == []  # opt-in
    seen(store, "ann", timedelta(minutes=20))
    assert reoffer_lapsed(store, policy) == [(ids[0], "sam")]
    got = assignees(store)
    assert (got[ids[0]], got[ids[1]], got[ids[2]]) == ("sam", "ann", "ann")
    [event] = away_events(store)
    assert event["from"] == "ann" and event["to"] == "sam" and event["auto"] == "round-robin"
    assert event["away_since"] is not None
    assert reoffer_lapsed(store, policy) == []  # once


def test_never_back_to_someone_absent(store):
    ids = seed(store, 2)
    seen(store, "ann", timedelta(hours=2))
    seen(store, "bob", timedelta(hours=3))
    store.run(triage.assign, "ann", ids[0], "ann")
    # present_only off lets absent agents get new work, never an absent agent's old work.
    policy = AssignPolicy("round-robin", present_only=False, reoffer_after=timedelta(minutes=15))
    assert reoffer_lapsed(store, policy) == []
    assert assignees(store)[ids[0]] == "ann"


CONCURRENT = 4


def test_many_processes_reoffer_each_conversation_once(store, tmp_path):
    ids = seed(store, 30)
    seen(store, "sam", -timedelta(hours=1))
    seen(store, "bob", -timedelta(hours=1))
    seen(store, "ann", timedelta(hours=1))
    store.run(lambda s: [triage.assign(s, "ann", cid, "ann") for cid in ids])
    config = tmp_path / "c.toml"
    config.write_text(
        '[agent]\nusername = "cron"\n[assignment]\nmode = "round-robin"\ncap = 100\n'
        'agents = ["ann", "bob", "sam"]\nreoffer_after = "15m"\n'
    )
    args = [sys.executable, "-m", "inbox_tui", "--config", str(config), "--db", store.url]
    procs = [
        subprocess.Popen(
            [*args, "assign", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(CONCURRENT)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    given = [json.loads(line) for out, _ in outs for line in out.splitlines()]
    assert sorted(g["id"] for g in given) == sorted(ids)  # each exactly once
    assert {g["reason"] for g in given} == {"away"}
    events = away_events(store)
    assert Counter(e["id"] for e in events) == Counter(ids)  # one event each
    assert [e["to"] for e in events] == ["bob", "sam"] * 15  # the turn order held
    assert Counter(assignees(store).values()) == {"bob": 15, "sam": 15}


def test_a_bad_setting_is_one_sentence(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[assignment]\nmode = "round-robin"\nreoffer_after = "soon"\n')
    with pytest.raises(ConfigError, match="reoffer_after"):
        load_config(path)

"""Eight agent processes triaging the same store at once, on SQLite and PostgreSQL: no
agent sees an error, and replaying the event log gives exactly the final state."""

import json
import subprocess
import sys
from collections import defaultdict

import pytest
from sqlmodel import select

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Agent, Conversation, ConversationTag, Event, Message, Tag, utcnow
from inbox_tui.services import triage
from inbox_tui.store import Store

AGENTS = 8


def seed(store: Store, n: int = 30) -> None:
    def work(s):
        ing = Ingestor(s)
        for i in range(n):
            ing.add(
                IncomingMessage(
                    source="t",
                    external_id=str(i),
                    message_id=f"<m{i}@x>",
                    subject=f"s{i}",
                    author_email=f"c{i}@x.example",
                    sent_at=utcnow(),
                    body="hi",
                )
            )
        for a in range(AGENTS):
            triage.ensure_agent(s, f"agent{a}")

    store.run(work)


def replay(store: Store) -> None:
    """Fold the event log and compare with the rows."""
    with store.read() as s:
        agents = {a.id: a.username for a in s.exec(select(Agent))}
        state: dict[int, dict] = defaultdict(
            lambda: {"tags": set(), "assignee": None, "status": "open", "notes": 0}
        )
        for e in s.exec(select(Event).order_by(Event.id)):
            st = state[e.conversation_id]
            data = json.loads(e.data)
            if e.kind == "tagged":
                assert data["tag"] not in st["tags"], f"tagged twice: {e}"
                st["tags"].add(data["tag"])
            elif e.kind == "untagged":
                st["tags"].remove(data["tag"])
            elif e.kind == "assigned":
                assert data["from"] == st["assignee"], f"lost update on assignee: {e}"
                st["assignee"] = data["to"]
            elif e.kind == "status_changed":
                assert data["from"] == st["status"], f"lost update on status: {e}"
                st["status"] = data["to"]
            elif e.kind == "noted":
                st["notes"] += 1
        tag_names = {t.id: t.name for t in s.exec(select(Tag))}
        for conv in s.exec(select(Conversation)):
            st = state[conv.id]
            tags = {
                tag_names[ct.tag_id]
                for ct in s.exec(
                    select(ConversationTag).where(ConversationTag.conversation_id == conv.id)
                )
            }
            notes = len(
                s.exec(
                    select(Message).where(
                        Message.conversation_id == conv.id, Message.direction == "note"
                    )
                ).all()
            )
            assert tags == st["tags"]
            assert (agents.get(conv.assignee_id) if conv.assignee_id else None) == st["assignee"]
            assert conv.status == st["status"]
            assert notes == st["notes"]


def aggregates_match_a_rebuild(store: Store) -> None:
    """The stats aggregates, maintained by eight processes writing at once, equal what
    folding the final event log gives: no update was lost between concurrent writers."""
    from inbox_tui.store.aggregates import rebuild
    from tests.test_stats_aggregates import snapshot

    maintained = snapshot(store)
    assert len(maintained[1]) > AGENTS  # notes and closes were counted
    with store.write() as s:
        rebuild(s.connection())
    assert snapshot(store) == maintained


def run_agents(url: str, seconds: float) -> list[dict]:
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.agent_worker",
                url,
                f"agent{a}",
                str(seconds),
                str(a),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in range(AGENTS)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=seconds + 120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def check(store: Store, seconds: float) -> None:
    seed(store)
    results = run_agents(store.url, seconds)
    errors = [e for r in results for e in r["errors"] if "in the past" not in e]
    assert errors == []
    total = sum(r["actions"] for r in results)
    assert total > AGENTS * 5
    replay(store)
    aggregates_match_a_rebuild(store)
    print(
        f"{store.dialect}: {total} actions by {AGENTS} agents in {seconds:.0f} s ({total / seconds:.0f}/s)"
    )


def test_eight_agents_short(store):
    check(store, 8)


@pytest.mark.slow
def test_eight_agents_one_minute(store):
    check(store, 60)

"""Continuity (services/continuity.py) on SQLite and PostgreSQL: the agent who last
helped a customer, assigning to them, and handoffs counted by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox_tui.errors import UserError
from inbox_tui.models import Conversation
from inbox_tui.services import continuity, triage
from tests.mail_history import mail as history_mail


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def mail(s, key, who, when, refs=(), agent=None) -> int:
    return history_mail(s, key, when, refs, email=f"{who}@c.example", name=who, agent=agent)


def history(s) -> dict[str, int]:
    for a in ("sam", "ann"):
        triage.ensure_agent(s, a)
    c = {}
    c["c1"] = mail(s, "c1", "carol", at(2, 9))
    mail(s, "c1r", "", at(2, 10), ("c1",), agent="sam")
    mail(s, "c1r2", "", at(3, 10), ("c1",), agent="ann")  # ann answered carol last
    c["c2"] = mail(s, "c2", "carol", at(5, 9))
    c["d1"] = mail(s, "d1", "dan", at(5, 9))  # nobody ever answered dan
    # X: sam -> ann -> sam (two handoffs), closed by sam.
    c["x"] = mail(s, "x", "xena", at(6, 9))
    triage.assign(s, "sam", c["x"], "sam", at=at(6, 10))
    triage.assign(s, "sam", c["x"], "ann", at=at(6, 11))
    triage.assign(s, "ann", c["x"], "sam", at=at(6, 12))
    triage.close(s, "sam", c["x"], at=at(6, 13))
    # Y: ann only, closed by ann. Z: sam, unassigned, then ann: no handoff.
    c["y"] = mail(s, "y", "yann", at(6, 9))
    triage.assign(s, "ann", c["y"], "ann", at=at(6, 10))
    triage.close(s, "ann", c["y"], at=at(6, 11))
    c["z"] = mail(s, "z", "zoe", at(6, 9))
    triage.assign(s, "sam", c["z"], "sam", at=at(6, 10))
    triage.assign(s, "sam", c["z"], None, at=at(6, 11))
    triage.assign(s, "ann", c["z"], "ann", at=at(6, 12))
    triage.close(s, "ann", c["z"], at=at(6, 13))
    return c


def test_previous_agent_and_assigning_to_them(store):
    c = store.run(history)
    with store.read() as s:
        assert continuity.previous_agent(s, c["c2"]) == "ann"
        assert continuity.previous_agent(s, c["d1"]) is None
    assert store.run(continuity.assign_previous, "sam", c["c2"]) == "ann"
    with store.read() as s:
        conv = s.get(Conversation, c["c2"])
        assert conv.assignee_id is not None
    with pytest.raises(UserError, match="Nobody has answered the customer"):
        store.run(continuity.assign_previous, "sam", c["d1"])


def test_hand_counted_handoffs(store):
    c = store.run(history)
    with store.read() as s:
        rows = {h.agent: h.as_dict() for h in continuity.handoffs(s, at(6, 0), at(7, 0))}
    assert (rows["sam"]["closed"], rows["sam"]["handoffs"]) == (1, 2)
    assert rows["sam"]["conversations"] == [c["x"]]
    assert (rows["ann"]["closed"], rows["ann"]["handoffs"]) == (2, 0)
    assert rows["team"] == {
        "agent": "team",
        "closed": 3,
        "handoffs": 2,
        "per_conversation": 0.6667,
        "conversations": [c["x"]],
    }


def test_stats_json_carries_handoffs(sqlite_store):
    import json
    import subprocess
    import sys

    c = sqlite_store.run(history)
    out = subprocess.run(
        [
            *(sys.executable, "-m", "inbox_tui", "--db", sqlite_store.url, "stats"),
            *("--format", "json", "--since", "2026-03-06", "--until", "2026-03-07"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    team = [h for h in data["handoffs"] if h["agent"] == "team"]
    assert team == [
        {
            "agent": "team",
            "closed": 3,
            "handoffs": 2,
            "per_conversation": 0.6667,
            "conversations": [c["x"]],
        }
    ]
    assert "Reassignments" in data["definitions"]["handoffs"]

"""Drill-down: the conversations behind each number of the report add up to it.

On the hand-built history of test_stats (expected lists worked out by hand) and on a
seeded random history, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox_tui.errors import UserError
from inbox_tui.services.stats import compute_report, conversations_behind
from tests.test_stats import MON, history
from tests.test_stats_aggregates import START, random_history

WEEK = (MON, MON + timedelta(days=7))


def ids(rows):
    return sorted(r.conversation_id for r in rows)


def test_hand_computed_lists(store):
    a, b = store.run(history)
    with store.read() as s:

        def drill(figure, **kw):
            return conversations_behind(s, *WEEK, figure, **kw)

        # ann replied once in A (11:20) and once in B (12:00): 2 replies in 2 conversations
        rows = drill("replies_sent", agent="ann")
        assert ids(rows) == sorted([a, b]) and sum(r.count for r in rows) == 2
        # ann closed A once and B twice: 3 close events, 2 conversations closed
        rows = drill("close_events", agent="ann")
        assert {r.conversation_id: r.count for r in rows} == {a: 1, b: 2}
        assert [r.count for r in drill("conversations_closed", agent="ann")] == [1, 1]
        # sam's note is in A; nobody else wrote one
        assert ids(drill("notes_written")) == [a]
        # first responses: A by sam after 1800 s, B by ann after 7200 s; slowest first
        rows = drill("first_response")
        assert [(r.conversation_id, r.seconds) for r in rows] == [(b, 7200), (a, 1800)]
        assert [r.subject for r in rows] == ["Other", "Help"]
        # the good rating of B is credited to ann, who closed it last
        assert ids(drill("csat", agent="ann")) == [b] and drill("csat", agent="sam") == []
        # incoming Monday 09:00-10:00 UTC: only A's first message; 11:00: A's second
        assert [(r.conversation_id, r.count) for r in drill("incoming", cell=(0, 9))] == [(a, 1)]
        assert ids(drill("incoming", cell=(0, 11))) == [a]
        assert drill("incoming", cell=(1, 9)) == []
        # first response by the hour of the first message: A's came in at Monday 09:00
        assert ids(drill("first_response", cell=(0, 9))) == [a]
        with pytest.raises(UserError):
            drill("nonsense")


FIGURES = {
    # figure in agent_row -> (drill figure, what the rows must add up to it by)
    "replies_sent": ("replies_sent", "sum"),
    "notes_written": ("notes_written", "sum"),
    "close_events": ("close_events", "sum"),
    "conversations_closed": ("conversations_closed", "len"),
    "macros_applied": ("macros_applied", "sum"),
    "articles_sent": ("articles_sent", "sum"),
}


def check_agreement(s, since, until, zone="UTC"):
    report = compute_report(s, since, until, zone=zone, compare=False)
    checked = 0
    for a in [*report.agents.values(), report.team]:
        row = report.agent_row(a)
        who = None if a is report.team else a.agent

        def drill(figure, who=who, **kw):
            return conversations_behind(s, since, until, figure, agent=who, zone=zone, **kw)

        for name, (figure, how) in FIGURES.items():
            rows = drill(figure)
            got = sum(r.count for r in rows) if how == "sum" else len(rows)
            assert got == row[name], (who, name)
            checked += row[name]
        assert len(drill("handled")) == a.handled
        for name in ("first_response", "response", "time_to_close"):
            assert sum(r.count for r in drill(name)) == row[name]["count"], (who, name)
        assert sum(r.count for r in drill("csat")) == sum(row["csat"].values())
    for wd in range(7):
        for hour in range(24):
            n = report.incoming_heatmap[wd][hour]
            if n:
                assert (
                    sum(
                        r.count
                        for r in conversations_behind(
                            s, since, until, "incoming", cell=(wd, hour), zone=zone
                        )
                    )
                    == n
                )
    for t in report.tags:
        rows = conversations_behind(s, since, until, "tag", tag=t["tag"])
        assert len(rows) == t["conversations"]
    return checked


def test_lists_add_up_to_the_figures(store):
    random_history(store, steps=200)
    with store.read() as s:
        assert check_agreement(s, START, START + timedelta(days=20)) > 50
        check_agreement(
            s, START + timedelta(days=2, hours=3), START + timedelta(days=9), "Asia/Kolkata"
        )


def test_cli_json_has_the_first_response_heatmap_and_per_conversation_subjects(
    sqlite_store, tmp_path
):
    """Through the real CLI: the weekday x hour medians (hand-computed from the history:
    A's first message came Monday 09:00 and was answered after 1800 s, B's Monday 10:00
    after 7200 s) and the per-conversation rows with their subjects."""
    import json
    import subprocess
    import sys

    a, b = sqlite_store.run(history)
    url = sqlite_store.url
    base = [sys.executable, "-m", "inbox_tui", "--db", url, "stats"]
    period = ["--since", "2026-03-02", "--until", "2026-03-09"]
    out = subprocess.run(
        [*base, *period, "--format", "json"], capture_output=True, text=True, check=True
    ).stdout
    heat = json.loads(out)["median_first_response_by_weekday_hour"]
    assert heat["weekdays"][0] == "Mon"
    cells = {(wd, h): v for wd, row in enumerate(heat["seconds"]) for h, v in enumerate(row) if v}
    assert cells == {(0, 9): 1800, (0, 10): 7200}
    out = subprocess.run(
        [*base, *period, "--format", "json", "--per-conversation"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows[a]["subject"] == "Help" and rows[b]["subject"] == "Other"
    assert rows[a]["first_response_seconds"] == 1800 and rows[a]["closer"] == "ann"
    assert rows[b]["rating"] == "good"

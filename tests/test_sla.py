"""Response targets (#21): due times in business hours (DST-correct), which
conversations wait and for what, the sla: search terms and the ``sla`` command, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox_tui import cli
from inbox_tui.config import ConfigError, load_config
from inbox_tui.models import utcnow
from inbox_tui.services import sla, triage
from inbox_tui.services.search import QueryError, search_conversations
from inbox_tui.services.stats import BusinessHours
from inbox_tui.store import Store
from tests.mail_history import mail

BERLIN = {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"}


def bh(section=BERLIN) -> BusinessHours:
    hours = BusinessHours.from_config(section)
    assert hours is not None
    return hours


def test_business_time_skips_nights_and_weekends_across_a_dst_change():
    hours = bh()
    berlin = ZoneInfo("Europe/Berlin")
    # Friday 27 March 2026, 16:00 CET; clocks go forward on Sunday the 29th.
    start = datetime(2026, 3, 27, 16, 0, tzinfo=berlin)
    due = sla.add_business_time(hours, start, timedelta(hours=4))
    # 1 hour on Friday, 3 on Monday: Monday 12:00 CEST, which is 10:00 UTC (not 11:00).
    assert due == datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
    assert hours.seconds_between(start, due) == 4 * 3600
    # Started at night: the clock starts at the next opening.
    night = datetime(2026, 3, 31, 22, 30, tzinfo=berlin)
    assert sla.add_business_time(hours, night, timedelta(minutes=30)) == datetime(
        2026, 4, 1, 7, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("minutes", [1, 59, 480, 481, 2000, 7 * 24 * 60])
def test_business_time_is_the_inverse_of_the_stats_count(minutes):
    hours = bh()
    start = datetime(2026, 10, 23, 14, 17, tzinfo=UTC)  # the autumn change is on the 25th
    due = sla.add_business_time(hours, start, timedelta(minutes=minutes))
    assert hours.seconds_between(start, due) == minutes * 60


POLICY = sla.SlaPolicy.from_config(
    {
        "first_response": "4h",
        "next_response": "8h",
        "at_risk": "1h",
        "tags": {"vip": {"first_response": "1h"}, "slow": {"first_response": "3d"}},
        "sources": {"chat:": {"next_response": "30m"}},
    }
)


def add(store: Store, key: str, at: datetime, *, reply_to: str | None = None, agent=None):
    refs = (reply_to,) if reply_to else ()
    email = f"{key}@acme.example"
    return store.run(
        mail,
        key,
        at,
        refs,
        subject=f"About {key}",
        email=email,
        name=key,
        body=f"text {key}",
        agent=agent,
        domain="x",
    )


@pytest.fixture
def waiting_inbox(store):
    now = utcnow().replace(microsecond=0)
    h = timedelta(hours=1)
    ids = {
        "new6h": add(store, "new6h", now - 6 * h),  # first response, 4h: breached by 2h
        "new3h30": add(store, "new3h30", now - 3.5 * h),  # due in 30m: at risk
        "new1h": add(store, "new1h", now - h),  # due in 3h: ok
        "vip": add(store, "vip", now - 2 * h),  # tag vip: 1h, breached
        "slow": add(store, "slow", now - 10 * h),  # tag slow: 3d, ok
        "answered": add(store, "answered", now - 9 * h),
        "again": add(store, "again", now - 20 * h),
        "pending": add(store, "pending", now - 9 * h),
    }
    add(store, "r1", now - 8 * h, reply_to="answered", agent="sam")  # no customer since
    add(store, "r2", now - 19 * h, reply_to="again", agent="sam")
    add(store, "again2", now - 9 * h, reply_to="r2")  # next response due in 8h from here:
    add(store, "again3", now - 2 * h, reply_to="again2")  # the earliest unanswered counts
    store.run(triage.tag, "sam", ids["vip"], "vip")
    store.run(triage.tag, "sam", ids["slow"], "slow")
    store.run(triage.set_status, "sam", ids["pending"], "pending")
    return store, ids, now


def test_who_waits_for_what_and_by_when(waiting_inbox):
    store, ids, now = waiting_inbox
    assert POLICY is not None
    with store.read() as s:
        found = {d.conversation_id: d for d in sla.waiting(s, POLICY)}
    name = {v: k for k, v in ids.items()}
    assert sorted(name[c] for c in found) == sorted(
        ["new6h", "new3h30", "new1h", "vip", "slow", "again"]
    )
    again = found[ids["again"]]
    assert again.kind == "next" and again.due_at == now - timedelta(hours=1)
    assert found[ids["new6h"]].kind == "first"
    assert found[ids["vip"]].due_at == now - timedelta(hours=1)
    states = {name[c]: d.state(now, POLICY.at_risk) for c, d in found.items()}
    assert states == {
        "new6h": "breached",
        "vip": "breached",
        "again": "breached",
        "new3h30": "at_risk",
        "new1h": "ok",
        "slow": "ok",
    }
    with store.read() as s:
        order = [name[d.conversation_id] for d in sla.waiting(s, POLICY)]
    # Most overdue first; equally overdue: waiting longest first.
    assert order == ["new6h", "again", "vip", "new3h30", "new1h", "slow"]


def test_search_terms_select_by_state(waiting_inbox, monkeypatch):
    store, ids, _ = waiting_inbox
    monkeypatch.setattr(sla, "_POLICY", [POLICY])

    def found(query: str) -> set[int]:
        with store.read() as s:
            rows, total = search_conversations(s, query, "sam", limit=100)
        assert total == len(rows)
        return {r.id for r in rows}

    assert found("sla:breached") == {ids["new6h"], ids["vip"], ids["again"]}
    assert found("is:breached") == found("sla:breached")
    assert found("sla:at-risk") == {ids["new3h30"]}
    assert found("sla:due<4h") == {
        ids["new6h"],
        ids["vip"],
        ids["again"],
        ids["new3h30"],
        ids["new1h"],
    }
    assert found("sla:breached tag:vip") == {ids["vip"]}
    # "-" leaves out what the term finds, as for any other term.
    assert found("-sla:breached") == set(ids.values()) - found("sla:breached")
    assert found("sla:breached about") == {ids["new6h"], ids["vip"], ids["again"]}


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("sla:soon", "is not sla:breached, sla:at-risk or sla:due<2h"),
        ("sla:due<2 hours", "is not like sla:due<2h"),
        ("sla:breached sla:at-risk", "one sla: term"),
    ],
)
def test_bad_sla_terms_are_one_sentence(sqlite_store, monkeypatch, query, needle):
    monkeypatch.setattr(sla, "_POLICY", [POLICY])
    with sqlite_store.read() as s, pytest.raises(QueryError, match=needle):
        search_conversations(s, query, "sam")


def test_sla_terms_without_targets_say_how_to_set_them(sqlite_store, monkeypatch):
    monkeypatch.setattr(sla, "_POLICY", [None])
    with sqlite_store.read() as s, pytest.raises(QueryError, match=r"add an \[sla\] section"):
        search_conversations(s, "sla:breached", "sam")


def test_config_section_is_validated(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[sla]\nfirst_response = "4 hamsters"\n')
    with pytest.raises(ConfigError, match="first_response"):
        load_config(path)
    path.write_text('[sla]\nfirst_respons = "4h"\n')
    with pytest.raises(ConfigError, match="first_response"):  # did you mean
        load_config(path)
    path.write_text('[sla]\nfirst_response = "4h"\n[sla.tags.vip]\nnext_response = "1h"\n')
    config = load_config(path)
    assert config.sla is not None and config.sla["tags"]["vip"]["next_response"] == "1h"


def test_the_command_lists_waiting_conversations_most_overdue_first(
    waiting_inbox, tmp_path, capsys
):
    store, ids, _ = waiting_inbox
    config = tmp_path / "c.toml"
    config.write_text(
        '[agent]\nusername = "sam"\n[sla]\nfirst_response = "4h"\nnext_response = "8h"\n'
        '[sla.tags.vip]\nfirst_response = "1h"\n[sla.tags.slow]\nfirst_response = "3d"\n'
    )
    base = ["--config", str(config), "--db", store.url]
    assert cli.main([*base, "sla", "--json", "--state", "breached"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == [ids["new6h"], ids["again"], ids["vip"]]
    assert all(r["state"] == "breached" and r["seconds_left"] < 0 for r in rows)
    assert err == "6 waiting, 3 breached.\n"
    assert cli.main([*base, "sla"]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[0].startswith(f"!! {ids['new6h']:>7}  overdue 2h 00m")
    # The same terms in search, and the state in conv's JSON.
    assert cli.main([*base, "search", "sla:breached", "--json"]) == 0
    out, _ = capsys.readouterr()
    assert {json.loads(line)["id"] for line in out.splitlines()} == {
        ids["again"],
        ids["vip"],
        ids["new6h"],
    }
    assert cli.main([*base, "conv", "tag", str(ids["new1h"]), "x", "--json"]) == 0
    state = json.loads(capsys.readouterr().out)["conversation"]["sla"]
    assert state["kind"] == "first" and state["state"] == "ok"


def test_the_command_without_targets_is_one_sentence(sqlite_store, capsys):
    assert cli.main(["--db", sqlite_store.url, "sla"]) == 2
    assert "add an [sla] section" in capsys.readouterr().err


def test_the_list_rows_carry_the_due_time_and_the_marker_says_it(waiting_inbox, monkeypatch):
    from inbox_tui.services.conversations import list_conversations
    from inbox_tui.tui.widgets.conversation_list import sla_marker

    store, ids, now = waiting_inbox
    with store.read() as s:
        assert all(r.sla_at_risk is None for r in list_conversations(s))  # no targets: no column
    monkeypatch.setattr(sla, "_POLICY", [POLICY])
    with store.read() as s:
        rows = {r.id: r for r in list_conversations(s)}
    assert rows[ids["vip"]].sla_due_at == now - timedelta(hours=1)
    assert rows[ids["answered"]].sla_due_at is None and rows[ids["pending"]].sla_due_at is None
    marks = {name: sla_marker(rows[cid], now) for name, cid in ids.items()}
    assert marks["new6h"] is not None and marks["new6h"][0] == "!2h  "
    assert marks["new6h"][1].color is not None and marks["new6h"][1].color.name == "red"
    assert marks["new3h30"] is not None and marks["new3h30"][0] == "~30m "
    assert marks["new1h"] is not None and marks["new1h"][0] == " 3h  "
    assert marks["answered"] == ("     ", marks["answered"][1])


def test_breaches_per_agent_and_tag(waiting_inbox, tmp_path, capsys):
    store, _ids, now = waiting_inbox
    late = add(store, "late", now - timedelta(hours=10))
    add(store, "late-r", now - timedelta(hours=3), reply_to="late", agent="ann")  # 7h > 4h
    store.run(triage.tag, "sam", late, "billing")
    assert POLICY is not None
    with store.read() as s:
        rep = sla.breach_report(s, POLICY, now - timedelta(days=2), now + timedelta(hours=1), now)
    assert (rep.responses, rep.breached) == (3, 1)
    assert rep.by_agent == {"ann": [1, 1], "sam": [2, 0]}
    assert rep.by_tag == {"billing": [1, 1]}
    assert rep.overdue_now == {"": 3}
    # The rows' drill-down: which conversations, how many late replies, how late (3 h).
    assert rep.late == {
        key: {late: [1, 3 * 3600.0]} for key in ("team", "agent:ann", "tag:billing")
    }
    with store.read() as s:
        rows = sla.breach_rows(s, rep.late["agent:ann"])
    assert [(r.conversation_id, r.count, r.seconds) for r in rows] == [(late, 1, 3 * 3600.0)]
    assert rows[0].subject  # loaded for the list
    # A period that ends before the late reply does not count it.
    with store.read() as s:
        early = sla.breach_report(s, POLICY, now - timedelta(days=2), now - timedelta(hours=5), now)
    assert (early.responses, early.breached) == (2, 0)
    config = tmp_path / "c.toml"
    config.write_text('[sla]\nfirst_response = "4h"\nnext_response = "8h"\n')
    base = ["--config", str(config), "--db", store.url, "sla", "--report"]
    assert cli.main([*base, "--json", "--since", (now - timedelta(days=2)).isoformat()]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["breached"] == 1 and data["by_agent"][0] == {
        "name": "ann",
        "responses": 1,
        "breached": 1,
    }
    assert cli.main([*base, "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "by,name,responses,breached",
        "agent,ann,1,1",
    ]
    assert cli.main([*base, "--since", "yesterday"]) == 2
    assert "is not a date" in capsys.readouterr().err


def test_the_stats_command_counts_breaches_per_agent_and_tag(waiting_inbox, tmp_path, capsys):
    """`inbox-tui stats` with [sla] targets: late replies per agent (text, JSON, CSV
    columns) and per tag (text, JSON, --sla-by-tag); without targets, none of it."""
    import csv
    import io

    store, _ids, now = waiting_inbox
    late = add(store, "late", now - timedelta(hours=10))
    add(store, "late-r", now - timedelta(hours=3), reply_to="late", agent="ann")  # 7h > 4h
    store.run(triage.tag, "sam", late, "billing")
    config = tmp_path / "c.toml"
    config.write_text('[sla]\nfirst_response = "4h"\nnext_response = "8h"\n')
    base = ["--config", str(config), "--db", store.url, "stats"]
    assert cli.main([*base, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["breaches"]
    assert (data["responses"], data["breached"]) == (3, 1)
    assert data["by_agent"] == [
        {"name": "ann", "responses": 1, "breached": 1},
        {"name": "sam", "responses": 2, "breached": 0},
    ]
    assert data["by_tag"] == [{"name": "billing", "responses": 1, "breached": 1}]
    assert cli.main([*base, "--format", "csv"]) == 0
    rows = {r["agent"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (rows["ann"]["sla_replies"], rows["ann"]["sla_breached"]) == ("1", "1")
    assert (rows["sam"]["sla_replies"], rows["sam"]["sla_breached"]) == ("2", "0")
    assert (rows["team"]["sla_replies"], rows["team"]["sla_breached"]) == ("3", "1")
    assert cli.main([*base, "--format", "csv", "--sla-by-tag"]) == 0
    assert capsys.readouterr().out.splitlines() == ["tag,sla_replies,sla_breached", "billing,1,1"]
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    assert "Replies after their response target: 1 of 3" in out
    assert "  agent ann" in out and "  tag   billing" in out
    # No targets in the config: no breach figures anywhere, and --sla-by-tag says why.
    plain = ["--db", store.url, "stats"]
    assert cli.main([*plain, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["breaches"] is None
    assert cli.main([*plain, "--sla-by-tag"]) == 2
    assert "No response targets are set" in capsys.readouterr().err

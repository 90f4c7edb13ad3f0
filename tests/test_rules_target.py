"""Rules that set a response target (#21: "then actions (..., set a target)"):
``then.target = "30m"`` (first and next reply) or ``{ first = "1h", next = "8h" }``
replaces the config's targets for that conversation alone; the SLA service honours it
(due times, ``sla:breached``, the breaches report); the thread's history names the rule
that set it; ``rules lint`` refuses a bad target. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox_tui import cli
from inbox_tui.models import Conversation, utcnow
from inbox_tui.rules import RulesError, load_rules
from inbox_tui.services import core, sla
from inbox_tui.services.conversations import rules_fired
from inbox_tui.services.rules import run_rules
from inbox_tui.services.search import search_conversations
from tests.test_rules import add

RULES = """
[[rule]]
name = "Outages are urgent"
when = "arrives"
[rule.if]
subject = ["outage"]
[rule.then]
target = "30m"

[[rule]]
name = "Enterprise next replies"
when = "arrives"
[rule.if]
from = "@big.example"
[rule.then]
target = { next = "1h" }
"""

POLICY = sla.SlaPolicy.from_config({"first_response": "4h", "next_response": "8h"})


def test_a_rule_sets_the_target_and_the_sla_service_honours_it(store, tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    rules = load_rules(path)
    assert (rules[0].target_first, rules[0].target_next) == (timedelta(minutes=30),) * 2
    assert (rules[1].target_first, rules[1].target_next) == (None, timedelta(hours=1))
    store.run(core.ensure_agent, "sam")
    outage = add(store, "o1", "Outage in EU", "all down", "ann@acme.example")
    big = add(store, "b1", "Question", "hello", "cio@big.example")
    plain = add(store, "p1", "Question", "hello", "bob@acme.example")
    fired = store.run(run_rules, rules, utcnow() - timedelta(days=1))
    assert {(f.conversation_id, f.rule) for f in fired} == {
        (outage, "Outages are urgent"),
        (big, "Enterprise next replies"),
    }
    with store.read() as s:
        due = sla.due_for(s, POLICY, [outage, big, plain])
        start = due[outage].waiting_since
        assert due[outage].due_at == start + timedelta(minutes=30)  # the rule's, not 4h
        assert due[big].due_at == due[big].waiting_since + timedelta(hours=4)  # first: config's
        assert due[plain].due_at == due[plain].waiting_since + timedelta(hours=4)
        # The history says which rule set it.
        assert rules_fired(s, outage) == [
            "“Outages are urgent”: set first reply target 30m and next reply target 30m"
        ]
        assert rules_fired(s, big) == ["“Enterprise next replies”: set next reply target 1h"]
        assert s.get(Conversation, plain).target_first is None
        # Waiting 5 minutes: with a 30-minute target it is at risk, the others are not;
        # 40 minutes on it is breached although every configured target is 4h or more.
        now = utcnow() + timedelta(minutes=35)
        assert sla.matching_ids(s, POLICY, sla.BREACHED, now) == [outage]
        sla.configure(POLICY)
        try:
            rows, total = search_conversations(s, "sla:due<1h", "sam")
        finally:
            sla.configure(None)
        assert [r.id for r in rows] == [outage] and total == 1


def test_the_breaches_report_judges_by_the_rules_target(store, tmp_path):
    from tests.test_sla import add as mail  # subject "About <key>", sent at a given time

    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    store.run(core.ensure_agent, "sam")
    t0 = utcnow() - timedelta(hours=5)
    urgent = mail(store, "outage1", t0)
    mail(store, "calm1", t0)
    fired = store.run(run_rules, load_rules(path), t0 - timedelta(days=1))
    assert [(f.conversation_id, f.rule) for f in fired] == [(urgent, "Outages are urgent")]
    # Both answered an hour later: late for the rule's 30 minutes, on time for 4 hours.
    mail(store, "r1", t0 + timedelta(hours=1), reply_to="outage1", agent="sam")
    mail(store, "r2", t0 + timedelta(hours=1), reply_to="calm1", agent="sam")
    with store.read() as s:
        report = sla.breach_report(s, POLICY, t0, utcnow(), utcnow())
    assert (report.responses, report.breached) == (2, 1)
    assert list(report.late["team"]) == [urgent]


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ('"soon"', 'then.target must be a time like "30m"'),
        ('"400d"', "at most a year"),
        ('{ first = "1h", nxt = "2h" }', "unknown key 'nxt'"),
        ("{}", 'then.target must be a time like "4h", or'),
        ("4", 'then.target must be a time like "4h", or'),
    ],
)
def test_lint_refuses_a_bad_target(tmp_path, target, problem):
    path = tmp_path / "rules.toml"
    path.write_text(f'[[rule]]\nname = "x"\n[rule.then]\ntarget = {target}\n')
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert problem in str(err.value)


def test_lint_and_list_show_the_target(sqlite_store, tmp_path, capsys):
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    base = ["--db", sqlite_store.url, "rules"]
    assert cli.main([*base, "lint", str(path)]) == 0
    out = capsys.readouterr()
    assert out.out == "2 rules, no problems.\n"
    # No [sla] in this config: the target would count for nothing, and lint says so.
    assert "only when response targets are on" in out.err
    assert cli.main([*base, "list", str(path)]) == 0
    listed = capsys.readouterr().out
    assert "then target 30m" in listed and "then target next 1h" in listed
    path.write_text(RULES.replace('target = "30m"', 'target = "half an hour"'))
    assert cli.main([*base, "lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert "then.target must be a time" in err and "Traceback" not in err

"""Rules (#21): a file of when/if/then rules, linted whole (a broken file loads
nothing), run over the customers' messages once each, with the rule's name in the
history. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from inbox_tui import cli
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Event, utcnow
from inbox_tui.rules import RulesError, load_rules
from inbox_tui.services import core
from inbox_tui.services.conversations import get_conversation
from inbox_tui.services.rules import run_rules

RULES = """
[[rule]]
name = "Invoices to billing"
when = "arrives"
[rule.if]
subject = ["invoice", "receipt"]
from = "@acme.example"
[rule.then]
tag = ["billing"]
assign = "sam"

[[rule]]
name = "Chasers are urgent"
when = "customer_reply"
[rule.if]
body = ["still waiting"]
[rule.then]
tag = "urgent"
status = "open"
"""


def add(store, key: str, subject: str, body: str, email: str, reply_to: str | None = None) -> int:
    def work(s):
        msg = IncomingMessage(
            source="t",
            external_id=key,
            message_id=f"<{key}@x>",
            in_reply_to=f"<{reply_to}@x>" if reply_to else None,
            subject=subject,
            author_email=email,
            author_name=key,
            sent_at=utcnow() - timedelta(minutes=5),
            body=body,
        )
        return Ingestor(s).add(msg).conversation_id

    return store.run(work)


@pytest.fixture
def rules_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    return path


def test_rules_fire_once_with_their_name_in_the_history(store, rules_file):
    store.run(core.ensure_agent, "sam")
    rules = load_rules(rules_file)
    inv = add(store, "i1", "Invoice 42 wrong", "Please fix", "ann@acme.example")
    other = add(store, "o1", "Invoice", "hi", "bob@other.example")  # not from acme
    plain = add(store, "p1", "Hello", "question", "cy@acme.example")
    since = utcnow() - timedelta(days=1)
    fired = store.run(run_rules, rules, since)
    assert [(f.conversation_id, f.rule, f.actions) for f in fired] == [
        (inv, "Invoices to billing", ["tagged billing", "assigned to sam"])
    ]
    with store.read() as s:
        row = get_conversation(s, inv)
        assert row.tags == ["billing"] and row.assignee == "sam"
        assert get_conversation(s, other).tags == [] and get_conversation(s, plain).tags == []
        [event] = s.exec(select(Event).where(Event.kind == "rule_fired")).all()
        assert json.loads(event.data)["rule"] == "Invoices to billing"
    assert store.run(run_rules, rules, since) == []  # once per message
    # The customer chases: the second rule fires on the reply, not the first again.
    add(
        store,
        "i2",
        "Re: Invoice 42 wrong",
        "I am still waiting!",
        "ann@acme.example",
        reply_to="i1",
    )
    fired = store.run(run_rules, rules, since)
    assert [(f.conversation_id, f.rule) for f in fired] == [(inv, "Chasers are urgent")]
    with store.read() as s:
        assert get_conversation(s, inv).tags == ["billing", "urgent"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            '[[rule]]\nname = "x"\nwhen = "arrives"\nfrobnicate = 1\n[rule.then]\ntag = "a"\n',
            "unknown field 'frobnicate'",
        ),
        (
            '[[rule]]\nname = "x"\nwhen = "sometimes"\n[rule.then]\ntag = "a"\n',
            "when must be one of",
        ),
        (
            '[[rule]]\nname = "x"\n[rule.if]\nsubject = "(a+)+$"\nregex = "x"\n[rule.then]\ntag = "a"\n',
            "unknown condition 'regex'",
        ),
        ('[[rule]]\nname = "x"\n[rule.then]\nstatus = "snoozed"\n', "then.status must be one of"),
        ('[[rule]]\nname = "x"\n', "has no action"),
        (
            '[[rule]]\nname = "x"\n[rule.then]\ntag = "a"\n[[rule]]\nname = "x"\n[rule.then]\ntag = "b"\n',
            "used twice",
        ),
        ("[[rule]\n", "is not valid TOML"),
    ],
)
def test_a_broken_file_is_reported_and_loads_nothing(tmp_path, text, needle):
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert any(needle in p for p in info.value.problems), info.value.problems


def test_subject_words_are_substrings_not_patterns(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('[[rule]]\nname = "x"\n[rule.if]\nsubject = "(a+)+$"\n[rule.then]\ntag = "a"\n')
    [rule] = load_rules(path)
    started = datetime.now(UTC)
    assert not rule.matches("a" * 50_000 + "!", "", "", "email")  # no backtracking
    assert rule.matches("literally (a+)+$ here", "", "", "email")
    assert datetime.now(UTC) - started < timedelta(seconds=1)


def test_the_command_line(store, rules_file, tmp_path, capsys):
    store.run(core.ensure_agent, "sam")
    inv = add(store, "i1", "Receipt please", "thanks", "ann@acme.example")
    base = ["--db", store.url, "rules"]
    assert cli.main([*base, "lint", str(rules_file)]) == 0
    assert capsys.readouterr().out == "2 rules, no problems.\n"
    assert cli.main([*base, "list", str(rules_file)]) == 0
    assert "Invoices to billing: when arrives if subject:invoice|receipt" in capsys.readouterr().out
    assert cli.main([*base, "run", str(rules_file), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {
        "id": inv,
        "rule": "Invoices to billing",
        "actions": ["tagged billing", "assigned to sam"],
    }
    assert err == "1 rule firing.\n"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "x"\nwhen = "never"\n[rule.then]\nstatus = "gone"\n')
    assert cli.main([*base, "run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "when must be one of" in err and "Nothing of the file was loaded" in err

"""Rules that apply a macro (#21, "then actions (tag, assign, set status, apply a
macro, ...)"): the macro's actions run as the rules agent with the rule's name in the
history, its reply is never sent nor its note added, and ``rules lint`` names a macro
that does not exist."""

from __future__ import annotations

import json

from sqlmodel import select

from inbox_tui import cli
from inbox_tui.macros.files import MacroSpec
from inbox_tui.models import Event, Message, Outbox, utcnow
from inbox_tui.rules import load_rules
from inbox_tui.services import core, macros
from inbox_tui.services.conversations import get_conversation, rules_fired
from inbox_tui.services.rules import run_rules
from tests.test_rules import add

RULES = """
[[rule]]
name = "Refunds to billing"
when = "arrives"
[rule.if]
subject = ["refund"]
[rule.then]
macro = "refund-triage"
"""

SPEC = MacroSpec(
    slug="refund-triage",
    name="Refund triage",
    body="Dear {{customer.first_name}}, your refund is on its way.",
    body_kind="reply",
    actions={"add_tags": ["billing", "refund"], "assign": "sam", "status": "pending"},
)


def test_a_rule_applies_a_macros_actions_but_sends_nothing(store, tmp_path):
    store.run(core.ensure_agent, "sam")
    store.run(macros.import_specs, [SPEC])
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    rules = load_rules(path)
    assert rules[0].macro == "refund-triage"
    hit = add(store, "r1", "Refund for order 7", "please", "ann@acme.example")
    miss = add(store, "q1", "Question", "hello", "bob@acme.example")
    since = utcnow().replace(year=2000)
    fired = store.run(run_rules, rules, since)
    assert [(f.conversation_id, f.rule) for f in fired] == [(hit, "Refunds to billing")]
    assert fired[0].actions == [
        "applied macro refund-triage",
        "tagged billing",
        "tagged refund",
        "assigned to sam",
        "set pending",
    ]
    with store.read() as s:
        row = get_conversation(s, hit)
        assert row.tags == ["billing", "refund"] and row.assignee == "sam"
        assert row.status == "pending"
        assert get_conversation(s, miss).tags == []
        # Its reply is not queued, no message or note is added.
        assert s.exec(select(Outbox)).all() == []
        assert [
            m.direction for m in s.exec(select(Message).where(Message.conversation_id == hit))
        ] == ["in"]
        applied = s.exec(select(Event).where(Event.kind == "macro_applied")).one()
        assert json.loads(applied.data)["macro"] == "refund-triage"
        assert rules_fired(s, hit)[0].startswith(
            "“Refunds to billing”: applied macro refund-triage"
        )
    assert store.run(run_rules, rules, since) == []  # once per message


def test_a_macro_deleted_after_linting_changes_nothing(sqlite_store, tmp_path):
    store = sqlite_store
    path = tmp_path / "rules.toml"
    path.write_text(RULES)
    hit = add(store, "r1", "Refund for order 7", "please", "ann@acme.example")
    fired = store.run(run_rules, load_rules(path), utcnow().replace(year=2000))
    assert fired[0].actions == ["no macro refund-triage (nothing applied)"]
    with store.read() as s:
        assert get_conversation(s, hit).tags == []


def test_lint_names_an_unknown_macro(sqlite_store, tmp_path, capsys):
    path = tmp_path / "rules.toml"
    path.write_text(
        RULES + RULES.replace("Refunds to billing", "Other").replace("refund-triage", "gone")
    )
    base = ["--db", sqlite_store.url, "rules"]
    assert cli.main([*base, "lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert "no macro called 'refund-triage'" in err and "no macro called 'gone'" in err
    assert "Traceback" not in err
    sqlite_store.run(macros.import_specs, [SPEC])
    assert cli.main([*base, "lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert "'gone'" in err and "'refund-triage'" not in err
    path.write_text(RULES)
    assert cli.main([*base, "lint", str(path)]) == 0
    assert capsys.readouterr().out == "1 rule, no problems.\n"
    assert cli.main([*base, "list", str(path)]) == 0
    assert "then macro refund-triage" in capsys.readouterr().out


TAGGED = """
[[rule]]
name = "VIPs to sam"
when = "tagged"
[rule.if]
tag = "vip"
[rule.then]
assign = "sam"
"""


def test_an_agents_macro_that_tags_sets_off_the_tagged_rules(store, tmp_path):
    """A tag a macro adds is the agent's tag: the ``tagged`` rules run on it in the same
    transaction, as for a tag added by hand (before, only tags added by hand did)."""
    from inbox_tui.services import rules as rule_service

    store.run(core.ensure_agent, "sam")
    store.run(core.ensure_agent, "mei")
    spec = MacroSpec(slug="mark-vip", name="Mark VIP", body="", actions={"add_tags": ["vip"]})
    store.run(macros.import_specs, [spec])
    path = tmp_path / "rules.toml"
    path.write_text(TAGGED)
    rules = load_rules(path)
    cid = add(store, "v1", "Hello", "hi", "ann@acme.example")
    assert store.run(rule_service.apply_macro_many, "mei", [cid], "mark-vip", rules) == 1
    with store.read() as s:
        row = get_conversation(s, cid)
        assert row.tags == ["vip"] and row.assignee == "sam"
        assert rules_fired(s, cid) == ["“VIPs to sam”: assigned to sam"]

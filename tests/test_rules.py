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


def write_mbox(path, items):
    import mailbox

    box = mailbox.mbox(path)
    for key, subject, body, sender, reply_to in items:
        head = f"From: {sender}\nSubject: {subject}\nMessage-ID: <{key}@x>\n"
        head += f"Date: {utcnow():%a, %d %b %Y %H:%M:%S +0000}\n"
        if reply_to:
            head += f"In-Reply-To: <{reply_to}@x>\n"
        box.add(f"{head}\n{body}\n".encode())
    box.flush()
    box.close()


def fired_events(store) -> list[tuple[int, str, int]]:
    with store.read() as s:
        rows = s.exec(select(Event).where(Event.kind == "rule_fired").order_by(Event.id)).all()
        return [
            (e.conversation_id, json.loads(e.data)["rule"], json.loads(e.data)["event"])
            for e in rows
        ]


def test_rules_fire_inside_the_import_once_per_message(store, rules_file, tmp_path, capsys):
    """[rules] file in the config: `import mail` fires the rules on what it brings, in
    the same transaction; importing again (duplicates) or `rules run` after fires nothing."""
    store.run(core.ensure_agent, "sam")
    config = tmp_path / "config.toml"
    config.write_text(f'[rules]\nfile = "{rules_file.name}"\n')  # beside the config file
    first = tmp_path / "first.mbox"
    write_mbox(
        first,
        [
            ("m1", "Invoice 7", "hello", "ann@acme.example", None),
            ("m2", "Hello", "question", "bob@acme.example", None),
        ],
    )
    base = ["--config", str(config), "--db", store.url]
    assert cli.main([*base, "import", "mail", str(first)]) == 0
    assert capsys.readouterr().err == "1 rule firing.\n"
    [(inv, rule, _)] = fired_events(store)
    assert rule == "Invoices to billing"
    with store.read() as s:
        assert get_conversation(s, inv).assignee == "sam"
    second = tmp_path / "second.mbox"
    write_mbox(second, [("m3", "Re: Invoice 7", "I am still waiting", "ann@acme.example", "m1")])
    assert cli.main([*base, "import", "mail", str(first), str(second), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["imported"], out["duplicates"]) == (1, 2)
    assert [(c, r) for c, r, _ in fired_events(store)] == [
        (inv, "Invoices to billing"),
        (inv, "Chasers are urgent"),
    ]
    # Exactly once: running the same rules over the same messages again fires nothing.
    assert store.run(run_rules, load_rules(rules_file), utcnow() - timedelta(days=1)) == []
    assert len(fired_events(store)) == 2


def test_a_broken_rule_file_is_said_once_and_the_mail_still_comes_in(store, tmp_path, capsys):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nname = "x"\nwhen = "never"\n[rule.then]\nstatus = "gone"\n')
    config = tmp_path / "config.toml"
    config.write_text(f'[rules]\nfile = "{rules}"\n')
    box = tmp_path / "in.mbox"
    write_mbox(box, [("b1", "Invoice", "x", "ann@acme.example", None)])
    assert cli.main(["--config", str(config), "--db", store.url, "import", "mail", str(box)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("1 messages read: 1 imported")
    [line] = err.splitlines()
    assert "when must be one of" in line and "(and 1 more problems) None of its rules ran" in line
    assert fired_events(store) == []


def test_two_ingests_running_the_rules_at_once_fire_each_once(store, rules_file):
    """Two processes' transactions both look at the same new messages (run_new from the
    same mark): the conversation lock and the record make it one firing."""
    import threading

    from inbox_tui.services.rules import newest_event, run_new
    from inbox_tui.store import Store

    store.run(core.ensure_agent, "sam")
    rules = load_rules(rules_file)
    mark = store.run(newest_event)
    for i in range(6):
        add(store, f"c{i}", f"Invoice {i}", "x", f"u{i}@acme.example")
    stores = [Store(store.url) for _ in range(2)]
    results: list[int] = []
    errors: list[BaseException] = []

    def go(st):
        try:
            results.append(len(st.run(run_new, rules, mark)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for st in stores:
        st.close()
    assert not errors, errors
    assert sum(results) == 6  # each message once, whoever got there first
    events = fired_events(store)
    assert len(events) == 6 and len({(c, e) for c, _, e in events}) == 6


def test_tagged_rules_fire_on_an_agents_tag_not_on_their_own(store, tmp_path):
    from inbox_tui.services import triage

    store.run(core.ensure_agent, "sam")
    path = tmp_path / "r.toml"
    path.write_text(
        '[[rule]]\nname = "Urgent to sam"\nwhen = "tagged"\n[rule.if]\ntag = "urgent"\n'
        '[rule.then]\nassign = "sam"\n'
        '[[rule]]\nname = "Arrivals are urgent"\nwhen = "arrives"\n[rule.then]\ntag = "urgent"\n'
    )
    rules = load_rules(path)
    since = utcnow() - timedelta(days=1)
    a = add(store, "t1", "Hello", "x", "ann@acme.example")
    fired = store.run(run_rules, rules, since)
    # The arrival rule tags urgent; that tag is the rules' own and sets off nothing.
    assert [f.rule for f in fired] == ["Arrivals are urgent"]
    store.run(triage.untag, "ann", a, "urgent")
    store.run(triage.tag, "ann", a, "urgent")  # an agent's tag
    fired = store.run(run_rules, rules, since)
    assert [(f.rule, f.actions) for f in fired] == [("Urgent to sam", ["assigned to sam"])]
    assert store.run(run_rules, rules, since) == []
    path.write_text(
        '[[rule]]\nname = "loop"\nwhen = "tagged"\n[rule.if]\ntag = "a"\n[rule.then]\ntag = "a"\n'
    )
    with pytest.raises(RulesError, match="a tagged rule cannot tag"):
        load_rules(path)

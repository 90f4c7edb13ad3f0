"""Chat logs supply customers' attributes (#21): a JSONL record's ``contact`` object and a
Slack export's user profiles are stored through the same path as ``import contacts``,
in the transaction that brings the lines, before the rules run. Hostile names and values
are left out with a sentence; the messages still come in. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlmodel import select

from inbox_tui import cli
from inbox_tui.models import Contact, ContactAttribute, Conversation, Event
from inbox_tui.rules import load_rules
from inbox_tui.services.chatimport import import_chat
from inbox_tui.services.contacts import contact_card
from inbox_tui.services.conversations import list_conversations
from inbox_tui.services.search import parse_query
from tests.conftest import corpus


def attrs(store) -> dict[tuple[str, str], str]:
    with store.read() as s:
        rows = s.exec(
            select(Contact.key, ContactAttribute.name, ContactAttribute.value).join(
                ContactAttribute, ContactAttribute.contact_id == Contact.id
            )
        ).all()
    return {(k, n): v for k, n, v in rows}


def line(author: str, ts: str, text: str, **extra: object) -> str:
    return json.dumps({"author": author, "ts": ts, "text": text, **extra}) + "\n"


def test_jsonl_contact_object_sets_attributes_the_latest_line_winning(store, tmp_path):
    log = tmp_path / "chat.jsonl"
    log.write_text(
        line(
            "Ann Lee",
            "2026-03-02T09:00:00Z",
            "Hi, my export fails",
            email="Ann@Acme.example",
            conversation="t1",
            contact={"Plan": "free", "company": "Acme", "seats": 12, "trial": True},
        )
        + line(
            "Sam",
            "2026-03-02T09:05:00Z",
            "Looking into it",
            conversation="t1",
            contact={"plan": "agent-plan-never-kept"},
        )
        + line(
            "Ann Lee",
            "2026-03-02T09:10:00Z",
            "We upgraded yesterday",
            email="ann@acme.example",
            conversation="t1",
            contact={"plan": "Enterprise", "company": None},
        )
        + line("Bo", "2026-03-02T10:00:00Z", "Hello", conversation="t2", contact={"plan": "free"})
    )
    report = import_chat(store, [log], agents={"jsonl:sam": "sam"})
    assert report.counts.imported == 4 and report.problems == []
    # Ann's two lines fold into one record (plan, seats, trial set; company removed).
    assert report.as_dict()["attributes"] == 4
    assert report.contacts.removed == 1
    assert attrs(store) == {
        ("ann@acme.example", "plan"): "Enterprise",
        ("ann@acme.example", "seats"): "12",
        ("ann@acme.example", "trial"): "true",
        ("chat:jsonl:bo", "plan"): "free",
    }
    with store.read() as s:
        ann = s.exec(select(Contact).where(Contact.key == "ann@acme.example")).one()
        assert ann.name == "Ann Lee"  # the contact the attributes made keeps the chat's name
        conv = s.exec(select(Conversation).where(Conversation.contact_id == ann.id)).one()
        assert conv.id is not None
        card = contact_card(s, conv.id)
        assert card is not None and card.attributes["plan"] == "Enterprise"
        found = list_conversations(s, parse_query("contact.plan:enterprise", "me"))
        assert [c.id for c in found] == [conv.id]
    # The same log again sets the same values: nothing new, nothing lost.
    again = import_chat(store, [log], agents={"jsonl:sam": "sam"})
    assert again.counts.imported == 0
    assert attrs(store)[("ann@acme.example", "plan")] == "Enterprise"


def test_chat_attributes_reach_the_rules_of_the_same_import(store, tmp_path):
    from inbox_tui.services import core

    store.run(core.ensure_agent, "sam")
    rules_file = tmp_path / "r.toml"
    rules_file.write_text(
        '[[rule]]\nname = "Enterprise to sam"\n[rule.if]\ncontact = { plan = "enterprise" }\n'
        '[rule.then]\nassign = "sam"\ntag = "vip"\n'
    )
    log = tmp_path / "chat.jsonl"
    log.write_text(
        line(
            "Big",
            "2026-03-02T09:00:00Z",
            "help",
            email="big@corp.example",
            contact={"plan": "enterprise"},
        )
        + line(
            "Small",
            "2026-03-02T09:01:00Z",
            "help too",
            email="s@shop.example",
            contact={"plan": "free"},
        )
    )
    report = import_chat(store, [log], rules=load_rules(rules_file))
    assert report.counts.rules_fired == 1
    with store.read() as s:
        big = s.exec(select(Contact).where(Contact.key == "big@corp.example")).one()
        conv = s.exec(select(Conversation).where(Conversation.contact_id == big.id)).one()
        assert conv.assignee_id is not None
        fired = s.exec(select(Event).where(Event.kind == "rule_fired")).all()
        assert [e.conversation_id for e in fired] == [conv.id]


def test_chat_keeps_the_csv_attributes_it_does_not_name(store, tmp_path, capsys):
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,plan,country\nann@acme.example,free,DE\n")
    assert cli.main(["--db", store.url, "import", "contacts", str(csv_file)]) == 0
    log = tmp_path / "chat.jsonl"
    log.write_text(
        line("Ann", "2026-03-02T09:00:00Z", "hi", email="ann@acme.example", contact={"plan": "pro"})
    )
    assert cli.main(["--db", store.url, "import", "chat", str(log)]) == 0
    assert "Customer attributes from the log: 1 set, 0 removed." in capsys.readouterr().out
    assert attrs(store) == {
        ("ann@acme.example", "plan"): "pro",
        ("ann@acme.example", "country"): "DE",
    }
    with store.read() as s:
        assert len(s.exec(select(Contact)).all()) == 1  # the CSV's contact, not a second one


def test_hostile_contact_values_are_left_out_with_a_sentence(store, tmp_path):
    log = tmp_path / "chat.jsonl"
    hostile = {
        "plan": "gold\x1b[31m\u202e\x00",  # kept, cleaned
        "../../etc": "x",  # not a plain name
        "na\x1bme": "x",
        "email": "someone@else.example",  # reserved: the contact's identity
        "nested": {"a": 1},
        "list": [1, 2],
        "huge": "y" * 5000,
    }
    hostile.update({f"a{i}": "v" for i in range(60)})
    log.write_text(
        line("Eve", "2026-03-02T09:00:00Z", "hi", email="eve@x.example", contact=hostile)
        + line("Mal", "2026-03-02T09:01:00Z", "hi", email="mal@x.example", contact="plan=gold")
    )
    report = import_chat(store, [log])
    assert report.counts.imported == 2  # the messages come in whatever their contact says
    problems = "\n".join(report.problems)
    for needle in ("“../../etc”", "“email”", "“nested”", "“list”", "“huge”", "more than 50"):
        assert needle in problems, needle
    assert "'contact' is not an object" in problems
    assert "\x1b" not in problems
    stored = {n: v for (k, n), v in attrs(store).items() if k == "eve@x.example"}
    assert stored["plan"].startswith("gold")
    assert not any(c in stored["plan"] for c in "\x1b\u202e\x00")  # controls removed
    assert len(stored) == 50 and "email" not in stored and "huge" not in stored
    assert not any(k == "mal@x.example" for k, _ in attrs(store))
    assert all(len(v) <= 1000 for v in attrs(store).values())


def test_real_slack_export_profiles_give_attributes(store):
    root = corpus("chat", "slack-export")
    report = import_chat(store, [root])
    assert report.problems == []
    # Every human who wrote has a time zone in their profile; one filled in a title and
    # a phone; empty fields and the custom field without a label are left alone; the
    # bots (no profile) have nothing.
    assert attrs(store) == {
        **{
            (f"chat:slack:{uid}", "timezone"): "America/Los_Angeles"
            for uid in ("U0BMQB6JE", "U0BMS113R", "U0BMYT2FL", "U0BMM2FEH")
        },
        ("chat:slack:U0BMS113R", "title"): "Eat Monkeys",
        ("chat:slack:U0BMS113R", "phone"): "6043544534",
    }
    with store.read() as s:
        named = s.exec(select(Contact).where(Contact.key == "chat:slack:U0BMS113R")).one()
        assert named.name == "doubledeez"  # the message's author, not left empty


def test_hostile_slack_profile(store, tmp_path):
    root = tmp_path / "export"
    shutil.copytree(corpus("chat", "slack-export"), root)
    users = json.loads((root / "users.json").read_text())
    users[2]["profile"]["title"] = "CTO\x1b]52;c;aGVsbG8=\x07 at Acme"
    users[2]["profile"]["fields"] = {
        "Xf01": {"value": "Enterprise", "alt": "", "label": "Plan"},
        "Xf02": {"value": "no label", "alt": ""},
        "Xf03": {"value": {"deep": 1}, "label": "Weird"},
    }
    users[2]["tz"] = ["not", "a", "zone"]
    users[1]["profile"] = "not an object"
    users[3] = ["not", "a", "user"]
    (root / "users.json").write_text(json.dumps(users))
    report = import_chat(store, [Path(root)])
    assert report.counts.imported > 40
    hamza = {n: v for (k, n), v in attrs(store).items() if k == "chat:slack:U0BMQB6JE"}
    assert set(hamza) == {"title", "plan"} and hamza["plan"] == "Enterprise"
    assert hamza["title"].startswith("CTO") and not any(c in hamza["title"] for c in "\x1b\x07")
    assert sum("“weird”" in p or "“Weird”" in p for p in report.problems) == 1
    assert sum("“timezone”" in p for p in report.problems) == 1  # once, not per line
    # A profile that is no object still has the user's time zone; an entry that is no
    # user costs only that user's name and attributes, said once.
    assert {n: v for (k, n), v in attrs(store).items() if k == "chat:slack:U0BMS113R"} == {
        "timezone": "America/Los_Angeles"
    }
    assert not any(k == "chat:slack:U0BMM2FEH" for k, _ in attrs(store))
    assert sum("users.json#3" in p and "not a valid user" in p for p in report.problems) == 1

"""Rule conditions on where and when a message came (#21: "if conditions hold (from,
to-mailbox, subject/body words, channel, tag, contact attribute, business hours)"):
``if.to`` (an address it was sent to), ``if.mailbox`` (the start of its source, as
``[sla.sources]``), ``if.business_hours`` (inside or outside the config's working
time). SQLite and PostgreSQL; ``rules lint`` refuses bad ones."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from inbox_tui import cli
from inbox_tui.config import load_config
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.rules import RulesError, load_rules
from inbox_tui.services import core
from inbox_tui.services.conversations import get_conversation, rules_fired
from inbox_tui.services.rules import configured_rules, run_rules

BERLIN = ZoneInfo("Europe/Berlin")

RULES = """
[[rule]]
name = "Billing address"
[rule.if]
to = "billing@"
[rule.then]
tag = "billing"

[[rule]]
name = "Sales mailbox"
[rule.if]
mailbox = "imap:sales/"
[rule.then]
tag = "sales"

[[rule]]
name = "After hours"
[rule.if]
business_hours = false
[rule.then]
tag = "after-hours"

[[rule]]
name = "Office hours"
when = "customer_reply"
[rule.if]
business_hours = true
[rule.then]
tag = "in-hours"
"""


def mail(store, key: str, at: datetime, *, source="imap:support/INBOX", to="support@us.example"):
    msg = IncomingMessage(
        source=source,
        external_id=key,
        message_id=f"<{key}@x>",
        subject=f"About {key}",
        author_email=f"{key}@acme.example",
        author_name=key,
        to=[("Us", to)],
        cc=[("Boss", "boss@acme.example")],
        sent_at=at,
        body="hello",
    )
    return store.run(lambda s: Ingestor(s).add(msg).conversation_id)


def config(tmp_path, hours: bool):
    (tmp_path / "rules.toml").write_text(RULES)
    text = '[agent]\nusername = "sam"\n[rules]\nfile = "rules.toml"\n'
    if hours:
        text += '[business_hours]\ntimezone = "Europe/Berlin"\nstart = "09:00"\nend = "17:00"\n'
    path = tmp_path / "c.toml"
    path.write_text(text)
    return load_config(path)


def tags(store, cid: int) -> list[str]:
    with store.read() as s:
        return get_conversation(s, cid).tags


def test_to_mailbox_and_business_hours(store, tmp_path):
    store.run(core.ensure_agent, "sam")
    rules, problem = configured_rules(config(tmp_path, hours=True))
    assert problem is None
    wednesday = datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN).astimezone(UTC)
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=BERLIN).astimezone(UTC)
    billing = mail(store, "b1", wednesday, to="Billing@Us.Example")
    sales = mail(store, "s1", wednesday, source="imap:sales/INBOX")
    weekend = mail(store, "w1", saturday)
    plain = mail(store, "p1", wednesday)
    store.run(run_rules, rules, wednesday.replace(year=2000))
    assert tags(store, billing) == ["billing"]
    assert tags(store, sales) == ["sales"]
    assert tags(store, weekend) == ["after-hours"]
    assert tags(store, plain) == []  # Cc boss@ is no billing address; in hours; support
    with store.read() as s:
        assert rules_fired(s, weekend) == ["“After hours”: tagged after-hours"]


def test_without_business_hours_such_a_rule_never_fires(store, tmp_path, capsys):
    store.run(core.ensure_agent, "sam")
    cfg = config(tmp_path, hours=False)
    rules, _ = configured_rules(cfg)
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=BERLIN).astimezone(UTC)
    weekend = mail(store, "w1", saturday)
    store.run(run_rules, rules, saturday.replace(year=2000))
    assert tags(store, weekend) == []
    base = ["--config", str(tmp_path / "c.toml"), "--db", store.url, "rules"]
    assert cli.main([*base, "lint", str(tmp_path / "rules.toml")]) == 0
    err = capsys.readouterr().err
    assert "'After hours' asks for business hours" in err and "never fire" in err
    assert cli.main([*base, "list", str(tmp_path / "rules.toml")]) == 0
    out = capsys.readouterr().out
    assert "if to:billing@ then" in out and "if mailbox:imap:sales/ then" in out
    assert "if outside business hours then" in out


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ('[rule.if]\nbusiness_hours = "no"\n', "if.business_hours must be true or false"),
        ('when = "tagged"\n[rule.if]\nto = "billing@"\n', "if.to and if.business_hours are"),
        ("[rule.if]\nmailbox = []\n", "if.mailbox must be a word or a list of words"),
        ("[rule.if]\nto = 7\n", "if.to must be a word or a list of words"),
    ],
)
def test_lint_refuses_bad_conditions(tmp_path, rule, problem):
    path = tmp_path / "rules.toml"
    path.write_text(f'[[rule]]\nname = "x"\n{rule}[rule.then]\nstatus = "pending"\n')
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert problem in str(err.value)


def test_list_names_every_condition(sqlite_store, tmp_path, capsys):
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nname = "VIP tag"\nwhen = "tagged"\n[rule.if]\ntag = ["vip", "gold"]\n'
        'contact = { plan = ["enterprise", "pro"] }\n[rule.then]\nassign = "sam"\n'
    )
    assert cli.main(["--db", sqlite_store.url, "rules", "list", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == (
        "VIP tag: when tagged if tag:vip|gold contact.plan:enterprise|pro then assign sam\n"
    )


def test_a_rule_assigning_to_no_agent_never_stops_the_mail(store, tmp_path, capsys):
    """A rule naming an agent who does not exist (yet) made every import or sync that
    brought matching mail fail whole ('There is no agent called ...'), so that mail
    could never come in. Now the mail comes in, the rule's other actions run, and its
    history line says why it did not assign; ``rules lint`` notes the name."""
    (tmp_path / "rules.toml").write_text(
        '[[rule]]\nname = "Billing"\n[rule.if]\nto = "billing@"\n'
        '[rule.then]\ntag = "billing"\nassign = "ghost"\n'
    )
    cfg = tmp_path / "c.toml"
    cfg.write_text('[agent]\nusername = "ann"\n[rules]\nfile = "rules.toml"\n')
    mail_file = tmp_path / "m.eml"
    mail_file.write_text(
        "From: C <c@acme.example>\nTo: billing@us.example\nSubject: Invoice\n"
        "Message-ID: <g1@acme.example>\nDate: Fri, 04 Dec 2026 10:00:00 +0100\n\nhello\n"
    )
    base = ["--config", str(cfg), "--db", store.url]
    assert cli.main([*base, "import", "mail", str(mail_file), "--json"]) == 0
    with store.read() as s:
        from sqlmodel import select

        from inbox_tui.models import Conversation

        cid = s.exec(select(Conversation.id)).one()
        row = get_conversation(s, cid)
        assert row.tags == ["billing"] and row.assignee is None
        assert rules_fired(s, cid) == [
            "“Billing”: tagged billing, not assigned: there is no agent called ghost"
        ]
    capsys.readouterr()
    assert cli.main([*base, "rules", "lint", str(tmp_path / "rules.toml")]) == 0
    assert "there is no agent called 'ghost' yet" in capsys.readouterr().err

"""Customer attributes (#21): `inbox-tui import contacts FILE.csv` (checked whole first:
broken quoting, a wrong number of fields, a missing address are one sentence with the
line number and nothing is stored), attributes in the contact card, search
`contact.plan:enterprise`. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from inbox_tui import cli
from inbox_tui.models import Contact, ContactAttribute
from inbox_tui.services.contacts import contact_card
from inbox_tui.services.conversations import list_conversations
from inbox_tui.services.search import parse_query
from inbox_tui.services.views import resolve_filter
from tests import mail_history


def mail(store, key: str, email: str) -> int:
    return store.run(
        mail_history.mail,
        key,
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        subject=f"About {key}",
        email=email,
        name=key,
        body="hello",
        domain="x",
    )


def attrs(store) -> dict[tuple[str, str], str]:
    with store.read() as s:
        rows = s.exec(
            select(Contact.key, ContactAttribute.name, ContactAttribute.value).join(
                ContactAttribute, ContactAttribute.contact_id == Contact.id
            )
        ).all()
    return {(k, n): v for k, n, v in rows}


def run(store, *args: str) -> int:
    return cli.main(["--db", store.url, "import", "contacts", *args])


def test_import_sets_attributes_shown_in_the_card_and_searchable(store, tmp_path, capsys):
    ann = mail(store, "a1", "Ann@Acme.example")
    bo = mail(store, "b1", "bo@other.example")
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(
        "Email,Name,Plan,Country\n"
        "ann@acme.example,Ann Lee,Enterprise,DE\n"
        'bo@other.example,"Bo, the second",free,\n'
        "new@later.example,,enterprise,FR\n"
    )
    assert run(store, str(csv_file), "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "rows": 3,
        "created": 1,
        "attributes": 5,
        "removed": 1,
    }
    assert attrs(store) == {
        ("ann@acme.example", "plan"): "Enterprise",
        ("ann@acme.example", "country"): "DE",
        ("bo@other.example", "plan"): "free",
        ("new@later.example", "plan"): "enterprise",
        ("new@later.example", "country"): "FR",
    }
    with store.read() as s:
        card = contact_card(s, ann)
        assert card is not None and card.name == "Ann Lee"
        assert card.attributes == {"country": "DE", "plan": "Enterprise"}
        found = list_conversations(s, parse_query("contact.plan:enterprise", "me"))
        assert [r.id for r in found] == [ann]
        assert [
            r.id for r in list_conversations(s, parse_query("-contact.plan:enterprise", "me"))
        ] == [bo]
        # Within a view like any search term; an unknown attribute finds nothing.
        assert [
            r.id for r in list_conversations(s, resolve_filter("open", "contact.country:de", "me"))
        ] == [ann]
        assert list_conversations(s, parse_query("contact.size:big", "me")) == []
    # Again with an empty cell: that attribute goes; the rest stays.
    csv_file.write_text("email,country\nann@acme.example,\n")
    assert run(store, str(csv_file)) == 0
    assert capsys.readouterr().out == "1 rows: 0 new customers, 0 attributes set, 1 empty cells.\n"
    assert ("ann@acme.example", "country") not in attrs(store)
    assert attrs(store)[("ann@acme.example", "plan")] == "Enterprise"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            'email,plan\nann@acme.example,gold\nbo@x.example,"silver\nc@x.example,"x"y\n',
            "line 3 is not valid CSV",
        ),
        (
            "email,plan\nann@acme.example,gold\nbo@x.example,silver,extra\n",
            "line 3 has 3 fields where the header has 2",
        ),
        (
            "email,plan\nann@acme.example,gold\nnot-an-address,silver\n",
            "line 3 has no email address",
        ),
        ("address,plan\nann@acme.example,gold\n", "has no email column"),
        ("email,pl an\nann@acme.example,gold\n", "is not a plain name"),
        ("email,plan\nann@acme.example," + "x" * 5000 + "\n", "line 2 is not valid CSV"),
        ("", "is empty"),
    ],
)
def test_a_broken_file_is_one_sentence_with_the_line_and_stores_nothing(
    store, tmp_path, capsys, text, needle
):
    import csv

    limit = csv.field_size_limit()
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    assert run(store, str(bad)) == 2
    assert csv.field_size_limit() == limit  # the module's limit is process-wide: put back
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    with store.read() as s:
        assert s.exec(select(func.count()).select_from(ContactAttribute)).one() == 0
        assert s.exec(select(func.count()).select_from(Contact)).one() == 0


def test_rules_and_response_targets_use_the_customers_attributes(store, tmp_path, capsys):
    from datetime import timedelta

    from inbox_tui import config_schema
    from inbox_tui.models import utcnow
    from inbox_tui.rules import RulesError, load_rules
    from inbox_tui.services import core, sla
    from inbox_tui.services.rules import run_rules

    store.run(core.ensure_agent, "sam")
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,plan\nbig@corp.example,Enterprise\nsmall@shop.example,free\n")
    assert run(store, str(csv_file)) == 0
    capsys.readouterr()
    big, small = mail(store, "big1", "big@corp.example"), mail(store, "s1", "small@shop.example")
    other = mail(store, "n1", "nobody@else.example")

    rules_file = tmp_path / "r.toml"
    rules_file.write_text(
        '[[rule]]\nname = "Enterprise to sam"\n[rule.if]\ncontact = { plan = ["enterprise", "gold"] }\n'
        '[rule.then]\nassign = "sam"\ntag = "vip"\n'
    )
    fired = store.run(run_rules, load_rules(rules_file), datetime(2026, 1, 1, tzinfo=UTC))
    assert [(f.conversation_id, f.rule) for f in fired] == [(big, "Enterprise to sam")]
    rules_file.write_text(
        '[[rule]]\nname = "x"\n[rule.if]\ncontact = "enterprise"\n[rule.then]\ntag = "a"\n'
    )
    with pytest.raises(RulesError, match="must be a table of attributes"):
        load_rules(rules_file)

    spec = config_schema.validate(
        {"sla": {"first_response": "1d", "contacts": {"plan=enterprise": {"first_response": "1h"}}}}
    )
    assert spec.sla is not None
    policy = sla.SlaPolicy.from_config(spec.sla.model_dump(), None)
    assert policy is not None
    with store.read() as s:
        due = {d.conversation_id: d.due_at for d in sla.waiting(s, policy)}
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert due[big] == start + timedelta(hours=1)  # Enterprise, whatever its case
    assert due[small] == due[other] == start + timedelta(days=1)
    with store.read() as s:
        assert big in sla.matching_ids(s, policy, "breached", utcnow())
    with pytest.raises(config_schema.SchemaError, match=r"\[sla\] contacts must be a table"):
        config_schema.validate({"sla": {"contacts": {"enterprise": {"first_response": "1h"}}}})

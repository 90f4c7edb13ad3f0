import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.macros import files, template
from inbox_tui.models import Article, Conversation, Event
from inbox_tui.services import macros, triage

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def render(text, values=None, **kw):
    return template.render(template.parse(text), values or {}, **kw)


def test_fallback_used_only_when_value_missing():
    tpl = 'Hi {{contact.first_name | fallback: "there"}}!'
    assert render(tpl, {"contact.first_name": "Zoë"}) == "Hi Zoë!"
    assert render(tpl, {"contact.first_name": None}) == "Hi there!"
    assert render(tpl, {"contact.first_name": "   "}) == "Hi there!"
    assert render("{{ contact.name|fallback:'a \\'b\\'' }}", {}) == "a 'b'"


def test_missing_values_block_and_are_named():
    with pytest.raises(template.MissingValues) as exc:
        render(
            "{{agent.first_name}} {{contact.email}} {{ask: order number}}",
            {"agent.first_name": "Sam"},
        )
    assert exc.value.names == ["contact.email", "an answer to 'order number'"]
    assert "contact.email" in str(exc.value)


def test_hostile_values_come_out_as_plain_text_and_are_not_reinterpreted():
    name = "{{agent.name}} [bold]x[/bold]\x1b]52;c;Zm9v\x07\nBcc: evil@example.com"
    out = render("Dear {{contact.name}},", {"contact.name": name, "agent.name": "SECRET"})
    assert "SECRET" not in out
    assert "\x1b" not in out and "\x07" not in out and "\n" not in out
    assert out == "Dear {{agent.name}} [bold]x[/bold]]52;c;Zm9v Bcc: evil@example.com,"


def test_unknown_and_malformed_placeholders_fail_at_load():
    for bad in [
        "{{contact.age}}",
        "{{ }}",
        "{{contact.name | default: 'x'}}",
        "Hi {{contact.name",
        "{{article:}}",
        "{{ask:}}",
    ]:
        with pytest.raises(template.TemplateError):
            template.parse(bad)


def test_ask_and_article_placeholders():
    tpl = template.parse("Order {{ask: order number}}. See {{article:refunds}}")
    assert tpl.asks == ["order number"] and tpl.articles == ["refunds"]
    out = template.render(
        tpl, {}, answers={"order number": "A-17"}, article_text=lambda s: f"<{s}>"
    )
    assert out == "Order A-17. See <refunds>"


LINT_DIR = {
    "good.toml": 'name = "Thanks"\npinned = 1\nreply = """\nHi {{contact.first_name | fallback: "there"}}\n"""\n[actions]\nstatus = "closed"\n',
    "team.yaml": "macros:\n  - name: Billing\n    actions:\n      add_tags: [billing]\n      assign: priya\n  - name: Broken\n    reply: |\n      Hello\n      {{contact.nickname}}\n",
    "bad.toml": 'name = "Bad"\nreply = "x"\ncolour = "red"\n[actions]\nstatus = "done"\nsnooze = "soon"\n',
    "dup.toml": 'name = "Thanks again"\nslug = "good"\npinned = 1\nnote = "hi"\n',
    "notoml.toml": 'name = "x\n',
}


def write_dir(tmp_path: Path, spec=LINT_DIR) -> Path:
    d = tmp_path / "macros"
    d.mkdir()
    for name, text in spec.items():
        (d / name).write_text(text)
    return d


def test_lint_reports_every_problem_with_file_and_line(tmp_path):
    d = write_dir(tmp_path)
    specs, problems = files.load([d])
    assert sorted(s.slug for s in specs) == ["billing", "good", "good"]
    text = "\n".join(str(p) for p in problems)
    assert f"{d}/team.yaml:9: Unknown placeholder '{{{{contact.nickname}}}}'" in text
    assert f"{d}/bad.toml:3: unknown key 'colour'" in text
    assert f"{d}/bad.toml:5: status must be one of open, pending, closed" in text
    assert f"{d}/bad.toml:6: 'soon' is not a duration" in text
    assert f"{d}/bad.toml:4: a macro either snoozes or sets a status" in text
    assert "slug 'good' is also used at" in text
    assert "pin 1 is also used by 'good'" in text
    assert f"{d}/notoml.toml:1: not valid TOML" in text


def test_binary_and_missing_files_are_reported(tmp_path):
    (tmp_path / "x.yaml").write_bytes(b"\xff\xfe\x00garbage")
    _, problems = files.load([tmp_path / "x.yaml", tmp_path / "nope.toml"])
    assert [p.message for p in problems] == [
        "not UTF-8 text (is it a binary file?)",
        "no such file or folder",
    ]


def conversation(store, name="Zoë Brennan", email="zoe@acme.example"):
    msg = IncomingMessage(
        source="t",
        external_id="1",
        message_id="<m1@acme.example>",
        subject="Refund",
        author_name=name,
        author_email=email,
        sent_at=T0,
        body="I want a refund",
    )
    return store.run(lambda s: Ingestor(s).add(msg)).conversation_id


def test_import_is_idempotent_and_updates(sqlite_store, tmp_path):
    d = write_dir(tmp_path, {"a.toml": LINT_DIR["good.toml"]})
    specs, problems = files.load([d])
    assert not problems
    assert sqlite_store.run(macros.import_specs, specs) == {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
    }
    assert sqlite_store.run(macros.import_specs, specs) == {
        "added": 0,
        "updated": 0,
        "unchanged": 1,
    }
    specs[0].name = "Thanks!"
    assert sqlite_store.run(macros.import_specs, specs) == {
        "added": 0,
        "updated": 1,
        "unchanged": 0,
    }


def test_action_and_note_macro_applies_atomically_with_event(sqlite_store, tmp_path):
    conv_id = conversation(sqlite_store)
    triage_spec = files.MacroSpec(
        slug="billing-handoff",
        name="Hand to billing",
        body="Handing to {{agent.first_name}}'s billing team.",
        body_kind="note",
        actions={"add_tags": ["billing"], "assign": "me", "snooze": "2d"},
    )
    sqlite_store.run(macros.import_specs, [triage_spec])
    now = T0 + timedelta(hours=1)
    applied = sqlite_store.run(macros.apply_macro, "sam", conv_id, "billing-handoff", now=now)
    assert applied.note_id is not None
    assert applied.changed == [
        "tagged billing",
        "assigned to sam",
        "snoozed until 2026-05-06 11:00 UTC",
    ]
    with sqlite_store.read() as s:
        conv = s.get(Conversation, conv_id)
        assert conv.status == "snoozed" and conv.snoozed_until == now + timedelta(days=2)
        kinds = [
            e.kind
            for e in s.exec(
                select(Event).where(Event.conversation_id == conv_id).order_by(Event.id)
            )
        ]
        assert kinds[-1] == "macro_applied" and "noted" in kinds and "tagged" in kinds
        data = json.loads(s.exec(select(Event).where(Event.kind == "macro_applied")).one().data)
        assert data == {"macro": "billing-handoff", "name": "Hand to billing"}


def test_failed_macro_changes_nothing(sqlite_store):
    conv_id = conversation(sqlite_store)
    spec = files.MacroSpec(
        slug="x", name="X", body="{{ask: order}}", body_kind="note", actions={"add_tags": ["bug"]}
    )
    sqlite_store.run(macros.import_specs, [spec])
    with pytest.raises(macros.MacroError, match="an answer to 'order'"):
        sqlite_store.run(macros.apply_macro, "sam", conv_id, "x")
    with sqlite_store.read() as s:
        assert s.exec(select(Event).where(Event.kind.in_(["tagged", "macro_applied"]))).all() == []


def test_preview_renders_for_the_conversation_and_lists_missing(sqlite_store):
    conv_id = conversation(sqlite_store, name="", email="anon@example.com")
    sqlite_store.run(
        lambda s: s.add(
            Article(
                slug="refunds",
                title="Refunds",
                url="https://h/refunds",
                description="How refunds work.",
            )
        )
    )
    specs = [
        files.MacroSpec(
            slug="hi",
            name="Hi",
            body='Hi {{contact.first_name | fallback: "there"}}, see {{article:refunds}}',
        ),
        files.MacroSpec(
            slug="strict", name="Strict", body="Dear {{contact.name}}, {{ask: reason}}"
        ),
    ]
    sqlite_store.run(macros.import_specs, specs)
    triage_ok = sqlite_store.run(triage.ensure_agent, "sam", "Sam Carter")
    assert triage_ok.username == "sam"
    with sqlite_store.read() as s:
        p = macros.preview(s, "sam", conv_id, "hi")
        assert p.text == "Hi there, see Refunds\nhttps://h/refunds\nHow refunds work."
        p2 = macros.preview(s, "sam", conv_id, "strict")
        assert (
            p2.text is None
            and p2.missing == ["contact.name", "an answer to 'reason'"]
            and p2.asks == ["reason"]
        )

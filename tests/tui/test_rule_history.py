"""Why a conversation was tagged or assigned by itself (#21 acceptance walk): a rule that
fired shows with its name and what it did in the thread's header and in `conv show`.
Before, the `rule_fired` event was stored but nothing showed it, so "see it fire on the
next sync with its name in the history" could not be seen anywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from inbox_tui import cli
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.rules import load_rules
from inbox_tui.services import core
from inbox_tui.services.conversations import get_thread
from inbox_tui.services.rules import run_rules
from tests.tui.conftest import make_app, settle

RULES = (
    '[[rule]]\nname = "Invoices to billing\\u001b[31m"\n[rule.if]\nsubject = ["invoice"]\n'
    '[rule.then]\ntag = "billing"\nassign = "sam"\n'
)


async def test_a_fired_rule_is_named_in_the_thread_and_conv_show(store, tmp_path, capsys):
    store.run(core.ensure_agent, "sam")

    def work(s):
        return (
            Ingestor(s)
            .add(
                IncomingMessage(
                    source="imap:support/INBOX",
                    external_id="inv",
                    message_id="<inv@customer.example>",
                    subject="Invoice 2291 is wrong",
                    author_email="rita@customer.example",
                    sent_at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
                    body="The total is off.",
                )
            )
            .conversation_id
        )

    cid = store.run(work)
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(RULES)
    fired = store.run(run_rules, load_rules(rules_file), datetime(2026, 1, 1, tzinfo=UTC))
    assert [f.conversation_id for f in fired] == [cid]
    with store.read() as s:
        lines = get_thread(s, cid).rules_fired
    assert lines == ["“Invoices to billing[31m”: tagged billing, assigned to sam"]  # no ESC
    assert cli.main(["--db", store.url, "conv", "show", str(cid)]) == 0
    out = capsys.readouterr().out
    assert "rule “Invoices to billing[31m”: tagged billing, assigned to sam" in out
    assert "\x1b" not in out
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        shown = app.main.thread_view.plain_text()
        assert "⚙ rule “Invoices to billing[31m”: tagged billing, assigned to sam" in shown

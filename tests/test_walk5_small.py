"""walk5's small findings (#5), each on the real component:

- a macro's reply sets the status a plain reply sets (pending) unless the macro sets one
  itself: the demo's "Order status" macro left the conversation open;
- ``[agent] name`` in the config is the agent's name in the store when ``inbox-tui demo``
  opens a demo store that has another one ("Mei Chen" in the review's From and in "is
  viewing" for an agent whose config says "Mei Lin").

(The forward notice, "1 reply recorded" after a forward, is tested in the TUI:
tests/tui/test_forward_shows_at_once.py.)"""

from __future__ import annotations

import pytest
from sqlmodel import select

from inbox_tui.macros import files
from inbox_tui.models import Agent, Conversation
from inbox_tui.services import macros
from inbox_tui.services.compose import send_reply
from tests.test_mail_out import flush, make_config, seed


def _macro(store, slug: str, **actions) -> None:
    spec = files.MacroSpec(
        slug=slug,
        name=slug.replace("-", " ").capitalize(),
        body="Hi,\n\nYour order ships within two working days.",
        body_kind="reply",
        actions=actions,
    )
    store.run(macros.import_specs, [spec])


def _status(store, cid: int) -> str:
    with store.read() as s:
        return str(s.get(Conversation, cid).status)


@pytest.mark.parametrize(
    ("actions", "after"),
    [
        ({}, "pending"),  # no status of its own: as a plain reply
        ({"add_tags": ["orders"]}, "pending"),
        ({"status": "open"}, "open"),  # the macro's own status wins
        ({"status": "closed"}, "closed"),
        ({"snooze": "2d"}, "snoozed"),
    ],
)
def test_a_macros_reply_sets_the_status_a_plain_reply_sets(
    smtp_server, sqlite_store, actions, after
):
    cfg = make_config(smtp_server)
    cfg.category_on_close = "off"
    plain = seed(sqlite_store)
    sqlite_store.run(send_reply, "sam", plain, "Your order ships soon.", config=cfg)
    assert _status(sqlite_store, plain) == "pending"
    by_macro = sqlite_store.run(lambda s: _second(s))
    _macro(sqlite_store, "order-status", **actions)
    sqlite_store.run(
        send_reply, "sam", by_macro, "Your order ships within two working days.",
        config=cfg, macro="order-status",
    )  # fmt: skip
    assert _status(sqlite_store, by_macro) == after
    assert flush(sqlite_store, cfg) == 2  # both went out through the SMTP server


def _second(session) -> int:
    from datetime import timedelta

    from inbox_tui.incoming import IncomingMessage
    from inbox_tui.ingest import Ingestor
    from inbox_tui.models import utcnow

    msg = IncomingMessage(
        source="imap:support/INBOX",
        external_id="o2",
        message_id="<o2@acme.example>",
        subject="Where is order 77?",
        author_name="Ola Nordmann",
        author_email="ola@acme.example",
        to=[("Support", "support@example.com")],
        sent_at=utcnow() - timedelta(minutes=30),
        body="Where is my order?",
    )
    return Ingestor(session).add(msg).conversation_id


def test_the_configs_name_wins_over_the_demo_stores(tmp_path, monkeypatch):
    from inbox_tui import cli
    from inbox_tui.store import Store, sqlite_url

    config = tmp_path / "config.toml"
    config.write_text('[agent]\nusername = "mei"\nname = "Mei Lin"\n', encoding="utf-8")
    path = tmp_path / "demo.db"
    assert cli.main(["demo", "--build-only", "--path", str(path)]) == 0  # "Mei Chen"
    seen: list[str] = []

    def tui(ctx) -> int:  # what the TUI would open on: the agent row as it is then
        with ctx.store.read() as s:
            seen.append(s.exec(select(Agent.name).where(Agent.username == "mei")).one())
        return 0

    monkeypatch.setattr(cli, "_run_tui", tui)
    assert cli.main(["--config", str(config), "demo", "--path", str(path)]) == 0
    assert seen == ["Mei Lin"]
    store = Store(sqlite_url(path))
    try:
        with store.read() as s:
            assert s.exec(select(Agent.name).where(Agent.username == "mei")).one() == "Mei Lin"
    finally:
        store.close()

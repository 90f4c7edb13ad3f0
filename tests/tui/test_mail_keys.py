"""Reply-all (A) and undo send (B) from the keyboard; the thread shows who is on Cc and
which attachments were not kept. Nothing reaches SMTP here (the reply is taken back
within its delay); sending itself is tests/test_mail_out.py's, against aiosmtpd."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from inbox_tui.config import Account, AgentIdentity, Config, Signature, SmtpSettings
from inbox_tui.incoming import Attachment, IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Message, Outbox
from tests.tui.conftest import ME, NOW, make_app
from tests.tui.conftest import settle as settle_app
from tests.tui.test_triage_keys import SIZE


async def settle(pilot, times: int = 3) -> None:
    """The background IMAP sync runs until the app ends (this config has an account)."""
    await settle_app(pilot, times, skip_groups=("sync",))


async def current(pilot):
    await settle(pilot)
    return pilot.app.main.conv_list.current_row()


def seed_cc_mail(store) -> int:
    msg = IncomingMessage(
        source="imap:support/INBOX",
        external_id="cc-1",
        message_id="<cc-1@acme.example>",
        subject="Invoice for the whole team",
        author_name="Zoë Brennan",
        author_email="zoe@acme.example",
        to=[("Support", "support@example.com")],
        cc=[("Bob Stone", "bob@acme.example"), ("Carol", "carol@acme.example")],
        sent_at=NOW + timedelta(minutes=5),  # the newest: first in the list
        body="Please send the invoice to all of us.",
        attachments=[
            Attachment("huge.zip", "application/zip", 90_000_000, None, "too_large", "too big"),
            Attachment("table.csv", "text/csv", 12, b"a;b\r\n1;2\r\n", "stored"),
        ],
    )
    return store.run(lambda s: Ingestor(s).add(msg).conversation_id)


def live_config(undo: float) -> Config:
    account = Account(
        name="support",
        host="127.0.0.1",
        port=1,  # closed: the background sync fails at once and says so
        security="plain",
        address="support@example.com",
        smtp=SmtpSettings(host="127.0.0.1", port=1, security="plain", timeout=2),
        sent_mailbox=None,
    )
    cfg = Config(
        path=None,
        db_url=None,
        agent=AgentIdentity(ME, "Tess Ter", signature=Signature(text="Tess, Northwind support")),
        accounts={"support": account},
    )
    cfg.mail.undo_seconds = undo
    return cfg


async def test_reply_all_then_undo_brings_the_text_back(demo_store):
    cid = seed_cc_mail(demo_store)
    app = make_app(demo_store, config=live_config(undo=60))
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        assert row.id == cid
        await pilot.press("enter")
        await settle(pilot)
        shown = app.main.thread_view.plain_text()
        assert "Cc Bob Stone, Carol" in shown
        assert "huge.zip (application/zip, 85.8 MB, too large: not kept)" in shown
        await pilot.press("A")
        await settle(pilot)
        assert "Reply to all" in str(app.screen.query_one("Label").render())
        await pilot.press(*"Sent to all of you.")
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        with demo_store.read() as s:
            (queued,) = s.exec(select(Outbox).where(Outbox.conversation_id == cid)).all()
            assert queued.status == "queued"
            assert json.loads(queued.rcpt_to) == [
                "zoe@acme.example",
                "bob@acme.example",
                "carol@acme.example",
            ]
        await pilot.press("B")
        await settle(pilot, 5)
        body = app.screen.query_one("TextArea").text
        # The text as typed: the signature is the review's choice, kept with the reply
        # (loope's undo-send record), and added again when it is sent.
        assert body.rstrip() == "Sent to all of you."
        with demo_store.read() as s:
            assert s.get(Outbox, queued.id).status == "cancelled"
            outgoing = s.exec(
                select(Message).where(Message.conversation_id == cid, Message.direction == "out")
            ).all()
            assert outgoing == []
        await pilot.press("escape")
        await settle(pilot)


async def test_undo_with_nothing_waiting_says_so(demo_store):
    seed_cc_mail(demo_store)
    app = make_app(demo_store, config=live_config(undo=0))
    async with app.run_test(size=SIZE) as pilot:
        await current(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("B")
        await settle(pilot)
        assert app.screen is app.main
        texts = [str(n.message) for n in app._notifications]
        assert any("no reply of yours here still waiting" in t for t in texts)

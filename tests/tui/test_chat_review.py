"""The review step of a chat reply (walk10 #14): no "Subject: Re: …" and no email
signature; a chat line goes as it is, so nothing but send, edit and discard is offered."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from inbox_tui.config import Signature
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Channel, Message
from tests.tui.conftest import make_app, make_config, settle
from tests.tui.test_mail_keys import NOW
from tests.tui.test_review_step import review_shown
from tests.tui.test_triage_keys import SIZE, current


def seed_chat(store) -> int:
    msg = IncomingMessage(
        source="chat:jsonl:widget",
        external_id="jsonl:widget:walk10",
        thread_key="walk10-chat",
        channel=Channel.CHAT,
        subject="Pallet scanner offline",
        author_name="Zoë Brennan",
        author_email=None,
        sent_at=NOW + timedelta(minutes=5),  # the newest: first in the list
        body="The scanner says offline again.",
    )
    return store.run(lambda s: Ingestor(s).add(msg).conversation_id)


async def test_a_chat_reply_is_reviewed_and_sent_without_subject_or_signature(demo_store):
    cid = seed_chat(demo_store)
    config = make_config()
    config.agent.signature = Signature(text="Tess, Northwind support")
    app = make_app(demo_store, config=config)
    async with app.run_test(size=SIZE) as pilot:
        row = await current(pilot)
        assert row.id == cid
        await pilot.press("enter", "r")
        await settle(pilot)
        await pilot.press(*"Restart it, please.", "ctrl+s")
        await settle(pilot, 5)
        shown = review_shown(app)
        assert "the chat customer (through the chat bridge)" in shown
        assert "Subject" not in shown and "Re: " not in shown
        assert "Signature" not in shown and "Northwind support" not in shown
        assert "signature on/off" not in shown
        await pilot.press("s")  # not a key of a chat review: nothing changes
        await settle(pilot)
        assert review_shown(app) == shown
        await pilot.press("y")
        await settle(pilot, 5)
    with demo_store.read() as s:
        sent = s.exec(
            select(Message).where(Message.conversation_id == cid, Message.direction == "out")
        ).one()
    assert sent.body == "Restart it, please."

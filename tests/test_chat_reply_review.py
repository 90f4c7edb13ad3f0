"""A reply to a chat conversation has no subject and no email signature (walk10 #14):
the review showed "Subject: Re: …" and the agent's email signature, and the chat line
went out with "-- " and the signature under it."""

from __future__ import annotations

import json
from datetime import timedelta

from inbox_tui.config import AgentIdentity, Config, Signature
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Channel, Message, Outbox, utcnow
from inbox_tui.services import replies, review, triage

SIGNATURE = "{{agent.first_name}} at Acme support"


def seed(store, channel: Channel) -> int:
    chat = channel == Channel.CHAT
    msg = IncomingMessage(
        source="chat:jsonl:widget" if chat else "imap:support/INBOX",
        external_id="jsonl:widget:c1" if chat else "c1",
        message_id=None if chat else "<c1@acme.example>",
        thread_key="ticket-42" if chat else None,
        channel=channel,
        subject="Pallet scanner offline",
        author_name="Zoë Brennan",
        author_email="zoe@acme.example",
        to=[("Support", "support@example.com")],
        sent_at=utcnow() - timedelta(hours=1),
        body="The scanner says offline again.",
    )

    def work(s):  # type: ignore[no-untyped-def]
        triage.ensure_agent(s, "sam", "Sam Carter", "sam@example.com")
        return Ingestor(s).add(msg).conversation_id

    return store.run(work)


def config(tmp_path) -> Config:  # type: ignore[no-untyped-def]
    return Config(
        path=None,
        db_url=None,
        agent=AgentIdentity("sam", "Sam Carter", signature=Signature(text=SIGNATURE)),
        chat_outgoing_log=tmp_path / "chat-outgoing.jsonl",
    )


def test_a_chat_reply_is_reviewed_without_subject_or_signature(store, tmp_path):
    cid = seed(store, Channel.CHAT)
    cfg = config(tmp_path)
    shown = store.run(review.reply_review, "sam", cid, config=cfg)
    assert shown.chat
    assert shown.subject == ""
    assert shown.signature is None
    with store.read() as s:
        assert replies.reply_headers(s, cid, config=cfg) == [("To", "Zoë Brennan (chat)")]


def test_a_chat_reply_goes_out_without_the_email_signature(store, tmp_path):
    cid = seed(store, Channel.CHAT)
    cfg = config(tmp_path)
    oid = store.run(replies.queue_reply, "sam", cid, "Restart it, please.", config=cfg)
    with store.read() as s:
        outbox = s.get(Outbox, oid)
        assert s.get(Message, outbox.message_row_id).body == "Restart it, please."
        line = json.loads(outbox.raw)
    assert line["text"] == "Restart it, please."


def test_an_email_reply_keeps_its_subject_and_signature(store, tmp_path):
    cid = seed(store, Channel.EMAIL)
    cfg = config(tmp_path)
    shown = store.run(review.reply_review, "sam", cid, config=cfg)
    assert shown.subject == "Re: Pallet scanner offline"
    assert shown.signature == "Sam at Acme support"

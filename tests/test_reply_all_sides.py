"""Reply and reply-all take their recipients from the customer's side of the thread
(walk5 #1): the customer's messages' From/To/Cc, and our own replies' To/Cc (what the
customer already saw), minus our own addresses; never a forward's recipients, nor a
third party's answer to a forward. A walkthrough forwarded the demo's INV-2291 to
``"Díaz, Ana" <ana@supplier.example>``, and the next ``A`` copied the supplier to the
customer. Mail goes out through the real aiosmtpd server."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import utcnow
from inbox_tui.services import forward, replies
from inbox_tui.services.review import reply_review
from tests.test_mail_out import flush, make_config, seed

ANA = ("Díaz, Ana", "ana@supplier.example")
CUSTOMER_CC = [("Bob", "bob@acme.example"), ("Carol", "carol@acme.example")]


def _forward_to_ana(store, cid, cfg) -> str:
    """Forward the conversation to the supplier (with a colleague of hers on Cc) and let
    everything queued go out; returns the forward's Message-ID."""
    from sqlmodel import select

    from inbox_tui.models import FORWARD_SOURCE, Message

    store.run(
        forward.queue_forward, "sam", cid, [ANA], config=cfg, note="Can you check this?",
        cc=[("Luis", "luis@supplier.example")],
    )  # fmt: skip
    assert flush(store, cfg) >= 1
    with store.read() as s:
        row = s.exec(select(Message).where(Message.source == FORWARD_SOURCE)).one()
        return str(row.message_id)


def _addrs(header) -> list[str]:
    return [a.addr_spec for a in header.addresses] if header else []


def test_reply_all_after_a_forward_keeps_the_customers_side_only(smtp_server, sqlite_store):
    cid = seed(sqlite_store)
    cfg = make_config(smtp_server)
    _forward_to_ana(sqlite_store, cid, cfg)
    with sqlite_store.read() as s:
        review = reply_review(s, "sam", cid, config=cfg, reply_all=True)
    assert review.to == [("Zoë Brennan", "zoe@acme.example")]
    assert review.cc == CUSTOMER_CC
    sqlite_store.run(replies.queue_reply, "sam", cid, "Checking.", config=cfg, reply_all=True)
    assert flush(sqlite_store, cfg) == 1
    _, rcpts, raw = smtp_server.messages[-1]
    assert rcpts == ["zoe@acme.example", "bob@acme.example", "carol@acme.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert _addrs(msg["Cc"]) == ["bob@acme.example", "carol@acme.example"]


def test_our_replys_cc_stays_a_forwards_does_not(smtp_server, sqlite_store):
    """Someone our own reply copied in has seen the thread: reply-all keeps them. A
    forward sent after that reply adds nobody."""
    cid = seed(sqlite_store, cc=[("Bob", "bob@acme.example")])
    cfg = make_config(smtp_server)
    sqlite_store.run(
        replies.queue_reply, "sam", cid, "Adding our accountant.", config=cfg,
        cc=[("Bob", "bob@acme.example"), ("Dee", "dee@accounting.example")],
    )  # fmt: skip
    _forward_to_ana(sqlite_store, cid, cfg)
    review = sqlite_store.run(replies.addressing, "sam", cid, config=cfg, reply_all=True)
    assert review.to == [("Zoë Brennan", "zoe@acme.example")]
    assert review.cc == [("Bob", "bob@acme.example"), ("Dee", "dee@accounting.example")]


def test_a_suppliers_answer_to_the_forward_is_not_the_customer(smtp_server, store):
    """The supplier answers our forward; the answer threads into the conversation (it
    names the forward's Message-ID) but is not the customer's: ``r`` and ``A`` still go
    to the customer and the customer's Cc, and the review answers the customer's mail.
    On SQLite and PostgreSQL."""
    cid = seed(store)
    cfg = make_config(smtp_server)
    fwd_id = _forward_to_ana(store, cid, cfg)
    answer = IncomingMessage(
        source="imap:support/INBOX",
        external_id="ana-1",
        message_id="<ana-1@supplier.example>",
        in_reply_to=fwd_id,
        references=[fwd_id],
        subject="Re: Fwd: Re: Invoice missing",
        author_name="Díaz, Ana",
        author_email="ana@supplier.example",
        to=[("Support", "support@example.com")],
        cc=[("Luis", "luis@supplier.example"), ("Marta", "marta@supplier.example")],
        sent_at=utcnow() + timedelta(minutes=1),
        body="Yes, 18 seats is right.",
    )
    got = store.run(lambda s: Ingestor(s).add(answer).conversation_id)
    assert got == cid  # threaded into the conversation by the forward's Message-ID
    plain = store.run(replies.addressing, "sam", cid, config=cfg)
    assert plain.to == [("Zoë Brennan", "zoe@acme.example")] and plain.cc == []
    everyone = store.run(replies.addressing, "sam", cid, config=cfg, reply_all=True)
    assert everyone.to == [("Zoë Brennan", "zoe@acme.example")]
    assert everyone.cc == CUSTOMER_CC
    with store.read() as s:
        review = reply_review(s, "sam", cid, config=cfg, reply_all=True)
    assert review.answers is not None and review.answers.startswith("Zoë Brennan")
    assert review.customers == ["Zoë Brennan"]
    store.run(replies.queue_reply, "sam", cid, "Corrected.", config=cfg, reply_all=True)
    assert flush(store, cfg) == 1
    _, rcpts, raw = smtp_server.messages[-1]
    assert rcpts == ["zoe@acme.example", "bob@acme.example", "carol@acme.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["In-Reply-To"] == "<c1@acme.example>"

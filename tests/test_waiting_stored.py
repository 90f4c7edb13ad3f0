"""#21: since when a conversation waits for a reply is stored on the conversation
(``conversation.waiting_since``, migration 0014) and must always equal the one
definition (``sla.waiting_since``) computed from the messages: after a random mix of
customer mail, replies (sent now, scheduled, taken back), forwards, notes, merges,
splits and their undos, on SQLite and PostgreSQL, with a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select as core_select
from sqlmodel import col, select

from inbox_tui.errors import UserError
from inbox_tui.incoming import IncomingMessage
from inbox_tui.ingest import Ingestor
from inbox_tui.models import Conversation, Message, utcnow
from inbox_tui.services import forward, merge, replies, sla, triage, undo, undo_send
from inbox_tui.services.outbox import flush_outbox
from inbox_tui.store import Store
from tests.test_replies import config

ME = "sam"
OPS = ["new", "again", "batch", "reply", "reply", "later", "forward", "note"]
OPS += ["takeback", "merge", "split", "undo"]


def mismatches(store: Store) -> list[tuple]:
    """(id, stored, computed) of every conversation whose stored value is wrong."""

    def norm(at):
        return None if at is None else (at if at.tzinfo else at.replace(tzinfo=UTC))

    with store.read() as s:
        rows = s.execute(
            core_select(Conversation.id, Conversation.waiting_since, sla.waiting_since()[0])
        ).all()
    return [(cid, a, b) for cid, a, b in rows if norm(a) != norm(b)]


class Mix:
    def __init__(self, store: Store, cfg, rng: random.Random) -> None:
        self.store, self.cfg, self.rng = store, cfg, rng
        self.n = 0
        self.t0 = utcnow() - timedelta(days=3)
        self.undoable = False

    def incoming(self, reply_to: str | None = None, agent: str | None = None) -> IncomingMessage:
        self.n += 1
        key = f"k{self.n}"
        return IncomingMessage(
            source="t",
            external_id=key,
            message_id=f"<{key}@x>",
            in_reply_to=f"<{reply_to}@x>" if reply_to else None,
            subject=f"About {reply_to or key}",
            author_email="support@us.example" if agent else "ann@acme.example",
            author_name=agent or "Ann",
            agent_username=agent,
            sent_at=self.t0 + timedelta(minutes=7 * self.n),
            body=f"text {key}",
        )

    def mail(self, reply_to: str | None = None) -> int:
        msg = self.incoming(reply_to)
        return self.store.run(lambda s: Ingestor(s).add(msg).conversation_id)

    def batch(self, ids: list[int]) -> None:
        """A sync's batch (the bulk writer): customers writing again, a new one, and
        our own mail from the mailbox (an agent's answer sent from another client)."""
        msgs = [self.incoming(self.customer_key(self.rng.choice(ids))) for _ in range(2)]
        msgs.append(self.incoming())
        msgs.append(self.incoming(self.customer_key(self.rng.choice(ids)), agent=ME))
        self.store.run(lambda s: Ingestor(s).add_all(msgs))

    def conversations(self) -> list[int]:
        with self.store.read() as s:
            return list(s.exec(select(Conversation.id).order_by(col(Conversation.id))).all())

    def customer_key(self, cid: int) -> str | None:
        with self.store.read() as s:
            keys = s.exec(
                select(Message.external_id)
                .where(Message.conversation_id == cid)
                .where(Message.direction == "in")
            ).all()
        return self.rng.choice(keys) if keys else None

    def step(self) -> str:
        try:
            return self._step()
        except UserError:  # refused (nothing to take back, split or undo): still checked
            return "refused"

    def _step(self) -> str:
        rng, store, cfg = self.rng, self.store, self.cfg
        ids = self.conversations()
        op = rng.choice(OPS)
        if op == "new" or not ids:
            self.mail()
            return "new"
        cid = rng.choice(ids)
        if op == "again":
            self.mail(reply_to=self.customer_key(cid))
        elif op == "batch":
            self.batch(ids)
        elif op == "reply":
            store.run(replies.queue_reply, ME, cid, "On it.", config=cfg)
        elif op == "later":  # scheduled days ahead: it never goes within this test
            at = utcnow() + timedelta(days=2)
            store.run(replies.queue_reply, ME, cid, "Tomorrow.", config=cfg, send_at=at)
        elif op == "forward":
            store.run(forward.queue_forward, ME, cid, ["boss@example.org"], config=cfg, note="FYI")
        elif op == "note":
            store.run(triage.add_note, ME, cid, "looking")
        elif op == "takeback":
            store.run(undo_send.take_back, ME, cid)
        elif op == "merge" and len(ids) > 1:
            other = rng.choice([i for i in ids if i != cid])
            store.run(merge.merge, ME, other, cid)
            self.undoable = True
        elif op == "split":
            with store.read() as s:
                msgs = s.exec(select(Message.id).where(Message.conversation_id == cid)).all()
            if len(msgs) < 2:
                return "split-none"
            store.run(merge.split, ME, cid, rng.choice(sorted(msgs)[1:]))
            self.undoable = True
        elif op == "undo" and self.undoable:
            store.run(undo.undo_last, ME, window=timedelta(days=1), now=utcnow())
        return op


@pytest.mark.parametrize("seed", [1, 2])
def test_stored_waiting_time_equals_the_definition_after_a_random_mix(smtp_server, store, seed):
    cfg = config(smtp_server.settings())
    cfg.mail.undo_seconds = 30.0  # replies wait in the outbox, so undo send can take them
    store.run(triage.ensure_agent, ME, "Sam Carter")
    mix = Mix(store, cfg, random.Random(seed))
    done = []
    for _ in range(3):
        mix.mail()
    for _ in range(60):
        done.append(mix.step())
        assert mismatches(store) == [], done
    assert {"reply", "merge", "split", "forward", "batch", "undo"} <= set(done), done
    with store.read() as s:  # the mix left some waiting and some answered
        stored = s.exec(select(Conversation.waiting_since)).all()
    assert any(v is None for v in stored) and any(v is not None for v in stored)


def test_a_scheduled_reply_answers_once_the_outbox_sends_it(smtp_server, store):
    cfg = config(smtp_server.settings())
    store.run(triage.ensure_agent, ME, "Sam Carter")
    mix = Mix(store, cfg, random.Random(0))
    cid = mix.mail()
    with store.read() as s:
        assert s.get(Conversation, cid).waiting_since is not None
    # 3 s ahead: the time must still be ahead once queued (1 s had passed by then once,
    # under load, and a send time already past is due at once: the test's premise gone).
    at = utcnow() + timedelta(seconds=3)
    store.run(replies.queue_reply, ME, cid, "Soon.", config=cfg, send_at=at)
    with store.read() as s:
        assert s.get(Conversation, cid).waiting_since is not None  # not gone yet
    assert mismatches(store) == []
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while utcnow() <= at and datetime.now(UTC) < deadline:  # the real clock must pass it
        asyncio.run(asyncio.sleep(0.05))
    assert asyncio.run(flush_outbox(store, cfg)).sent == 1
    with store.read() as s:
        assert s.get(Conversation, cid).waiting_since is None  # answered once it went
    assert mismatches(store) == []


def test_the_migration_backfills_it(store):
    mix = Mix(store, None, random.Random(0))
    waiting = mix.mail()
    answered = mix.mail()
    store.run(triage.ensure_agent, ME)

    def clear_and_reply(s):
        msg = IncomingMessage(
            source="t",
            external_id="r1",
            message_id="<r1@x>",
            in_reply_to="<k2@x>",
            subject="Re",
            author_email="support@us.example",
            author_name=ME,
            agent_username=ME,
            sent_at=utcnow(),
            body="answer",
        )
        Ingestor(s).add(msg)

    store.run(clear_and_reply)
    # As a store from before 0014 would be: nothing stored, then the migration's backfill.
    from inbox_tui.store import waiting as stored

    store.run(lambda s: s.execute(Conversation.__table__.update().values(waiting_since=None)))
    assert mismatches(store) != []
    store.run(lambda s: stored.rebuild(s.connection()))
    assert mismatches(store) == []
    with store.read() as s:
        assert s.get(Conversation, waiting).waiting_since is not None
        assert s.get(Conversation, answered).waiting_since is None

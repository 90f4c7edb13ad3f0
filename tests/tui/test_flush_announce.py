"""walk10 #7: an app announces only its own agent's deliveries. Mei's status line read
"5 replies recorded (demo: nothing is sent)" for replies Sam queued: her app delivered
them (any app delivers any due row), and said so as if they were hers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from inbox_tui.models import Conversation, Outbox, utcnow
from inbox_tui.services import triage
from inbox_tui.services.compose import send_reply
from tests.tui.conftest import ME, make_app, make_config, settle


def _due_now(store) -> None:
    """The undo delay of every queued row is over."""
    past = utcnow() - timedelta(seconds=1)
    store.run(lambda s: s.execute(update(Outbox).values(next_attempt_at=past)))


async def test_another_agents_replies_are_not_announced_as_mine(demo_store):
    config = make_config()
    config.mail.undo_seconds = 10
    with demo_store.read() as s:
        ids = s.exec(select(Conversation.id).where(Conversation.status == "open")).all()[:3]
    demo_store.run(lambda s: triage.ensure_agent(s, "sam", "Sam Carter"))
    for cid in ids[:2]:
        demo_store.run(send_reply, "sam", cid, "On its way.", config=config)
    _due_now(demo_store)
    app = make_app(demo_store, config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.flush_outbox()
        await settle(pilot, 5)
        with demo_store.read() as s:
            statuses = {o.status for o in s.exec(select(Outbox)).all()}
        assert statuses == {"logged"}  # delivered from here all the same
        assert "recorded" not in app.main._status_said, app.main._status_said
        # This agent's own reply is announced.
        demo_store.run(send_reply, ME, ids[2], "Mine.", config=config)
        _due_now(demo_store)
        app.flush_outbox()
        await settle(pilot, 5)
        assert app.main._status_said == "1 reply recorded (demo: nothing is sent)."

""" "Send at" (#23): a reply held in the outbox until a time in the customer's morning,
through a real SMTP server (aiosmtpd) and a flush clock the test controls: nothing goes
before its time, it goes exactly once at its time (two senders at once too), it is
dated then, the thread shows it as scheduled, and undo send takes it back before."""

from __future__ import annotations

import asyncio
import email
import email.utils
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from inbox_tui.models import Outbox, utcnow
from inbox_tui.services import replies, schedule, undo_send
from inbox_tui.services.compose import send_reply
from inbox_tui.services.conversations import get_thread
from inbox_tui.services.outbox import flush_outbox
from inbox_tui.services.review import reply_review
from tests.test_customer_clock import mail
from tests.test_replies import config

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday


def test_the_customers_morning_by_hand():
    # Tokyo (+09:00): 15:30 UTC is 00:30 on Thursday there; 09:00 Thursday is 00:00 UTC.
    assert schedule.customers_morning(9 * 60, NOW) == datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    # New York (-05:00): 10:30 there, past 09:00: Thursday 09:00 is 14:00 UTC.
    assert schedule.customers_morning(-5 * 60, NOW) == datetime(2026, 11, 19, 14, 0, tzinfo=UTC)
    # Kolkata (+05:30): 21:00 there: Thursday 09:00 is 03:30 UTC.
    assert schedule.customers_morning(330, NOW) == datetime(2026, 11, 19, 3, 30, tzinfo=UTC)
    tokyo = schedule.choices(9 * 60, NOW, "UTC")  # an agent on UTC
    assert [c.value for c in tokyo] == ["now", "morning", "custom"]
    assert tokyo[1].label == "Customer's 9:00: Thu 19 Nov 09:00 their time (Thu 00:00 UTC)"
    assert [c.value for c in schedule.choices(None, NOW, "UTC")] == ["now", "custom"]  # not known
    with pytest.raises(schedule.BadSendTime, match="in the past"):
        schedule.due(NOW - timedelta(minutes=1), NOW, 10)
    with pytest.raises(schedule.BadSendTime, match="at most 30 days"):
        schedule.due(NOW + timedelta(days=31), NOW, 10)
    assert schedule.due(NOW + timedelta(seconds=5), NOW, 10) is None  # the undo delay anyway


def test_a_scheduled_time_for_the_agent_by_hand():
    """The thread's "scheduled" time: in the agent's zone (DST-correct), then the
    customer's when their offset is known."""
    tokyo_morning = datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    assert (
        schedule.describe_for_agent(tokyo_morning, "Europe/Berlin", 9 * 60)
        == "Thu 19 Nov 01:00 CET, Thu 09:00 their time"
    )
    summer = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # Berlin on summer time: +02:00
    assert (
        schedule.describe_for_agent(summer, "Europe/Berlin", -4 * 60)
        == "Wed 01 Jul 09:00 CEST, Wed 03:00 their time"
    )
    # Evening in New York is the next day in Kolkata; the customer's zone not known.
    late = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    assert (
        schedule.describe_for_agent(late, "America/New_York", 330)
        == "Thu 19 Nov 18:30 EST, Fri 05:00 their time"
    )
    assert schedule.describe_for_agent(late, "UTC", None) == "Thu 19 Nov 23:30 UTC"
    assert schedule.describe_for_agent(late, "Mars/Olympus", None) == "Thu 19 Nov 23:30 UTC"


def test_scheduled_reply_goes_once_at_its_time(smtp_server, store):
    cfg = config(smtp_server.settings())
    start = utcnow()

    def setup(s):
        from inbox_tui.services import triage

        triage.ensure_agent(s, "sam", "Sam Carter")
        # Written an hour ago from Tokyo: their mail says +0900.
        wrote = (start - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo"))
        date = email.utils.format_datetime(wrote)
        return mail(s, 1, date, who="kenji@far.example"), mail(s, 2, date, who="aiko@far.example")

    cid, other = store.run(setup)
    with store.read() as s:
        review = reply_review(s, "sam", cid, config=cfg)
    assert review.customer_offset == 9 * 60
    morning = schedule.customers_morning(9 * 60, start)
    review.send_at = morning
    sent = store.run(send_reply, "sam", cid, "Fixed overnight.", config=cfg, review=review)
    assert sent.sentence.startswith("Reply scheduled for ") and "their time" in sent.sentence
    with store.read() as s:
        (row,) = s.exec(select(Outbox).where(Outbox.conversation_id == cid)).all()
        assert row.next_attempt_at.replace(tzinfo=UTC) == morning and row.status == "queued"
        shown = get_thread(s, cid).messages[-1]
        assert shown.direction == "out" and shown.waiting_until.replace(tzinfo=UTC) == morning

    def flush(at):
        return asyncio.run(flush_outbox(store, cfg, clock=lambda: at))

    assert flush(start + timedelta(minutes=1)).sent == 0  # the undo delay is long over
    assert flush(morning - timedelta(seconds=1)).sent == 0
    assert smtp_server.messages == []

    async def two_senders():
        return await asyncio.gather(
            flush_outbox(store, cfg, clock=lambda: morning + timedelta(seconds=1)),
            flush_outbox(store, cfg, clock=lambda: morning + timedelta(seconds=1)),
        )

    reports = asyncio.run(two_senders())
    assert sum(r.sent for r in reports) == 1
    assert flush(morning + timedelta(hours=1)).sent == 0
    assert len(smtp_server.messages) == 1
    raw = smtp_server.messages[0][2]
    msg = email.message_from_bytes(raw)
    assert email.utils.parsedate_to_datetime(msg["Date"]) == morning  # dated when it goes
    with store.read() as s:
        assert get_thread(s, cid).messages[-1].waiting_until is None  # gone: no mark

    # Another, scheduled too, taken back before its time: nothing goes.
    later = start + timedelta(hours=5)
    oid = store.run(replies.queue_reply, "sam", other, "Tomorrow then.", config=cfg, send_at=later)
    taken = store.run(undo_send.take_back, "sam", None)
    assert taken.conversation_id == other and taken.text.startswith("Tomorrow then.")
    assert flush(later + timedelta(minutes=1)).sent == 0
    with store.read() as s:
        assert s.get(Outbox, oid).status == "cancelled"
    assert len(smtp_server.messages) == 1


def test_a_past_time_cannot_be_scheduled(smtp_server, sqlite_store):
    cfg = config(smtp_server.settings())
    cid = sqlite_store.run(lambda s: mail(s, 3, "Wed, 18 Nov 2026 09:00:00 +0100"))
    with pytest.raises(schedule.BadSendTime, match="in the past"):
        sqlite_store.run(
            replies.queue_reply, "sam", cid, "x", config=cfg, send_at=utcnow() - timedelta(hours=1)
        )
    with sqlite_store.read() as s:
        assert s.exec(select(Outbox)).all() == []


def test_a_scheduled_reply_leaves_the_response_clock_running(smtp_server, store):
    """walk2: scheduling a reply took the conversation out of sla:breached at once,
    though the customer hears nothing until it goes. A reply sent now stops it."""
    from inbox_tui.services import sla

    cfg = config(smtp_server.settings())
    policy = sla.SlaPolicy.from_config({"first_response": "1h"})

    def setup(s):
        from inbox_tui.services import triage

        triage.ensure_agent(s, "sam", "Sam Carter")
        wrote = email.utils.format_datetime(utcnow() - timedelta(hours=3))
        return mail(s, 1, wrote, who="kenji@far.example")

    cid = store.run(setup)

    def waiting() -> set[int]:
        with store.read() as s:
            return {d.conversation_id for d in sla.waiting(s, policy)}

    assert cid in waiting()
    later = utcnow() + timedelta(days=2)
    store.run(replies.queue_reply, "sam", cid, "Tomorrow, then.", config=cfg, send_at=later)
    assert cid in waiting()  # the customer has no answer yet
    store.run(replies.queue_reply, "sam", cid, "Actually, now.", config=cfg)
    assert cid not in waiting()


def test_a_reply_still_in_the_outbox_cannot_be_split_off(smtp_server, store):
    """walk4: X split a scheduled reply into a new conversation with no customer message,
    while its outbox row stayed with the old one. It is not offered, and refused."""
    from inbox_tui.errors import UserError
    from inbox_tui.services import merge, triage

    cfg = config(smtp_server.settings())

    def setup(s):
        triage.ensure_agent(s, "sam", "Sam Carter")
        wrote = email.utils.format_datetime(utcnow() - timedelta(hours=3))
        return mail(s, 1, wrote, who="kenji@far.example")

    cid = store.run(setup)
    store.run(replies.queue_reply, "sam", cid, "A first answer.", config=cfg)
    assert asyncio.run(flush_outbox(store, cfg)).sent == 1
    later = utcnow() + timedelta(days=2)
    store.run(replies.queue_reply, "sam", cid, "Tomorrow, then.", config=cfg, send_at=later)
    with store.read() as s:
        thread = get_thread(s, cid)
        scheduled = next(m.id for m in thread.messages if m.body.startswith("Tomorrow"))
        offered = {c.id for c in merge.split_choices(s, cid)}
    assert scheduled not in offered
    with pytest.raises(UserError, match="has not gone out yet"):
        store.run(merge.split, "sam", cid, scheduled)
    assert len(offered) >= 1  # the reply that went can still be split off

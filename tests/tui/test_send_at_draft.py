"""A "send at" time (the review's ``w``) is kept with the reply's draft (#23): Esc out
of the review and the composer, then ``r``, brings it back in the review, and so does
another session after a restart (the draft is in the store); ``y`` then holds the reply
in the outbox until that time, and nothing reaches the SMTP server early."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from inbox_tui.models import Outbox
from inbox_tui.services.schedule import customers_morning
from tests.test_customer_clock import mail
from tests.tui.conftest import ME
from tests.tui.test_mail_keys import settle
from tests.tui.test_review_step import review_shown, smtp_config
from tests.tui.test_triage_keys import SIZE


def _app(store, cfg, now):
    from inbox_tui.tui.app import InboxApp

    return InboxApp(store, cfg, ME, clock=lambda: now, poll_seconds=3600)


async def _review(pilot, cid: int) -> None:
    pilot.app.main.open_conversation(cid)
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_the_send_at_time_comes_back_with_the_draft_and_after_a_restart(
    demo_store, smtp_server
):
    now = datetime.now(UTC).replace(microsecond=0)  # queueing runs on the real clock
    wrote = email.utils.format_datetime(
        (now - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    )
    cid = demo_store.run(lambda s: mail(s, 78, wrote, who="kenji@far.example"))
    morning = customers_morning(9 * 60, now)
    scheduled = f"Send at   {morning.astimezone(ZoneInfo('Asia/Tokyo')):%a %d %b} 09:00 their time"
    cfg = smtp_config(smtp_server, undo=10)
    app = _app(demo_store, cfg, now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Fixed while you slept.", "ctrl+s", "w")
        await settle(pilot)
        await pilot.press(*"customer", "enter")
        await settle(pilot)
        assert scheduled in review_shown(app)
        await pilot.press("escape")  # back to the text
        await settle(pilot)
        await pilot.press("escape")  # out of the composer: a kept draft
        await settle(pilot)
        assert app.screen is app.main
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one("TextArea").text == "Fixed while you slept."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert scheduled in review_shown(app)
        await pilot.press("escape", "escape")
        await settle(pilot)
    app = _app(demo_store, cfg, now)  # a restart
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _review(pilot, cid)
        assert scheduled in review_shown(app)
        await pilot.press("y")
        await settle(pilot, 5)
        with demo_store.read() as s:
            (row,) = s.exec(select(Outbox).where(Outbox.conversation_id == cid)).all()
        assert row.status == "queued" and row.next_attempt_at.replace(tzinfo=UTC) == morning
    assert smtp_server.messages == []


async def test_as_soon_as_it_can_go_after_a_time_is_kept_too(demo_store, smtp_server):
    """Choosing "as soon as it can go" after a time takes the time away from the draft
    as well (the kept time does not come back)."""
    now = datetime.now(UTC).replace(microsecond=0)
    wrote = email.utils.format_datetime(
        (now - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    )
    cid = demo_store.run(lambda s: mail(s, 79, wrote, who="kenji@far.example"))
    cfg = smtp_config(smtp_server, undo=10)
    app = _app(demo_store, cfg, now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Soon.", "ctrl+s", "w")
        await settle(pilot)
        await pilot.press(*"customer", "enter")
        await settle(pilot)
        assert "Send at" in review_shown(app).replace("w send at", "")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await _review(pilot, cid)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press(*"soon", "enter")
        await settle(pilot)
        assert "Send at" not in review_shown(app).replace("w send at", "")
        await pilot.press("escape", "escape")
        await settle(pilot)
        await _review(pilot, cid)
        assert "Send at" not in review_shown(app).replace("w send at", "")


async def test_the_thread_shows_a_scheduled_reply_in_the_agents_zone_and_theirs(
    demo_store, smtp_server
):
    """The thread's "⏲ scheduled" mark names the time in the agent's own zone
    (``[agent] timezone``, as the heatmaps) and the customer's, never UTC alone."""
    from inbox_tui.services.compose import send_reply
    from inbox_tui.services.review import reply_review

    now = datetime.now(UTC).replace(microsecond=0)
    wrote = email.utils.format_datetime(
        (now - timedelta(hours=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    )
    cid = demo_store.run(lambda s: mail(s, 80, wrote, who="kenji@far.example"))
    cfg = smtp_config(smtp_server, undo=10)
    cfg.agent.timezone = "America/New_York"
    # The customer's next 9:00 at least 15 minutes ahead: within 10 minutes of its time
    # the mark reads "waiting to go out" (this failed from 23:50 to 00:00 UTC daily).
    morning = customers_morning(9 * 60, now + timedelta(minutes=15))
    with demo_store.read() as s:
        review = reply_review(s, ME, cid, config=cfg)
    review.send_at = morning
    demo_store.run(send_reply, ME, cid, "Fixed overnight.", config=cfg, review=review)
    app = _app(demo_store, cfg, now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        lines = app.main.thread_view.plain_text().split("\n")
        shown = " ".join(line.lstrip("▎ ") for line in lines)  # wrapped lines joined
    mine = morning.astimezone(ZoneInfo("America/New_York"))
    assert (
        f"⏲ scheduled: goes out {mine:%a %d %b %H:%M} {mine.tzname()}, "
        f"{morning.astimezone(ZoneInfo('Asia/Tokyo')):%a} 09:00 their time" in shown
    )
    assert f"goes out {morning:%a %d %b %H:%M} UTC" not in shown
    assert smtp_server.messages == []

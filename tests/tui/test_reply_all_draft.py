"""A draft keeps everything the agent set (walk5 #2): after ``A``, a review with the
reply-all Cc, a file and a "send at" time, ``y`` then ``B`` (undo send) and Esc, the
toast says "r on this conversation brings it back"; ``r`` brought the text back with
"Cc (nobody)" and no send-at. The mode (reply to all), the recipients, the file and the
time now come back with ``r``, after Esc without sending too, and after a restart; what
is finally sent (the outbox row, and the mail at the real aiosmtpd server) has them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from inbox_tui.models import Outbox
from tests.tui.conftest import ME
from tests.tui.test_mail_keys import seed_cc_mail, settle
from tests.tui.test_review_step import review_shown, smtp_config
from tests.tui.test_triage_keys import SIZE

CC = "Cc        Bob Stone <bob@acme.example>, Carol <carol@acme.example>"


def _app(store, cfg, now):
    from inbox_tui.tui.app import InboxApp

    return InboxApp(store, cfg, ME, clock=lambda: now, poll_seconds=3600)


def _lines(shown: str, *starts: str) -> list[str]:
    """The review's lines that start with one of ``starts`` (Cc, Send at, Files)."""
    return [line.strip() for line in shown.split("\n") if line.strip().startswith(starts)]


async def _open_review(pilot, cid: int, key: str) -> str:
    pilot.app.main.open_conversation(cid)
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    text = pilot.app.screen.query_one("TextArea").text
    await pilot.press("ctrl+s")
    await settle(pilot)
    return text


async def _write_reply_all(pilot, cid: int, folder: Path) -> str:
    """``A``, the text, the review with a file and "send at" in 3 hours: the review's
    Cc / Send at / Files lines."""
    pilot.app.main.open_conversation(cid)
    await settle(pilot)
    await pilot.press("A")
    await settle(pilot)
    await pilot.press(*"Corrected invoice attached.", "ctrl+s")
    await settle(pilot)
    assert CC in review_shown(pilot.app)
    await pilot.press("f")
    await settle(pilot)
    pilot.app.screen.cwd = folder
    await pilot.press(*"report.csv", "enter")
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    await pilot.press(*"3h", "enter")
    await settle(pilot)
    shown = review_shown(pilot.app)
    kept = _lines(shown, "Cc", "Send at", "Files")
    assert len(kept) == 3, shown
    return "\n".join(kept)


async def test_undo_send_then_esc_then_r_keeps_cc_send_at_and_files(
    demo_store, smtp_server, tmp_path: Path
):
    cid = seed_cc_mail(demo_store)
    (tmp_path / "report.csv").write_bytes(b"when;what\n09:00;printed\n")
    cfg = smtp_config(smtp_server, undo=30)
    now = datetime.now(UTC).replace(microsecond=0)  # queueing runs on the real clock
    app = _app(demo_store, cfg, now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        expected = await _write_reply_all(pilot, cid, tmp_path)
        await pilot.press("y")
        await settle(pilot, 5)
        with demo_store.read() as s:
            assert s.exec(select(Outbox).where(Outbox.status == "queued")).one()
        await pilot.press("B")  # undo send: back in the composer
        await settle(pilot, 5)
        assert app.screen.query_one("TextArea").text == "Corrected invoice attached."
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main
        assert await _open_review(pilot, cid, "r") == "Corrected invoice attached."
        shown = review_shown(app)
        assert "\n".join(_lines(shown, "Cc", "Send at", "Files")) == expected
        await pilot.press("escape", "escape")
        await settle(pilot)
    app = _app(demo_store, cfg, now)  # a restart
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _open_review(pilot, cid, "r")
        shown = review_shown(app)
        assert "\n".join(_lines(shown, "Cc", "Send at", "Files")) == expected
        await pilot.press("y")
        await settle(pilot, 5)
    with demo_store.read() as s:
        row = s.exec(select(Outbox).where(Outbox.status == "queued")).one()
    assert row.rcpt_to == '["zoe@acme.example", "bob@acme.example", "carol@acme.example"]'
    assert (row.next_attempt_at.replace(tzinfo=UTC) - now).total_seconds() > 2.9 * 3600
    assert b"report.csv" in row.raw
    assert smtp_server.messages == []  # scheduled: nothing went early


async def test_esc_without_sending_keeps_reply_all_and_send_at(
    demo_store, smtp_server, tmp_path: Path
):
    cid = seed_cc_mail(demo_store)
    (tmp_path / "report.csv").write_bytes(b"when;what\n09:00;printed\n")
    cfg = smtp_config(smtp_server, undo=30)
    now = datetime.now(UTC).replace(microsecond=0)
    app = _app(demo_store, cfg, now)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        expected = await _write_reply_all(pilot, cid, tmp_path)
        await pilot.press("escape", "escape")  # the review, then the composer: a draft
        await settle(pilot)
        assert app.screen is app.main
        await _open_review(pilot, cid, "r")
        assert "\n".join(_lines(review_shown(app), "Cc", "Send at", "Files")) == expected
        await pilot.press("escape", "escape")
        await settle(pilot)
    app = _app(demo_store, cfg, now)  # a restart
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _open_review(pilot, cid, "r")
        assert "\n".join(_lines(review_shown(app), "Cc", "Send at", "Files")) == expected


async def test_a_on_a_reply_all_draft_says_reply_to_all_once(demo_store, smtp_server):
    """walk6: A on a conversation with a reply-all draft titled the composer "Reply to all
    to all to #256 …" (the draft's mode was added to a title that had it)."""
    cid = seed_cc_mail(demo_store)
    app = _app(demo_store, smtp_config(smtp_server, undo=30), datetime.now(UTC))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press(*"Draft text", "escape")  # kept as a draft
        await settle(pilot)
        for key in ("A", "r"):
            await pilot.press(key)
            await settle(pilot)
            title = app.screen.title_text
            assert title.startswith("Reply to all to ") and "to all to all" not in title, title
            await pilot.press("escape")
            await settle(pilot)

"""walk5 #3: the sender's own forward did not show in his thread (80x24, after ``f`` …
``y``) until another agent opened the conversation or ``ctrl+r``. The forward goes out
through the real aiosmtpd server; the thread must show it on screen with no refresh, and
the status line names it as a forward (walk5 #5: "1 reply recorded")."""

from __future__ import annotations

import pytest
from sqlmodel import select

from inbox_tui.models import Conversation
from tests.tui.conftest import make_app
from tests.tui.test_mail_keys import settle
from tests.tui.test_narrow_columns import shown_lines
from tests.tui.test_review_step import smtp_config, type_into, wait_for_mail


def _invoice(store) -> int:
    with store.read() as s:
        conv = s.exec(select(Conversation).where(Conversation.subject.contains("INV-2291"))).one()  # type: ignore[attr-defined]
        return int(conv.id or 0)


@pytest.mark.parametrize("undo", [0.0, 10.0])
async def test_the_forward_is_on_screen_in_the_senders_thread_at_once(
    demo_store, smtp_server, undo
):
    cid = _invoice(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server, undo=undo))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("enter")  # the whole conversation
        await settle(pilot)
        await type_into(pilot, "Input", '"Díaz, Ana" <ana@supplier.example>')
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"Please check the seats.", "ctrl+s", "y")
        await settle(pilot, 5)
        if not undo:
            await wait_for_mail(pilot, smtp_server)
            await settle(pilot)
            # What went out is named as a forward (it said "1 reply sent/recorded").
            assert app.main._status_said == "1 forward sent."
        assert app.screen is app.main
        screen = "\n".join(shown_lines(app.main.thread_view))
        assert "forward" in screen and "Please check the seats." in screen, screen


async def test_reply_all_after_the_forward_copies_the_customers_side_only(demo_store, smtp_server):
    """walk5 #1 as the walker did it: ``f`` the invoice conversation to the supplier,
    then ``A``: the review's Cc is the customer's Cc, without the supplier."""
    from tests.tui.test_review_step import review_shown

    cid = _invoice(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "Input", '"Díaz, Ana" <ana@supplier.example>')
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"Please check the seats.", "ctrl+s", "y")
        await wait_for_mail(pilot, smtp_server)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press(*"Corrected invoice attached.", "ctrl+s")
        await settle(pilot)
        shown = " ".join(review_shown(app).split())
    # (The demo's team address is on Cc here: these settings are not the demo's, whose
    # address is then ours.) The customer's Cc, never the supplier.
    assert "Tom Fischer <tom.fischer@bigcorp.example>" in shown
    assert "ap@bigcorp.example" in shown
    assert "supplier.example" not in shown and "Díaz" not in shown

"""#18: undo send in the demo inbox. A demo reply waits out [mail] undo_seconds like a
real account's, and B takes back the reply just sent even when its row has left the
view and the cursor sits on another conversation."""

from __future__ import annotations

from sqlmodel import select

from inbox_tui.models import Message, Outbox
from tests.tui.conftest import make_app, make_config, settle
from tests.tui.test_triage_keys import SIZE


async def test_b_in_the_demo_takes_back_the_reply_just_sent_from_the_list(demo_store):
    config = make_config()  # the demo's config, with the config file's default delay
    config.mail.undo_seconds = 10
    app = make_app(demo_store, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.main.conv_list.current_row()
        assert first is not None
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Thanks, sorted!")
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        with demo_store.read() as s:
            (row,) = s.exec(select(Outbox).where(Outbox.conversation_id == first.id)).all()
            assert row.status == "queued"  # waiting out the delay, as with a real account
        now_on = app.main.conv_list.current_row()
        assert now_on is not None and now_on.id != first.id  # the sent row left the view
        await pilot.press("B")
        await settle(pilot, 5)
        texts = [str(n.message) for n in app._notifications]
        assert any(f"Took back your reply to #{first.id}" in t for t in texts), texts
        assert app.screen.query_one("TextArea").text.startswith("Thanks, sorted!")
        assert f"#{first.id}" in str(app.screen.query_one("Label").render())
        with demo_store.read() as s:
            assert s.get(Outbox, row.id).status == "cancelled"
            assert (
                s.exec(
                    select(Message).where(
                        Message.conversation_id == first.id, Message.source == "outbox"
                    )
                ).all()
                == []
            )
        await pilot.press("escape")
        await settle(pilot)

"""walk10 #5: a reply taken back with B and sent again is no collision with anyone:
from the list at 80x24, ``r`` text, ``ctrl+s`` ``y``, ``B``, ``ctrl+s`` ``y`` said
"Someone else acted on this conversation since you opened it: Sam Carter replied at
07:25" to Sam. Now it is queued, once."""

from __future__ import annotations

from sqlmodel import select

from inbox_tui.models import Outbox
from tests.tui.conftest import make_app, make_config, settle


async def test_sent_taken_back_and_sent_again_without_a_collision(demo_store):
    config = make_config()
    config.mail.undo_seconds = 10
    app = make_app(demo_store, config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = app.main.conv_list.current_row()
        assert first is not None
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Thanks, sorted!")
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        await pilot.press("B")
        await settle(pilot, 5)
        assert app.screen.query_one("TextArea").text.startswith("Thanks, sorted!")
        await pilot.press("ctrl+s", "y")
        await settle(pilot, 5)
        assert app.screen.__class__.__name__ != "FuzzyPicker", getattr(app.screen, "title_text", "")
        texts = [str(n.message) for n in app._notifications]
        assert not any("acted on this conversation" in t for t in texts), texts
        with demo_store.read() as s:
            rows = s.exec(select(Outbox).where(Outbox.conversation_id == first.id)).all()
        assert sorted(r.status for r in rows) == ["cancelled", "queued"]

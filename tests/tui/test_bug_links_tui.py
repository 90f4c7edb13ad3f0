"""Walk2 in the TUI: a note naming ENG-4812 linked its conversation without a word; `F`
said "14 linked" and its preview listed 8; its macro preview ("Hi Chloe,") and its
category question ("Category for the 1 without one?") never said whose conversation."""

from __future__ import annotations

from sqlmodel import select

from inbox_tui.models import Conversation
from inbox_tui.services import buglinks, categories
from tests.tui.conftest import make_app, settle

SIZE = (120, 36)


def an_open_one_without_category(store) -> int:
    with store.read() as s:
        linked = set(buglinks.linked(s, "ENG-4812"))
        ids = [
            c.id
            for c in s.exec(
                select(Conversation)
                .where(Conversation.status == "open", Conversation.channel == "email")
                .order_by(Conversation.id)
            ).all()
            if c.id not in linked
        ]
        return categories.missing(s, ids)[0]


async def test_a_note_links_out_loud_and_f_names_whose_conversation(demo_store):
    cid = an_open_one_without_category(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.open_conversation(cid)
        await settle(pilot)
        assert app.main.open_id == cid, "the conversation is open"
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Filed as ENG-4812.", "ctrl+s", "y")
        await settle(pilot, 5)
        told = [n.message for n in app._notifications]
        assert any("Linked to ENG-4812" in t for t in told), told
        assert "🔗 Linked to ENG-4812" in app.main.thread_view.plain_text()

        with demo_store.read() as s:
            plan_ids = buglinks.linked(s, "ENG-4812")
            known = {k.ref: k for k in buglinks.known_refs(s)}
        assert cid in plan_ids and known["ENG-4812"].linked == len(plan_ids)

        await pilot.press("F")  # on a linked conversation: straight to the macro
        await settle(pilot)
        picker = app.screen
        assert picker.__class__.__name__ == "FuzzyPicker"
        await pilot.press(*"thanks")
        await settle(pilot)
        preview = str(picker.query_one("#preview").render())
        assert preview.startswith(f"Preview on #{cid} "), preview
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        assert confirm.__class__.__name__ == "Confirm"
        assert f"these {len(plan_ids)} conversations" in confirm.question
        shown = str(confirm.query_one("Static").render())
        # Every conversation it acts on is on screen: 8 by subject, the rest by number.
        assert all(f"#{i}" in shown for i in plan_ids), shown
        await pilot.press("y")
        await settle(pilot)
        # "Thanks + close" closes; only this one lacks a category: named, with whose it is.
        title = app.screen.title_text
        assert title.startswith(f"Category for #{cid} "), title
        await pilot.press("escape")
        await settle(pilot)

"""#18: a forward keeps a draft like a reply's: Esc out of its composer keeps the note and
the recipients (kind "forward"), ``f`` again brings them back, sending deletes it."""

from __future__ import annotations

from inbox_tui.services.drafts import get_draft, get_review_edits
from tests.tui.conftest import ME, make_app
from tests.tui.test_mail_keys import current, seed_cc_mail, settle
from tests.tui.test_review_step import review_shown, smtp_config, wait_for_mail
from tests.tui.test_triage_keys import SIZE


async def test_a_forward_closed_with_esc_comes_back_with_f(demo_store, smtp_server):
    cid = seed_cc_mail(demo_store)
    app = make_app(demo_store, config=smtp_config(smtp_server))
    async with app.run_test(size=SIZE) as pilot:
        assert (await current(pilot)).id == cid
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("enter")  # the whole conversation
        await settle(pilot)
        await pilot.press(*"billing@vendor.example", "enter")
        await settle(pilot)
        await pilot.press(*"FYI, see below", "escape")
        await settle(pilot)
        assert app.screen is app.main
        with demo_store.read() as s:
            assert get_draft(s, ME, cid, kind="forward") == "FYI, see below"
            assert get_review_edits(s, ME, cid, kind="forward")["to"] == [
                ["", "billing@vendor.example"]
            ]
        await pilot.press("f")  # straight back to the kept forward: no picker, no prompt
        await settle(pilot)
        assert app.screen.query_one("TextArea").text == "FYI, see below"
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = review_shown(app)
        assert "billing@vendor.example" in shown
        assert "Forwards  the whole conversation, quoted" in shown
        await pilot.press("y")
        await wait_for_mail(pilot, smtp_server)
        await settle(pilot)
    assert [r for _, r, _ in smtp_server.messages] == [["billing@vendor.example"]]
    with demo_store.read() as s:
        assert get_draft(s, ME, cid, kind="forward") is None

"""Walk2 #18: after B the composer's title said "Reply to #12" without the subject (the
reply's row had left the view); the macro editor said "@name mentions an agent", which a
macro's text does not do (its placeholders are what it fills in)."""

from __future__ import annotations

from tests.tui.conftest import make_app, make_config, settle

SIZE = (80, 24)  # walk2 saw it at 80x24: no thread beside the list


async def test_b_brings_the_reply_back_under_its_subject(demo_store):
    config = make_config()
    config.mail.undo_seconds = 10
    app = make_app(demo_store, config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.main.conv_list.current_row()
        assert first is not None
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Thanks, sorted!", "ctrl+s", "y")
        await settle(pilot, 5)
        now_on = app.main.conv_list.current_row()
        assert now_on is not None and now_on.id != first.id  # the sent row left the view
        await pilot.press("enter")  # reading another conversation when B comes to mind
        await settle(pilot)
        assert app.main.open_id == now_on.id
        await pilot.press("B")
        await settle(pilot, 5)
        title = app.screen.title_text
        assert title.startswith(f"Reply to #{first.id} “{first.subject[:20]}"), title
        await pilot.press("escape")
        await settle(pilot)


async def test_the_macro_editor_names_placeholders_not_mentions(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "Composer"
        hint = str(app.screen.query_one("#composer-hint").render())
        assert "@name" not in hint and "mentions" not in hint, hint
        assert "{{contact.first_name}}" in hint, hint
        await pilot.press("escape")
        await settle(pilot)

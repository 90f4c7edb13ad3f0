"""The incident banner on the main screen: hidden on the ordinary demo inbox, shown with
the burst's size and conversations when several customers write about one new problem
(the same services.incidents.detect as ``inbox-tui incidents``), and gone once the burst
is dismissed and the store changes."""

from datetime import timedelta

from inbox_tui.services import incidents
from tests.test_incidents import LOGIN, new_conversation
from tests.tui.conftest import NOW, make_app, settle


async def test_no_banner_on_an_ordinary_inbox(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main.query_one("#incident").display is False


async def test_banner_shows_a_burst_and_goes_when_dismissed(demo_store):
    def burst(s):
        return [
            new_conversation(s, subject, NOW - timedelta(minutes=20 * (i + 1)))
            for i, subject in enumerate(LOGIN)
        ]

    ids = demo_store.run(burst)
    with demo_store.read() as s:
        found = incidents.detect(s, now=NOW)
    assert [b.conversations for b in found] == [sorted(ids)]
    app = make_app(demo_store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        banner = app.main.query_one("#incident")
        assert banner.display is True
        text = str(banner.render())
        assert "4 similar new conversations" in text
        assert " ".join(f"#{c}" for c in sorted(ids)) in text
        demo_store.run(incidents.dismiss, "tester", found[0].key, now=NOW)
        app.main.store_changed()
        await settle(pilot)
        assert banner.display is False

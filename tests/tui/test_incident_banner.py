"""The incident banner on the main screen: the demo inbox carries an incident (five
customers whose calendar sync stopped), so the banner shows it; it goes once the burst
is dismissed and the store changes, stays away on an inbox with no burst, and names
another burst when one arrives (the same services.incidents.detect as
``inbox-tui incidents``)."""

from datetime import timedelta

from inbox_tui.demo import INCIDENT
from inbox_tui.services import incidents
from tests.test_incidents import LOGIN, new_conversation
from tests.tui.conftest import NOW, make_app, settle


def dismiss_all(store) -> None:
    with store.read() as s:
        keys = [b.key for b in incidents.detect(s, now=NOW)]
    for key in keys:
        store.run(incidents.dismiss, "tester", key, now=NOW)


async def test_the_demo_incident_shows_and_goes_when_dismissed(demo_store):
    with demo_store.read() as s:
        (burst,) = incidents.detect(s, now=NOW)
    assert burst.count == len(INCIDENT) and "calendar sync" in burst.subject.lower()
    app = make_app(demo_store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        banner = app.main.query_one("#incident")
        assert banner.display is True
        assert f"{len(INCIDENT)} similar new conversations" in str(banner.render())
        dismiss_all(demo_store)
        app.main.store_changed()
        await settle(pilot)
        assert banner.display is False


async def test_no_banner_without_a_burst(demo_store):
    dismiss_all(demo_store)
    app = make_app(demo_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main.query_one("#incident").display is False


async def test_banner_shows_a_new_burst_and_goes_when_dismissed(demo_store):
    dismiss_all(demo_store)

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

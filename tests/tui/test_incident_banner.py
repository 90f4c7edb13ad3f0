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


async def test_several_bursts_are_listed_and_the_agent_picks_one(demo_store):
    """Two bursts at once: the banner says "2 possible incidents"; I lists them (count,
    subject, since when in the agent's zone, the usual count), likeliest first; the one
    picked is shown, and I on its list decides that one, not the likeliest."""
    from zoneinfo import ZoneInfo

    from tests.tui.conftest import make_config

    # LOGIN arrives 20, 40, 60 and 80 minutes before NOW: the first at 14:10 UTC.
    ids = demo_store.run(
        lambda s: [
            new_conversation(s, subject, NOW - timedelta(minutes=20 * (i + 1)))
            for i, subject in enumerate(LOGIN)
        ]
    )
    with demo_store.read() as s:
        found = incidents.detect(s, now=NOW)
    assert len(found) == 2 and sorted(ids) in [b.conversations for b in found]
    login = next(b for b in found if b.conversations == sorted(ids))
    assert login.since == NOW - timedelta(minutes=80)
    # Hand-computed: 14:10 UTC is 15:10 in Berlin (CET in November).
    assert login.since_text("Europe/Berlin") == "since 15:10 CET"
    assert NOW.astimezone(ZoneInfo("Europe/Berlin")).hour == 16
    cfg = make_config()
    cfg.agent.timezone = "Europe/Berlin"
    app = make_app(demo_store, config=cfg)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        banner = str(app.main.query_one("#incident").render())
        assert "2 possible incidents" in banner and "I: pick one" in banner
        await pilot.press("I")
        await settle(pilot)
        picker = app.screen
        assert picker.title_text.startswith("2 possible incidents: which one?")
        assert [it.value for it in picker.items] == [str(b.key) for b in found]
        item = next(it for it in picker.items if it.value == str(login.key))
        assert item.label.startswith(f"{len(ids)} like “")
        assert item.hint.startswith("since 15:10 CET · usually")
        await pilot.press(*"password", "enter")  # every LOGIN subject says it
        await settle(pilot)
        assert app.main.view.startswith(f"burst:{login.key}:")
        assert app.screen.__class__.__name__ == "FuzzyPicker"  # confirm or dismiss it
        assert f"Burst: {len(ids)} conversations" in app.screen.title_text
        await pilot.press("escape")  # read them first
        await settle(pilot)
        await pilot.press("I")  # on its list: that burst again, no list
        await settle(pilot)
        assert f"Burst: {len(ids)} conversations" in app.screen.title_text


async def test_a_change_heard_right_after_a_view_switch_does_not_lose_the_new_view(demo_store):
    """Found in tmux at 80x24 (#23 acceptance): confirming the demo incident switched to
    the incident's tag view, but the poll's refresh of the old list, started at the same
    moment in the same exclusive worker group, cancelled the new view's read: the screen
    kept the burst's rows (still shown open) under the old title until ctrl+r."""
    app = make_app(demo_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        main.show_view("closed")
        main.store_changed()  # the poll heard the write at once
        await settle(pilot)
        assert main.conv_list.filter is main._list_request
        rows = [main.conv_list.row_at(i) for i in range(min(5, main.conv_list.total))]
        assert rows and all(r.status == "closed" for r in rows)

"""The status line: news that only matters now fades; a sentence said after it stays
(walkthrough: "1 reply recorded…" stayed for minutes)."""

from __future__ import annotations

from inbox_tui.tui import app as app_module
from tests.tui.conftest import make_app, settle


def status(app) -> str:
    return str(app.main.query_one("#status").render())


async def test_news_fades_and_a_later_sentence_stays(demo_store):
    assert app_module.NEWS_SECONDS <= 60  # the flush's news is this kind
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.main.set_status("2 replies sent.", seconds=0.2)
        assert "2 replies sent." in status(app)
        await pilot.pause(0.4)
        assert "2 replies sent." not in status(app)

        app.main.set_status("3 replies sent.", seconds=0.2)
        app.main.set_status("Sync failed: the server said no.")  # said since: it stays
        await pilot.pause(0.4)
        assert "Sync failed" in status(app)


def test_a_quiet_sync_round_keeps_the_last_one_that_brought_mail():
    """team3's walk: "0 new" right after a round that imported mail hid its count."""
    from types import SimpleNamespace

    from inbox_tui.tui.app import sync_line

    last: list[str] = []
    quiet = SimpleNamespace(errors=[], imported=0)
    assert sync_line(quiet, "09:00", last) == "Mail checked at 09:00: nothing new."
    assert sync_line(SimpleNamespace(errors=[], imported=3), "09:01", last) == (
        "Mail synced at 09:01: 3 new messages."
    )
    assert sync_line(quiet, "09:02", last) == (
        "Mail checked at 09:02: nothing new (last: 3 new messages at 09:01)."
    )
    broken = SimpleNamespace(errors=["The server closed the connection."], imported=0)
    assert sync_line(broken, "09:03", last) == (
        "Mail sync at 09:03: The server closed the connection."
    )

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

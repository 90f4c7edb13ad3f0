"""Search as you type says why a query cannot run, and stops saying it once the query
can (#21 acceptance walk: typing `sla:breached` passed through `sla:breache`, whose
sentence stayed in the status line under the right results)."""

from __future__ import annotations

from inbox_tui.services import sla
from tests.tui.conftest import make_app, settle


def status(app) -> str:
    return app.main.query_one("#status").render().plain


async def test_an_unrunnable_query_s_sentence_goes_when_the_query_runs(demo_store):
    sla.configure(sla.SlaPolicy.from_config({"first_response": "1h"}, None))
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("/")
        for ch in "sla:breache":
            await pilot.press(ch)
        await settle(pilot)
        assert "'sla:breache' is not sla:breached" in status(app)
        assert app.main.conv_list.total == 0
        await pilot.press("d")
        await settle(pilot)
        assert app.main.conv_list.total > 0  # the demo has replies overdue by an hour
        assert "is not sla:breached" not in status(app)

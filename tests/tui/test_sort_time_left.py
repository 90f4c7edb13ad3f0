"""Sort by time left in the TUI (#21 acceptance: "see which conversations are overdue
and sort by it"): ``O`` sorts the list being shown, most overdue first (the header
says so) from its top, past the first page in the same order; ``O`` again gives the
view its own order back. Without response targets ``O``
says in one sentence why it cannot sort."""

from __future__ import annotations

from datetime import timedelta

from inbox_tui.services import sla
from inbox_tui.services.conversations import by_time_left, list_conversations, view_filter
from inbox_tui.tui.widgets.conversation_list import PAGE
from tests.test_sla import add
from tests.tui.conftest import ME, NOW, make_app, make_config, settle
from tests.tui.test_core_loop_views_help import _pick_view

SLA = {"first_response": "4h", "next_response": "8h", "tags": {"vip": {"first_response": "1h"}}}


def top(app) -> str:
    return str(app.main.query_one("#top").render())


async def shown_ids(pilot, upto: int) -> list[int]:
    lst = pilot.app.main.conv_list
    out = []
    for i in range(upto):
        row = lst.row_at(i)
        if row is None:  # a page evicted or not yet read: let it load
            await settle(pilot)
            row = lst.row_at(i)
        assert row is not None, i
        out.append(row.id)
    return out


async def test_o_sorts_the_view_by_time_left_and_back(demo_store):
    from inbox_tui.services import triage

    # More than a page waiting, some with a shorter target (tagged vip).
    for i in range(130):
        cid = add(demo_store, f"wait{i}", NOW - timedelta(minutes=97 * i + 5))
        if i % 7 == 3:
            demo_store.run(triage.tag, "sam", cid, "vip")
    policy = sla.SlaPolicy.from_config(SLA)
    sla.configure(policy)
    try:
        with demo_store.read() as s:
            flt = view_filter("open", ME)
            plain = [r.id for r in list_conversations(s, flt, limit=10_000)]
            want = [r.id for r in list_conversations(s, by_time_left(flt), limit=10_000)]
        assert sorted(plain) == sorted(want) and plain != want
        app = make_app(demo_store, config=make_config(sla=SLA))
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            lst = app.main.conv_list
            await pilot.press("j", "j")
            await settle(pilot)
            await pilot.press("O")
            await settle(pilot)
            assert "by time left" in top(app)
            assert lst.total == len(want)
            assert lst.cursor == 0 and lst.current_row().id == want[0]  # the most overdue
            for _ in range(12):
                if lst.cursor > PAGE + 5:
                    break
                await pilot.press("pagedown")
                await settle(pilot)
            assert await shown_ids(pilot, lst.cursor + 1) == want[: lst.cursor + 1]
            first = lst.row_at(0)
            assert first.sla_left(NOW) < timedelta(0)  # overdue, most of all
            await pilot.press("O")  # the view's own order again
            await settle(pilot)
            assert "by time left" not in top(app)
            await pilot.press("g")
            await settle(pilot)
            assert await shown_ids(pilot, 30) == plain[:30]
            # The Needs reply view sorts too: only those waiting, by time left.
            await pilot.press("O")
            await settle(pilot)
            await _pick_view(pilot, app, "needs-reply")
            with demo_store.read() as s:
                nr = by_time_left(view_filter("needs-reply", ME))
                want_nr = [r.id for r in list_conversations(s, nr, limit=10_000)]
            assert lst.total == len(want_nr) and "by time left" in top(app)
            assert "Needs reply (" in top(app) and "oldest first" not in top(app)
            await pilot.press("g")
            await settle(pilot)
            assert await shown_ids(pilot, 30) == want_nr[:30]
    finally:
        sla.configure(None)


async def test_without_targets_o_says_why_and_keeps_the_order(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        lst = app.main.conv_list
        before = await shown_ids(pilot, 10)
        await pilot.press("O")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert any("[sla]" in m and "time left" in m for m in said), said
        assert "by time left" not in top(app)
        assert await shown_ids(pilot, 10) == before
        assert lst.total > 10
